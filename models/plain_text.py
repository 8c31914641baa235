"""Text that comes in as a name and text that goes out to a spreadsheet, made harmless both ways.

A name with control characters (a line break, a NUL, a right-to-left override) can hide what a
page or the audit register shows and break exports; it is refused where it comes in. A CSV cell
starting with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by spreadsheet
programs: such a cell goes out with a leading apostrophe, which they show as plain text.
"""

import unicodedata

from models.errors import RecordsError

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class NameRefused(RecordsError):
    """A name with characters that are not part of any name."""


def refuse_control_characters(label: str, text: str) -> str:
    """`text`, or NameRefused naming the field when it holds a control character."""
    if any(unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS for c in text):
        raise NameRefused(f"{label} contains a control character (a line break, tab or invisible character)")
    return text


def spreadsheet_cell(value: object) -> str:
    """The cell's text, never read as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text
