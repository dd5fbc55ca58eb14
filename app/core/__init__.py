"""Qt-free types shared by every layer: sample schema, BatterySpec, errors, settings."""

from app.core.errors import BatteryOSError, SchemaError, SourceError
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec, Chemistry, EcmParameters, preset

__all__ = [
    "BatteryOSError",
    "BatterySpec",
    "Chemistry",
    "EcmParameters",
    "SampleBlock",
    "SchemaError",
    "SourceError",
    "preset",
]
