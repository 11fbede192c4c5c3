"""The model's shape: :class:`ModelConfig`, the named :data:`PRESETS`, and the FLOPs formula.

Kept apart from :mod:`tokeff.lm.model` so that what only needs a shape (the CLI's help, budgets,
the cost model) does not load torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ModelConfig:
    """The shape of the model. Nothing in here depends on the tokenizer."""

    n_layer: int = 2
    n_head: int = 4
    d_model: int = 128
    context: int = 128  # tokens the model sees at once (learned positions up to this length)
    dropout: float = 0.0  # 0 keeps runs deterministic and short runs need no regularisation
    tie_embeddings: bool = True  # output layer shares the token embedding matrix

    def __post_init__(self) -> None:
        if self.d_model % self.n_head:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_head={self.n_head}")

    def non_embedding_params(self) -> int:
        """``N = 12 * n_layer * d_model**2``: the formula's count (see the module docstring)."""
        return 12 * self.n_layer * self.d_model**2

    def flops_per_token(self, vocab_size: int) -> float:
        """Training FLOPs per token: ``6N + 6 n_layer context d_model + 6 d_model V``."""
        attention = 6 * self.n_layer * self.context * self.d_model
        unembedding = 6 * self.d_model * vocab_size
        return float(6 * self.non_embedding_params() + attention + unembedding)

    def to_dict(self) -> dict:
        return asdict(self)


#: Named shapes. ``tiny`` is the default and trains a few thousand tokens per second on 2 CPU
#: cores; ``small`` is the 4-layer, 256-wide model of the throughput benchmark.
PRESETS: dict[str, ModelConfig] = {
    "micro": ModelConfig(n_layer=1, n_head=2, d_model=32, context=32),  # smoke tests: trains in a second
    "tiny": ModelConfig(n_layer=2, n_head=4, d_model=128, context=128),
    "small": ModelConfig(n_layer=4, n_head=4, d_model=256, context=256),
    "medium": ModelConfig(n_layer=6, n_head=6, d_model=384, context=256),
    "large": ModelConfig(n_layer=8, n_head=8, d_model=512, context=512),
}


def model_config(model: str | ModelConfig) -> ModelConfig:
    """A preset by name, or the given config."""
    if isinstance(model, ModelConfig):
        return model
    try:
        return PRESETS[model]
    except KeyError:
        raise ValueError(f"unknown model preset {model!r}; choose one of {sorted(PRESETS)}") from None
