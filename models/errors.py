"""The one exception family the record services raise when they refuse an act."""


class RecordsError(Exception):
    """An act the rules do not allow, or data that cannot serve; the message says why, in plain words."""


class NotFound(RecordsError):
    """No such student, guardian, channel or link."""
