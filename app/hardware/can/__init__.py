"""CAN sources (Qt-free): the BMS-to-inverter protocol and any DBC through cantools.

URLs (see :mod:`app.hardware.can.source`)::

    can://<interface>/<channel>?protocol=pylontech&bitrate=500000&byte_order=little
    can://<interface>/<channel>?dbc=/path/pack.dbc&mapping=NAME&bitrate=500000

``<interface>`` is any python-can interface name (socketcan, pcan, kvaser,
vector, slcan, gs_usb, virtual).
"""
