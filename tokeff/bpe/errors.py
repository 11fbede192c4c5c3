"""What the BPE trainer and encoder raise for a caller's mistake.

Both derive from :class:`tokeff.errors.TokeffError`, so the CLI shows them as one line saying what is
wrong and what to do.
"""

from __future__ import annotations

from tokeff.errors import TokeffError


class BPETrainingError(TokeffError):
    """Training cannot produce a useful vocabulary from these settings and this corpus.

    Raised for a ``vocab_size`` smaller than the 256 byte tokens plus the special tokens, an empty
    corpus, a corpus in which no pair of tokens reaches ``min_frequency``, or a text that is not
    valid Unicode (lone surrogates cannot be turned into UTF-8 bytes).
    """


class InvalidTextError(TokeffError, ValueError):
    """A string with lone surrogates (``"\\ud800"``): it has no UTF-8 bytes, so no byte-level tokens.

    It is also a :class:`ValueError`, so ``except ValueError`` catches it too.
    """


class ModelFormatError(TokeffError):
    """A saved model file that is not tokeff's BPE JSON format, or of a newer version."""
