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

from .errors import TokeffError, missing_dependency

def _spec_lines(rows: list[tuple[str, str]], width: int = 78) -> list[str]:
    """``  FORM   what it is``, wrapped under a 25-column gutter."""
    import textwrap

    out = []
    for form, text in rows:
        body = textwrap.wrap(text.replace("`", ""), width - 25, break_on_hyphens=False) or [""]
        if len(form) > 21:
            out.append(f"  {form}")
            out += [" " * 25 + line for line in body]
        else:
            out.append(f"  {form:<21}  {body[0]}")
            out += [" " * 25 + line for line in body[1:]]
    return out


def study_epilog() -> str:
    from .vocab_study import PRESETS

    lines = ["presets:"]
    for p in PRESETS.values():
        lines += _spec_lines([(p.name, f"{p.help} (--model-size {p.model}, --budget {p.budget}, --seeds {p.seeds})")])
    lines += ["", "examples:", "  python -m tokeff study --corpus known:gutenberg-en --preset cpu",
              "  python -m tokeff study --corpus my.txt --vocab 1024,4096 --seeds 2 --budget flops=1e12",
              "  python -m tokeff study --corpus my.txt --budgets 1e12,4e12,1.6e13"]
    return "\n".join(lines) + "\n"


def analyze_epilog() -> str:
    """The specs and examples under ``analyze --help``, from the registries."""
    from .adapters.registry import spec_help
    from .corpus.registry import specs
    from .metrics.registry import PROFILES, families

    measured = ", ".join(f.name for f in families() if f.accumulator is not None)
    lines = ["corpus specs:", *_spec_lines([(s.form, s.help) for s in specs()]), "",
             "tokenizer specs:", *_spec_lines(spec_help()), "",
             f"metric families (--metrics): {measured}; profiles: {', '.join(PROFILES)}", "",
             "Every metric is measured on the held-out eval split (a deterministic 20% of documents), the",
             "same text for every tokenizer. Tokenizers that cannot be loaded offline are skipped with a note.",
             "", "examples:", "  python -m tokeff analyze",
             "  python -m tokeff analyze --corpus parallel:../shared/corpora/ntrex128 \\",
             "      --tokenizer tiktoken:cl100k_base --tokenizer spm:mistral.model --out ntrex",
             "  python -m tokeff analyze --train --budget flops=2e12 --model-size tiny"]
    return "\n".join(lines) + "\n"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--debug", action="store_true", help="show full tracebacks for errors")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _corpus_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lines", action="store_true", help="in .txt corpora, one document per line (default: per blank-line-separated block)")
    p.add_argument("--errors", choices=("strict", "replace"), default="strict",
                   help="invalid UTF-8: stop with its byte offset (strict, default) or replace it with U+FFFD")
    p.add_argument("--languages", metavar="L,L,...", help="read only these languages of parallel corpora, e.g. eng,deu,zho-CN")


def _train_options(p: argparse.ArgumentParser, study: bool = False) -> None:
    from .lm.config import PRESETS

    if not study:
        p.add_argument("--train", action="store_true",
                       help="also train the shared small LM per tokenizer and report bits per byte")
    p.add_argument("--budget", metavar="KIND=N", help="training budget per tokenizer: flops=1e13 | bytes=5e6 | tokens=1e6 | steps=200 "
                   "(default: equal FLOPs, sized to run in seconds on a laptop CPU)")
    p.add_argument("--model-size", default=None if study else "tiny", metavar="PRESET",
                   help=f"model preset: {', '.join(PRESETS)} (default tiny)")
    p.add_argument("--device", default=None if study else "auto",
                   help="auto (CUDA or MPS when present, else CPU), cpu, cuda, mps")
    p.add_argument("--eval-bytes", type=int, metavar="N",
                   help="evaluation text per corpus for the LM, in UTF-8 bytes (default 4000; the study's presets set more)")
    p.add_argument("--loss", metavar="SPEC,SPEC,...",
                   help="training losses (default ce, the fixed one): e.g. ce,label-smoothing:0.1,z-loss:1e-4,focal:2; "
                        "with several, every tokenizer is trained under each and the report says whether the ranking "
                        "changes (evaluation is always cross-entropy)")
    p.add_argument("--seeds", metavar="N|S,S,...", type=_seeds,
                   help="training seeds (model initialisation and data order): a count (3: seeds 0, 1, 2) or a list; "
                        "rankings need at least 2 (default: --seed alone)")


