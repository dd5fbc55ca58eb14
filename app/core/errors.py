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


#: How much of a bad value an error shows (a line of NUL bytes is no message)
SHOWN_CHARS = 30


def shown(value) -> str:
    """A bad value (a file's cell) as an error names it: its repr, cut after
    :data:`SHOWN_CHARS` with how long it was."""
    value = value if isinstance(value, str | bytes) else str(value)
    text = repr(value)
    if len(text) <= SHOWN_CHARS + 2:
        return text
    return f"{text[:SHOWN_CHARS]}… ({len(value)} characters)"


class SourceRefused(SourceError):
    """A live source whose own data contradict the battery given (its cell voltages add up
    to another series cell count): a sink raises it on the block that shows it, and the
    acquisition stops in ``fault`` with this message, without retrying (the device would
    say the same again)."""
