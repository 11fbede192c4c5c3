"""tokeff's own byte-level BPE: train, encode, decode, save, export.

Public API::

    from tokeff.bpe import train_bpe, BPEModel

    model = train_bpe(texts, vocab_size=16_384, pattern="gpt2", special_tokens=("<|endoftext|>",),
                      min_frequency=2, progress=False, workers=None, corpus="description")
    model.vocab_size, model.merges, model.pattern, model.pattern_name, model.special_tokens
    ids = model.encode("Hello world")              # list[int]; fast (tiktoken inside)
    model.encode_batch(["a", "b"])                 # list[list[int]]
    model.decode(ids) == "Hello world"             # byte-exact for every valid str
    model.token_bytes(ids[0])                      # b"Hello"
    small = model.truncate(4_096)                  # == training to 4,096 directly
    model.save("bpe.json"); BPEModel.load("bpe.json")
    model.export_hf("tokenizer.json")              # for tokenizers.Tokenizer.from_file
    model.export_tiktoken("bpe.tiktoken")          # for tiktoken.load.load_tiktoken_bpe

* ``train_bpe(texts: Iterable[str], vocab_size: int, *, pattern="gpt2", special_tokens=(),
  min_frequency=2, progress=False, workers=None, corpus="", backend="auto") -> BPEModel``
  — see :func:`tokeff.bpe.train.train_bpe`.
* ``has_c_core() -> bool``: whether the compiled training core is in use (else pure Python, same
  results, slower).
* Ids: ``0..255`` are bytes, ``256 + k`` is merge ``k``, special tokens follow the merges.
* Patterns: ``"gpt2"``, ``"cl100k"``, ``"o200k"`` (tiktoken's exact regexes), ``"none"``, gpt2
  with another number rule (``"digits"``, ``"l2r3"``, ``"r2l3"``), or any regex string
  (:mod:`tokeff.bpe.patterns`).
* Merges equal those of HF ``tokenizers``' ``BpeTrainer`` on the same pre-split text, ties included
  (:mod:`tokeff.bpe.merge_loop`).
* Errors: :class:`BPETrainingError` (bad settings, empty corpus, nothing to merge),
  :class:`InvalidTextError` (lone surrogates; also a ``ValueError``), :class:`ModelFormatError`
  (a file that is not a tokeff model) — all :class:`tokeff.errors.TokeffError`. A corpus too small
  for ``vocab_size`` warns (``UserWarning``) and returns the smaller model it could learn.

Files: ``patterns.py`` (pre-split regexes), ``count.py`` (chunk counting), ``merge_loop.py`` (the
merge algorithm, pure Python), ``train.py`` (``train_bpe``), ``model.py`` (``BPEModel``),
``reference.py`` (slow reference encoder), ``io.py`` (file format and exports), ``alphabet.py``
(bytes as HF spells them). The same loop and the piece counter in C are in the package's optional
compiled core, :mod:`tokeff._native` (``merge.c``, ``pieces.c``; ``TOKEFF_PURE_PYTHON=1`` ignores it).
"""

from tokeff.bpe.errors import BPETrainingError, InvalidTextError, ModelFormatError
from tokeff.bpe.model import BPEModel
from tokeff.bpe.patterns import PRESETS, Pattern
from tokeff.bpe.train import DEFAULT_MIN_FREQUENCY, has_c_core, train_bpe

__all__ = [
    "BPEModel",
    "BPETrainingError",
    "DEFAULT_MIN_FREQUENCY",
    "InvalidTextError",
    "ModelFormatError",
    "PRESETS",
    "Pattern",
    "has_c_core",
    "train_bpe",
]
