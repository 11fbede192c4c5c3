"""``python -m tokeff``: argument parsing and the subcommands, nothing else.

Every subcommand is a thin call into the same functions a notebook uses. A user's mistake
(:class:`~tokeff.errors.TokeffError`) prints one line and exits with status 2; ``--debug`` shows
the traceback instead. Ctrl-C exits with status 130, leaving every file already written whole.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import warnings
from pathlib import Path

from .errors import TokeffError

EPILOG_ANALYZE = """\
corpus specs:
  default                the embedded default: Python's English docs, standard-library code,
                         and tokeff's own 25-language parallel sample
  PATH.txt               one document per blank-line-separated block (--lines: per line)
  DIR                    every .txt file below a folder
  PATH.jsonl[:FIELD]     JSON lines, the text in FIELD (default: text)
  shards:GLOB[:FIELD[:ID_FIELD]]
                         many .jsonl, .jsonl.gz, .parquet or .txt shards as one corpus; ids from
                         ID_FIELD (default: id) else the text's hash (prefix optional with a wildcard)
  parallel:DIR           <lang>.txt files aligned line by line (e.g. NTREX-128)
  known:NAME             a public corpus fetched once, checksum-verified, then cached
                         (python -m tokeff corpora lists them)

tokenizer specs:
  bytes | chars          UTF-8 bytes (the baseline) | Unicode code points
  tiktoken:NAME          gpt2, r50k_base, p50k_base, cl100k_base, o200k_base (TIKTOKEN_CACHE_DIR offline)
  tiktoken:PATH.tiktoken[@PATTERN]
                         a tiktoken ranks file (e.g. from `tokeff train-bpe --format tiktoken`),
                         pre-split with PATTERN: cl100k (default), gpt2, o200k
  hf:NAME_OR_PATH        a tokenizer.json, a folder (tokenizer.json or vocab.json+merges.txt), a hub name
  spm:PATH.model         a SentencePiece model
  tokeff:PATH.json       a model saved by `tokeff train-bpe`
  train:KIND:VOCAB       trained here on the corpora's train split; KIND: hf-bpe, spm-unigram,
                         spm-bpe, bpe (tokeff's own)

Every metric is measured on the held-out eval split (a deterministic 20% of documents), the
same text for every tokenizer. Tokenizers that cannot be loaded offline are skipped with a note.

examples:
  python -m tokeff analyze
  python -m tokeff analyze --corpus parallel:../shared/corpora/ntrex128 \\
      --tokenizer tiktoken:cl100k_base --tokenizer spm:mistral.model --out ntrex
  python -m tokeff analyze --train --budget flops=2e12 --model-size tiny
"""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--debug", action="store_true", help="show full tracebacks for errors")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _corpus_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lines", action="store_true", help="in .txt corpora, one document per line (default: per blank-line-separated block)")
    p.add_argument("--errors", choices=("strict", "replace"), default="strict",
                   help="invalid UTF-8: stop with its byte offset (strict, default) or replace it with U+FFFD")
    p.add_argument("--languages", metavar="L,L,...", help="read only these languages of parallel corpora, e.g. eng,deu,zho-CN")


def _train_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--train", action="store_true", help="also train the shared small LM per tokenizer and report bits per byte")
    p.add_argument("--budget", metavar="KIND=N", help="training budget per tokenizer: flops=1e13 | bytes=5e6 | tokens=1e6 | steps=200 "
                   "(default: equal FLOPs, sized to run in seconds on a laptop CPU)")
    p.add_argument("--model-size", default="tiny", metavar="PRESET", help="model preset: tiny (default), small, medium")
    p.add_argument("--device", default="auto", help="auto (CUDA or MPS when present, else CPU), cpu, cuda, mps")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tokeff",
        description="What does my choice of tokenizer cost me, and what does it buy? "
                    "Measure compression, fertility and cross-language parity, train the same small LM "
                    "under each tokenizer at equal compute, and write tables and a PDF report.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser("analyze", help="measure tokenizers on corpora; write metrics.csv, run.json, report.pdf",
                       description="Measure tokenizers on corpora and write a results folder with a report.",
                       epilog=EPILOG_ANALYZE, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--corpus", action="append", metavar="SPEC", help="a corpus to analyse (repeatable; default: default)")
    a.add_argument("--tokenizer", action="append", metavar="SPEC",
                   help="a tokenizer to compare (repeatable; default: bytes, tiktoken:gpt2, tiktoken:cl100k_base, "
                        "tiktoken:o200k_base, train:hf-bpe:8192, train:spm-unigram:8192, train:bpe:8192)")
    a.add_argument("--out", default="results", metavar="DIR", help="results folder (default: results)")
    a.add_argument("--baseline", metavar="NAME", help="tokenizer that normalized sequence length is relative to (default: the first --tokenizer)")
    a.add_argument("--bootstrap", type=int, default=1000, metavar="B", help="bootstrap replicates for 95%% confidence intervals (0: none)")
    a.add_argument("--seed", type=int, default=0, help="seed for the bootstrap and training (default 0)")
    a.add_argument("--workers", type=int, metavar="N", help="processes for the measurement pass, the command's own included (default: one per core)")
    a.add_argument("--reference", metavar="LANG", help="language premiums are relative to (default: the corpus's own, eng for NTREX)")
    a.add_argument("--no-cache", action="store_true", help="neither read nor write the results cache (TOKEFF_CACHE)")
    a.add_argument("--refresh", action="store_true", help="recompute cached results and store the new ones")
    a.add_argument("--no-report", action="store_true", help="write the data files but no report")
    _corpus_options(a)
    _train_options(a)
    _common(a)

    s = sub.add_parser("sweep", help="train tokeff's BPE once and measure every vocabulary size as a prefix",
                       description="Vocabulary-size sweep: tokeff's BPE is trained once at the largest size on the "
                                   "train split; each smaller vocabulary is a prefix of its merge list.")
    s.add_argument("--corpus", action="append", metavar="SPEC", help="corpus (repeatable; default: default)")
    s.add_argument("--vocab", default="1024,2048,4096,8192,16384,32768", metavar="N,N,...", help="vocabulary sizes")
    s.add_argument("--pattern", default="gpt2", help="pre-tokenization: gpt2, cl100k, o200k, none, or a regex")
    s.add_argument("--out", default="results-sweep", metavar="DIR", help="results folder (default: results-sweep)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--bootstrap", type=int, default=1000, metavar="B")
    _corpus_options(s)
    _train_options(s)
    _common(s)

    t = sub.add_parser("train-bpe", help="train tokeff's byte-level BPE and save it",
                       description="Train tokeff's byte-level BPE on a corpus (all of it) and save it.")
    t.add_argument("--corpus", action="append", metavar="SPEC", required=True, help="corpus to learn from (repeatable)")
    t.add_argument("--vocab-size", type=int, required=True, metavar="N", help="target vocabulary size (>= 256 + specials)")
    t.add_argument("--pattern", default="gpt2", help="pre-tokenization: gpt2, cl100k, o200k, none, or a regex (default gpt2)")
    t.add_argument("--special", action="append", default=[], metavar="TOKEN", help="a special token (repeatable)")
    t.add_argument("--min-frequency", type=int, default=2, metavar="N", help="merge only pairs seen at least N times (default 2)")
    t.add_argument("--out", required=True, metavar="FILE", help="where to write the model")
    t.add_argument("--format", choices=("tokeff", "hf", "tiktoken"), default="tokeff",
                   help="tokeff JSON (default), HF tokenizer.json, or a tiktoken ranks file")
    _corpus_options(t)
    _common(t)

    r = sub.add_parser("report", help="rebuild the report of a results folder without recomputing",
                       description="Rebuild report.pdf and report.md from a results folder's saved data alone.")
    r.add_argument("results", metavar="RESULTS_DIR")
    _common(r)

    c = sub.add_parser("corpora", help="list the known public corpora (known:NAME)")
    _common(c)
    return parser


def _run(args: argparse.Namespace) -> int:
    from . import api

    progress = not args.no_progress
    corpus_opts = {"lines": getattr(args, "lines", False), "errors": getattr(args, "errors", "strict")}
    if getattr(args, "languages", None):
        corpus_opts["languages"] = [x.strip() for x in args.languages.split(",") if x.strip()]
    command = "python -m tokeff " + shlex.join(sys.argv[1:])
    if args.command == "analyze":
        df = api.analyze(args.tokenizer or api.DEFAULT_TOKENIZERS, args.corpus or ["default"], out=args.out,
                         train=args.train, budget=args.budget, model=args.model_size, device=args.device,
                         seed=args.seed, bootstrap=args.bootstrap, baseline=args.baseline, workers=args.workers,
                         reference_language=args.reference, cache=not args.no_cache, refresh=args.refresh,
                         progress=progress, report=not args.no_report, command=command, **corpus_opts)
        print(api.summary_table(df))
        print(f"\nwrote {Path(args.out) / 'metrics.csv'}" + ("" if args.no_report else f" and {Path(args.out) / 'report.pdf'}"))
    elif args.command == "sweep":
        sizes = _int_list(args.vocab)
        df = api.sweep(args.corpus or ["default"], sizes, pattern=args.pattern, out=args.out, train=args.train,
                       budget=args.budget, model=args.model_size, device=args.device, seed=args.seed,
                       bootstrap=args.bootstrap, progress=progress, command=command, **corpus_opts)
        print(api.summary_table(df))
        print(f"\nwrote {Path(args.out) / 'report.pdf'}")
    elif args.command == "train-bpe":
        path = api.train_bpe_cli(args.corpus, args.vocab_size, pattern=args.pattern, special_tokens=args.special,
                                 min_frequency=args.min_frequency, out=args.out, fmt=args.format,
                                 progress=progress, **corpus_opts)
        print(f"wrote {path}")
    elif args.command == "report":
        from .report import build_report

        folder = Path(args.results)
        if not (folder / "metrics.csv").exists():
            raise TokeffError(f"{folder}: no metrics.csv here; give a folder written by `python -m tokeff analyze`")
        for p in build_report(folder):
            print(f"wrote {p}")
    elif args.command == "corpora":
        from .corpus.known import list_known

        for entry in list_known():
            print(f"known:{entry['name']:<20} {entry.get('description', '')}")
    return 0


def _int_list(text: str) -> list[int]:
    try:
        return sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise TokeffError(f"--vocab {text!r}: expected whole numbers separated by commas, e.g. 1024,4096,16384") from None


#: The process that runs the command; forked measurement workers inherit the SIGINT handler.
_MAIN_PID: int | None = None


def _interrupt(signum: int, frame: object) -> None:
    """Ctrl-C: end the measurement workers, then stop this process with KeyboardInterrupt.

    A terminal sends SIGINT to the whole process group, workers included; ``kill -INT PID`` (or
    a job runner) reaches only this process. Either way the workers ignore it (a worker dying of
    KeyboardInterrupt prints its own traceback, and its pool would hand it the next corpus) and
    this process terminates them, so nothing outlives the run and no traceback is shown."""
    import multiprocessing

    if os.getpid() != _MAIN_PID:
        return  # a forked worker: the main process is about to terminate it
    for child in multiprocessing.active_children():
        child.terminate()  # SIGTERM: ends at once, silently
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.debug:
        warnings.filterwarnings("default")
        warnings.formatwarning = lambda msg, cat, *a, **k: f"tokeff: warning: {msg}\n"
    global _MAIN_PID
    if argv is None and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        _MAIN_PID = os.getpid()
        signal.signal(signal.SIGINT, _interrupt)  # the command line only: a notebook keeps its own handler
    try:
        return _run(args)
    except TokeffError as e:
        if args.debug:
            raise
        print(f"tokeff: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("tokeff: interrupted; files already written are complete (rerun to redo the rest)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
