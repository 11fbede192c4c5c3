"""The small decoder-only transformer every tokenizer is trained with (nanoGPT-style).

Read top to bottom: :class:`ModelConfig` (the shape), :data:`PRESETS` (named shapes),
:class:`CausalSelfAttention`, :class:`MLP`, :class:`Block`, :class:`GPT`, and the evaluation
loss, :data:`LOSS_FN`.

Only two pieces depend on the tokenizer: the token embedding (``vocab_size x d_model``) and the
output layer that turns the last hidden state into ``vocab_size`` logits. Everything else --
the *body* -- is the same for every tokenizer, and it is initialised from the same seed with
its own random stream, so two runs that differ only in tokenizer start from the same body
weights.

FLOPs per token (used for budgets and for the reported FLOPs)
--------------------------------------------------------------
Training (forward + backward) costs, per token, following Kaplan et al. (2020, table 1) with the
output layer added because it is the part a tokenizer changes::

    flops_per_token = 6 * N  +  6 * n_layer * context * d_model  +  6 * d_model * V

* ``N = 12 * n_layer * d_model**2`` is the non-embedding parameter count used in the formula
  (attention 4 d^2 + MLP 8 d^2 per layer; biases and LayerNorms are negligible and left out).
  :meth:`GPT.num_params` reports the exact count.
* ``6 * n_layer * context * d_model`` is attention over the context (scores and weighted sum).
* ``6 * d_model * V`` is the unembedding matmul (``V`` = number of logits). Kaplan leaves it out;
  tokeff keeps it, because at small model sizes it is most of the compute and it grows with the
  vocabulary -- leaving it out would make a 200k vocabulary look free. The input embedding is a
  table lookup and costs no matmul FLOPs.

Each 6 is 2 (multiply + add) x 3 (forward, plus backward that costs twice the forward).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

#: Target id that the loss ignores: padding in evaluation windows and positions already scored.
IGNORE_INDEX = -1

#: The loss of every evaluation and the default training loss: token-level cross-entropy in nats,
#: summed over the targets that are not ``IGNORE_INDEX``. Training divides the sum by its number
#: of targets; evaluation adds the sums up. Other training losses: :mod:`tokeff.lm.losses`.
LOSS_FN = nn.CrossEntropyLoss(reduction="sum", ignore_index=IGNORE_INDEX)

# the shapes live in a module without torch (the CLI lists the presets without loading it)
from .config import PRESETS, ModelConfig, model_config  # noqa: E402,F401


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.n_head = cfg.n_head
        self.dropout = cfg.dropout
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.resid_drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        # (B, T, C) -> (B, n_head, T, head_dim)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0
        )
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_drop(self.proj(y))


class MLP(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.fc = nn.Linear(cfg.d_model, 4 * cfg.d_model)
        self.proj = nn.Linear(4 * cfg.d_model, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    """Pre-LayerNorm residual block: ``x + attn(ln(x))``, then ``x + mlp(ln(x))``."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.d_model)
        self.attn = CausalSelfAttention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.d_model)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """Decoder-only transformer: token + learned position embeddings, blocks, LayerNorm, logits.

    Args:
        cfg: the shape.
        vocab_size: number of token ids (and of logits), including any extra ids such as the
            document separator the training loop adds.
        seed: initialises the body and the embeddings from two separate random streams, so the
            body starts identical whatever the vocabulary size.
    """

    def __init__(self, cfg: ModelConfig, vocab_size: int, seed: int = 0) -> None:
        super().__init__()
        self.cfg = cfg
        self.vocab_size = vocab_size
        self.wte = nn.Embedding(vocab_size, cfg.d_model)
        self.wpe = nn.Embedding(cfg.context, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.lm_head = nn.Linear(cfg.d_model, vocab_size, bias=False)
        if cfg.tie_embeddings:
            self.lm_head.weight = self.wte.weight
        self._init_weights(seed)

    @torch.no_grad()
    def _init_weights(self, seed: int) -> None:
        # GPT-2 init: N(0, 0.02) for matrices and embeddings, zero biases, and residual output
        # projections scaled by 1/sqrt(2 n_layer) so the residual stream does not grow with depth.
        body = torch.Generator().manual_seed(seed)
        vocab = torch.Generator().manual_seed(seed + 1)
        vocab_params = {id(self.wte.weight), id(self.lm_head.weight)}
        for name, p in self.named_parameters():  # shared (tied) weights are listed once
            g = vocab if id(p) in vocab_params else body
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.dim() == 1:  # LayerNorm gains
                nn.init.ones_(p)
            else:
                std = 0.02 / math.sqrt(2 * self.cfg.n_layer) if name.endswith("proj.weight") else 0.02
                nn.init.normal_(p, mean=0.0, std=std, generator=g)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, T, vocab_size)`` for token ids ``idx`` of shape ``(B, T)``, ``T <= context``."""
        T = idx.shape[1]
        if T > self.cfg.context:
            raise ValueError(f"sequence of {T} tokens is longer than the context {self.cfg.context}")
        pos = torch.arange(T, device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.ln_f(x))

    def num_params(self, non_embedding: bool = True) -> int:
        """Exact parameter count; ``non_embedding`` leaves out token/position embeddings and
        the (untied) output layer -- the parts whose size is not the body's."""
        n = sum(p.numel() for p in self.parameters())  # tied weights counted once
        if non_embedding:
            n -= self.wte.weight.numel() + self.wpe.weight.numel()
            if not self.cfg.tie_embeddings:
                n -= self.lm_head.weight.numel()
        return n

    def flops_per_token(self) -> float:
        """Training FLOPs per token at this vocabulary (formula in the module docstring)."""
        return self.cfg.flops_per_token(self.vocab_size)
