"""Every tokenizer metric tokeff reports, one family per module.

==================  ===========================================================================
module              metrics
==================  ===========================================================================
``compression``     tokens, bytes_per_token, chars_per_token, normalized_sequence_length
``words``           words, fertility, fertility_in_context, continued_word_rate,
                    single_token_word_rate
``parity``          premium
``information``     shannon_entropy, shannon_efficiency, renyi_efficiency
``coverage``        vocab_utilization, unk_rate, unk_char_rate, byte_fallback_rate,
                    roundtrip_fidelity (and the token-length histogram)
``bootstrap``       the confidence intervals of every ratio
``tables``          pivots of the tidy table for notebooks and reports
==================  ===========================================================================
"""

from .base import ALL, Accumulator, MetricRow, RowContext
from .settings import MetricSettings

__all__ = ["ALL", "Accumulator", "MetricRow", "MetricSettings", "RowContext"]
