"""User-facing errors: one French line, a non-zero exit, never a traceback."""


class SantelabError(Exception):
    """An error the user can fix; its message is French and says what to do."""

    exit_code = 2
