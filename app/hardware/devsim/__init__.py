"""Device simulators: a simulated device on a real pseudo-terminal (or bus), so
anyone can try Battery OS without hardware and tests talk to real ports.

:data:`DEVICE_SIMULATORS` maps a name (``batteryos devsim NAME``) to a
``"module:function"`` imported when used. Each function takes keyword options
(``chemistry``, ``cells``, ``speed``, ``replay``, ``period_s``, ...; those it does
not use it ignores) and returns a *started* device with ``url`` (the source URL
to connect to) and ``stop()``; devices are also context managers. Add an entry
to simulate another device.
"""

from __future__ import annotations

import importlib

from app.core.errors import SourceError

DEVICE_SIMULATORS: dict[str, str] = {
    "vedirect": "app.hardware.devsim.vedirect:start",
    "daly": "app.hardware.devsim.daly:start",
    "jk": "app.hardware.devsim.jk:start",
    "line": "app.hardware.devsim.line:start",
    "pylontech": "app.hardware.can.devsim:devsim_pylontech",
    "foxbms": "app.hardware.can.devsim:devsim_foxbms",
}


def start_device(name: str, **options):
    """Start the simulator ``name``; :class:`SourceError` if there is none of that name."""
    try:
        target = DEVICE_SIMULATORS[name]
    except KeyError:
        known = ", ".join(sorted(DEVICE_SIMULATORS))
        raise SourceError(f"no device simulator {name!r} (known: {known})") from None
    module_name, _, func = target.partition(":")
    return getattr(importlib.import_module(module_name), func)(**options)