def _seeds(text: str) -> int | list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: a number of seeds (3) or seeds separated by commas (0,1,2)") from None
    if not values:
        raise argparse.ArgumentTypeError("give a number of seeds or a list")
    return values[0] if len(values) == 1 and "," not in text else values


def _engine_options(p: argparse.ArgumentParser) -> None:
    from .engine import ENGINES

    p.add_argument("--engine", default="local", choices=ENGINES.names(),
                   help="; ".join(f"{e.name}: {e.help}" for e in ENGINES))
    p.add_argument("--workers", type=int, metavar="N",
                   help="processes (local engine, the command's own included) or workers (a local Dask cluster); "
                        "default: one per core")
    p.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler to run on (default: a cluster on this machine)")


def build_parser() -> argparse.ArgumentParser:
    from .adapters.trained import TRAIN_BPE_PATTERN
    from .bpe.patterns import PRESETS as BPE_PRESETS
    from .probes.experiment import KINDS as PROBES
    from .settings import DEFAULT_TOKENIZERS

    parser = argparse.ArgumentParser(
        prog="python -m tokeff",
        description="What does my choice of tokenizer cost me, and what does it buy? "
                    "Measure compression, fertility and cross-language parity, train the same small LM "
                    "under each tokenizer at equal compute, and write tables and a PDF report.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser("analyze", help="measure tokenizers on corpora; write metrics.csv, run.json, report.pdf",
                       description="Measure tokenizers on corpora and write a results folder with a report.",
                       epilog=analyze_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--corpus", action="append", metavar="SPEC", help="a corpus to analyse (repeatable; default: default)")
    a.add_argument("--tokenizer", action="append", metavar="SPEC",
                   help=f"a tokenizer to compare (repeatable; default: {', '.join(DEFAULT_TOKENIZERS)})")
    a.add_argument("--out", default="results", metavar="DIR", help="results folder (default: results)")
    a.add_argument("--baseline", metavar="NAME", help="tokenizer that normalized sequence length is relative to (default: the first --tokenizer)")
    a.add_argument("--bootstrap", type=int, default=1000, metavar="B", help="bootstrap replicates for 95%% confidence intervals (0: none)")
    a.add_argument("--seed", type=int, default=0, help="seed for the bootstrap and training (default 0)")
    a.add_argument("--reference", metavar="LANG", help="language premiums are relative to (default: the corpus's own, eng for NTREX)")
    a.add_argument("--metrics", metavar="PROFILE",
                   help="what to measure: all, compression (bytes, characters and tokens only: the cheapest pass), or "
                        "metric families separated by commas (see below); default: all, but compression past 1 GiB "
                        "of measured text")
    a.add_argument("--no-cache", action="store_true", help="neither read nor write the results cache (TOKEFF_CACHE)")
    a.add_argument("--refresh", action="store_true", help="recompute cached results and store the new ones")
    a.add_argument("--no-report", action="store_true", help="write the data files but no report")
    _corpus_options(a)
    _engine_options(a)
    _train_options(a)
    _common(a)

    s = sub.add_parser("sweep", help="train tokeff's BPE once and measure every vocabulary size as a prefix",
                       description="Vocabulary-size sweep: tokeff's BPE is trained once at the largest size on the "
                                   "train split; each smaller vocabulary is a prefix of its merge list.")
    s.add_argument("--corpus", action="append", metavar="SPEC", help="corpus (repeatable; default: default)")
    s.add_argument("--vocab", default="1024,2048,4096,8192,16384,32768", metavar="N,N,...", help="vocabulary sizes")
    s.add_argument("--pattern", default=TRAIN_BPE_PATTERN,
                   help=f"pre-split: {', '.join(BPE_PRESETS)}, or a regex (default {TRAIN_BPE_PATTERN}, as train:bpe)")
    s.add_argument("--out", default="results-sweep", metavar="DIR", help="results folder (default: results-sweep)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--bootstrap", type=int, default=1000, metavar="B")
    _corpus_options(s)
    _train_options(s)
    _common(s)

    st = sub.add_parser("study", help="bits per byte against vocabulary size at equal compute, with seeds and intervals",
                        description="Train tokeff's BPE once at the largest vocabulary, train the shared LM under every "
                                    "prefix vocabulary (and under the other tokenizers named) at equal compute with "
                                    "seeds, and report bits per byte against vocabulary size with intervals, the best "
                                    "vocabulary per budget, and Spearman's rho between compression and bits per byte.",
                        epilog=study_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    st.add_argument("--corpus", action="append", metavar="SPEC", help="corpus (repeatable; default: default)")
    st.add_argument("--vocab", default="1024,4096,16384", metavar="N,N,...", help="vocabulary sizes (default 1024,4096,16384)")
    st.add_argument("--tokenizer", action="append", metavar="SPEC",
                    help="another tokenizer to train beside the vocabularies (repeatable; default: bytes)")
    st.add_argument("--preset", metavar="NAME", help="settings sized for the hardware: cpu, gpu (see below)")
    st.add_argument("--budgets", metavar="B,B,...", help="several budgets (FLOPs, e.g. 1e12,4e12,1.6e13): the sweep "
                                                          "is repeated at each to see how the best vocabulary moves")
    st.add_argument("--pattern", default=TRAIN_BPE_PATTERN,
                    help=f"the BPE's pre-split: {', '.join(BPE_PRESETS)}, or a regex (default {TRAIN_BPE_PATTERN}, as train:bpe)")
    st.add_argument("--out", default="results-study", metavar="DIR", help="results folder (default: results-study)")
    st.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (training seeds: --seeds)")
    st.add_argument("--bootstrap", type=int, default=1000, metavar="B")
    st.add_argument("--no-cache", action="store_true", help="neither read nor write the results cache")
    st.add_argument("--refresh", action="store_true", help="recompute cached results and store the new ones")
    st.add_argument("--no-report", action="store_true", help="write the data files but no report")
    _corpus_options(st)
    _engine_options(st)
    _train_options(st, study=True)
    _common(st)

    pr = sub.add_parser("probe", help="a small task where tokenization matters, scored on what a trained model writes",
                        description="The arithmetic probe: tokeff's BPE with different number pre-splits (digits, "
                                    "l2r3 = groups of three from the left, r2l3 = from the right, gpt2 = no number "
                                    "rule) trains the same small LM on the same addition problems under the same "
                                    "budget and loss; greedy completions of held-out problems, longer operands "
                                    "included, are scored by exact match and per-digit accuracy.")
    pr.add_argument("kind", choices=PROBES, help="the probe")
    pr.add_argument("--tokenizer", action="append", metavar="SPEC",
                    help="digits, l2r3, r2l3, gpt2 (or any BPE pattern preset), bytes (repeatable; default the four "
                         "number pre-splits)")
    pr.add_argument("--budget", default=None, metavar="KIND=N", help="training budget per run (default flops=1e13)")
    pr.add_argument("--loss", default="ce", metavar="SPEC,SPEC,...", help="training losses (default ce)")
    pr.add_argument("--seeds", metavar="N|S,S,...", type=_seeds, default=3, help="model seeds (default 3)")
    pr.add_argument("--vocab-size", type=int, default=1024, metavar="N", help="BPE vocabulary size (default 1024)")
    pr.add_argument("--device", default="auto", help="auto (CUDA or MPS when present, else CPU), cpu, cuda, mps")
    pr.add_argument("--out", default="results-probe", metavar="DIR", help="results folder (default: results-probe)")
    pr.add_argument("--no-report", action="store_true", help="write the data files but no report")
    _common(pr)

    t = sub.add_parser("train-bpe", help="train tokeff's byte-level BPE and save it",
                       description="Train tokeff's byte-level BPE on a corpus (all of it) and save it.")
    t.add_argument("--corpus", action="append", metavar="SPEC", required=True, help="corpus to learn from (repeatable)")
    t.add_argument("--vocab-size", type=int, required=True, metavar="N", help="target vocabulary size (>= 256 + specials)")
    t.add_argument("--pattern", default="gpt2", help=f"pre-split: {', '.join(BPE_PRESETS)}, or a regex (default gpt2)")
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


def _options(args: argparse.Namespace) -> dict:
    """The flat settings keywords (:data:`tokeff.settings.KEYWORDS`) the parsed arguments give."""
    opts: dict = {"progress": not args.no_progress}
    for arg, key in (("lines", "lines"), ("errors", "errors"), ("seed", "seed"), ("bootstrap", "bootstrap"),
                     ("baseline", "baseline"), ("reference", "reference_language"), ("metrics", "metrics"),
                     ("engine", "engine"), ("workers", "workers"), ("scheduler", "scheduler"),
                     ("train", "train"), ("budget", "budget"), ("model_size", "model"), ("device", "device"),
                     ("seeds", "seeds"), ("loss", "losses"), ("eval_bytes", "eval_bytes")):
        if getattr(args, arg, None) is not None:
            opts[key] = getattr(args, arg)
    if getattr(args, "languages", None):
        opts["languages"] = [x.strip() for x in args.languages.split(",") if x.strip()]
    if hasattr(args, "no_cache"):
        opts["cache"] = not args.no_cache
        opts["refresh"] = args.refresh
    if hasattr(args, "no_report"):
        opts["report"] = not args.no_report
    return opts


def _run(args: argparse.Namespace) -> int:
    from . import api
    from .settings import DEFAULT_TOKENIZERS

    command = "python -m tokeff " + shlex.join(sys.argv[1:])
    if args.command == "analyze":
        result = api.analyze(args.tokenizer or DEFAULT_TOKENIZERS, args.corpus or ["default"], out=args.out,
                             command=command, **_options(args))
        if not _reports():
            return 0
        print(api.summary_table(result))
        print(f"\nwrote {Path(args.out) / 'metrics.csv'}" + ("" if args.no_report else f" and {Path(args.out) / 'report.pdf'}"))
    elif args.command == "sweep":
        sizes = _int_list(args.vocab)
        result = api.sweep(args.corpus or ["default"], sizes, pattern=args.pattern, out=args.out, command=command,
                           **_options(args))
        if not _reports():
            return 0
        print(api.summary_table(result))
        print(f"\nwrote {Path(args.out) / 'report.pdf'}")
    elif args.command == "study":
        from .vocab_study import study

        result = study(args.corpus or ["default"], _int_list(args.vocab), tokenizers=args.tokenizer or ["bytes"],
                       preset=args.preset, budgets=args.budgets, pattern=args.pattern, out=args.out, command=command,
                       **{k: v for k, v in _options(args).items() if k != "train"})
        if not _reports():
            return 0
        print(api.summary_table(result, ("bytes_per_token", "bits_per_byte", "bits_per_byte_seed_sd")))
        grows = (result.record.study or {}).get("optimum_grows_with_compute", "")
        print(f"\nbest vocabulary grows with compute? {grows}")
        print(f"wrote {Path(args.out) / 'study.csv'}" + ("" if args.no_report else f" and {Path(args.out) / 'report.pdf'}"))
    elif args.command == "probe":
        from .probes.experiment import probe
        from .probes.run import NUMBER_TOKENIZERS, PROBE_BUDGET, summarize
        from .settings import seed_list

        result = probe(args.kind, args.tokenizer or list(NUMBER_TOKENIZERS), budget=args.budget or PROBE_BUDGET,
                       losses=[x for x in args.loss.split(",") if x.strip()], seeds=seed_list(args.seeds),
                       vocab_size=args.vocab_size, device=args.device, out=args.out, progress=not args.no_progress,
                       report=not args.no_report, command=command)
        table = summarize(result.scores).pivot_table(index=["tokenizer", "loss"], columns="digits", values="mean",
                                                     sort=False)
        print("exact match on held-out addition (mean over seeds), by operand length:")
        print(table.to_string(float_format=lambda v: f"{v:.0%}"))
        print(f"\nwrote {Path(args.out) / 'probe_scores.csv'}" + ("" if args.no_report else f" and {Path(args.out) / 'report.pdf'}"))
    elif args.command == "train-bpe":
        read = {k: v for k, v in _options(args).items() if k in ("lines", "errors", "languages")}
        path = api.train_bpe_file(args.corpus, args.vocab_size, pattern=args.pattern, special_tokens=args.special,
                                  min_frequency=args.min_frequency, out=args.out, fmt=args.format,
                                  progress=not args.no_progress, **read)
        print(f"wrote {path}")
    elif args.command == "report":
        from .reporting import build_report

        for p in build_report(Path(args.results)):
            print(f"wrote {p}")
    elif args.command == "corpora":
        from .corpus.known import list_known

        for entry in list_known():
            print(f"known:{entry['name']:<20} {entry.get('description', '')}")
    return 0


def _reports() -> bool:
    """Whether this process prints the summary: always, but under torchrun only rank 0."""
    return os.environ.get("RANK", "0") == "0"


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
    try:
        parser = build_parser()
    except ModuleNotFoundError as e:
        if "--debug" in (argv if argv is not None else sys.argv):
            raise
        return missing_dependency(e)
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
    except ModuleNotFoundError as e:
        if args.debug or (e.name or "").partition(".")[0] == "tokeff":
            raise
        return missing_dependency(e)
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("tokeff: interrupted; files already written are complete (rerun to redo the rest)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
