"""Serial sources: ``serial://<device>?protocol=vedirect|daly|jk|line``.

Each protocol is a Qt-free decoder (bytes in, samples out, errors counted in a
:class:`~app.hardware.source.SourceHealth`) plus a thin
:class:`~app.hardware.serial.port.SerialSource` subclass that owns the port.
"""
