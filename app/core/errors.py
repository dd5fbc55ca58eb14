"""Exceptions for user-facing problems.

Anything derived from :class:`BatteryOSError` is a user's mistake or an
environment problem (bad file, bad URL, dead database). The CLI prints its
message as one line and exits with code 2; the GUI shows it. Everything else
is a bug and may show a traceback.
"""


class BatteryOSError(Exception):
    """A problem the user can fix; its message is shown as is."""


class SchemaError(BatteryOSError):
    """Sample data that does not follow the canonical schema."""


class SourceError(BatteryOSError):
    """A source URL that cannot be resolved, or a source that cannot be opened."""


class StorageError(BatteryOSError):
    """The database cannot be reached or used."""
