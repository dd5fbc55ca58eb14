"""Qt-free sources of samples: simulator, serial, CAN and log files.

Use :func:`create_source` with a source URL (see :mod:`app.hardware.registry`).
"""

from app.hardware.registry import create_source, register_source
from app.hardware.source import Source, SourceState

__all__ = ["Source", "SourceState", "create_source", "register_source"]
