"""The CLI's option names in a message, as the window's fields are labelled.

The checks of a battery (:mod:`app.core.spec`, the source URLs, ``spec_from_args``)
name the fix in the command line's words (``--cell-v-max``); a message shown in the
window names the field the user sets there instead (*Cell V max*), the same one on
the connection dialog, File ▸ Open's battery dialog and the Logs page.
"""

from __future__ import annotations

#: (the CLI's words, the window's), longest first where one begins another
#: (``--ocv-table-current-c`` before ``--ocv-table``).
OPTION_FIELDS = (
    ("--cell-v-max", "Cell V max"),
    ("--cell-v-min", "Cell V min"),
    ("--bol-resistance-ohm", "R new"),
    ("--ocv-table-current-c", "OCV table Measured at"),
    ("--ocv-table", "OCV table"),
    ("give --chemistry ", "choose the chemistry "),
    ("give --cells", "set Series cells"),
    ("--eol-fraction", "End of life"),
    ("--capacity-ah", "Capacity"),
)


def in_field_words(text: str) -> str:
    """``text`` with the CLI's option names as the window's field labels."""
    for option, field in OPTION_FIELDS:
        text = text.replace(option, field)
    return text
