"""The one base of user-facing errors, at the bottom layer so every package can raise it.

A `SantelabError` carries one French line that says what was wrong and what to do; the
`santelab` command prints it without a traceback and exits with `exit_code`.
"""


class SantelabError(Exception):
    """An error the user can fix; its message is French and says what to do."""

    exit_code = 2
