"""Greedy completion with a trained model, for probes that score what the model writes.

Bits per byte scores how well a model predicts text; a task such as arithmetic is scored on the
text the model *writes* after a prompt. :func:`greedy_complete` appends the most likely next id
(``argmax``; a tie goes to the smallest id) until a stop id, a stop string or ``max_new_tokens``,
for many prompts at once. It is deterministic: no sampling, no randomness.

Prompts are batched by length, so no row is ever padded: a padded row would shift the learned
positions or attend to the padding. Every step reruns the model on the whole sequence (no key/value
cache): probes complete short prompts with a few tokens, where that costs little. A sequence longer
than the model's context keeps its last ``context`` ids.

:func:`load_trained` rebuilds the model a :func:`tokeff.lm.train_lm` run saved in its
``checkpoint_dir``.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import torch

from .model import GPT, ModelConfig
from .train import CHECKPOINT_FILE


def load_trained(checkpoint_dir: str | os.PathLike, device: str | torch.device = "cpu") -> GPT:
    """The model of the checkpoint a training run wrote in ``checkpoint_dir`` (its last step)."""
    state = torch.load(Path(checkpoint_dir) / CHECKPOINT_FILE, map_location=device, weights_only=False)
    fingerprint = state["fingerprint"]
    net = GPT(ModelConfig(**fingerprint["model"]), fingerprint["vocab_size"], seed=fingerprint["seed"])
    net.load_state_dict(state["model"])
    return net.to(device).eval()


@torch.inference_mode()
def greedy_complete(
    model: GPT,
    prompts: Sequence[Sequence[int]],
    *,
    max_new_tokens: int,
    stop_ids: Collection[int] = (),
    stop_strings: Sequence[str] = (),
    decode: Callable[[list[int]], str] | None = None,
    batch_size: int = 256,
    device: str | torch.device = "cpu",
) -> list[list[int]]:
    """The ids ``model`` writes after each prompt, greedily.

    Args:
        model: a :class:`GPT` (anything with ``cfg.context`` mapping ids ``(B, T)`` to logits
            ``(B, T, V)``).
        prompts: token ids of each prompt (at least one id each; the training loop's separator
            id is the natural first one).
        max_new_tokens: most ids written per prompt.
        stop_ids: ids that end a completion; the stop id is not part of what is returned.
        stop_strings: texts that end a completion once ``decode(completion)`` contains one; the
            id that completed it is kept (it may hold more than the stop string: cut the text).
        decode: ids to text, needed with ``stop_strings``.
        batch_size: prompts run together.
        device: where the model is.

    Returns:
        One list of ids per prompt, in the order of ``prompts``.
    """
    if stop_strings and decode is None:
        raise ValueError("stop_strings need decode, the function that turns ids into text")
    if any(len(p) == 0 for p in prompts):
        raise ValueError("every prompt needs at least one id (e.g. the separator)")
    context = model.cfg.context
    stops = torch.tensor(sorted(stop_ids), dtype=torch.long, device=device)
    was_training = model.training
    model.eval()
    out: list[list[int]] = [[] for _ in prompts]
    by_length: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(prompts):
        by_length[len(p)].append(i)
    for length in sorted(by_length):
        rows = by_length[length]
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            seq = torch.tensor([list(prompts[i]) for i in batch], dtype=torch.long, device=device)
            done = torch.zeros(len(batch), dtype=torch.bool, device=device)
            for _ in range(max_new_tokens):
                nxt = model(seq[:, -context:])[:, -1, :].argmax(dim=-1)
                stopped = torch.isin(nxt, stops)
                for r in torch.nonzero(~done & ~stopped).flatten().tolist():
                    out[batch[r]].append(int(nxt[r]))
                done |= stopped
                if stop_strings:
                    for r in torch.nonzero(~done).flatten().tolist():
                        text = decode(out[batch[r]])
                        if any(s in text for s in stop_strings):
                            done[r] = True
                if bool(done.all()):
                    break
                seq = torch.cat([seq, nxt[:, None]], dim=1)
    if was_training:
        model.train()
    return out
