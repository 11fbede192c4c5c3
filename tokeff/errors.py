"""The errors tokeff raises for a user's mistake or an environment problem.

Anything derived from :class:`TokeffError` is shown by the CLI as one line (what is wrong and what
to do) with a non-zero exit and no traceback (``--debug`` shows it). Everything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import sys


class TokeffError(Exception):
    """A problem the user can fix: the message says what is wrong and what to do."""


class CorpusError(TokeffError):
    """A corpus spec or file that cannot be read as text (missing, empty, binary, bad UTF-8...)."""


class TokenizerError(TokeffError):
    """A tokenizer spec that is malformed or names something that does not exist."""


class TokenizerUnavailable(TokenizerError):
    """A well-formed tokenizer spec that cannot be loaded *here* (offline, file not cached).

    ``analyze`` skips such a tokenizer with a one-line note instead of stopping the run.
    """


def one_line(x: object) -> str:
    """``str(x)`` with every run of whitespace (newlines included) made one space: how a library's
    message is quoted inside a tokeff error, which the CLI prints as one line."""
    return " ".join(str(x).split())


def missing_dependency(error: ModuleNotFoundError) -> int:
    """Say in one line that this Python lacks a package tokeff needs, and how to get the one that
    has them; the exit status (2). Usually tokeff was run with a Python outside its virtualenv."""
    print(f"tokeff: error: the Python package {error.name!r} is missing in this Python ({sys.executable}); "
          "set up tokeff's environment with `make setup` and run `.venv/bin/python -m tokeff ...` "
          "(or `source .venv/bin/activate` first)", file=sys.stderr)
    return 2
