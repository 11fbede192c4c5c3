"""What tokeff's analysis pass costs over the library's own encode, and the compression-only target.

Run on demand (not a test), from the repository root::

    python bench/analyze_throughput.py [--mb 10] [--shared ../shared] [--workers 2] [--doc-lines 1] [--from-files]

For tiktoken cl100k_base, HF gpt2 (byte-level BPE from ``vocab.json``/``merges.txt``) and the
SentencePiece model of the shared folder, it times the bare library's encode of the same texts
two ways, its batch call as it comes and its cheapest one-thread encode (as tokeff's workers call
it), then tokeff's ``measure`` three ways: every metric, without the word family, and the
**compression-only profile** (bytes, characters and tokens; see :func:`compression_profile`).
Ratios are CPU time (all threads and worker processes) of tokeff over the bare library's: "x
batch" and "x cheapest" (tiktoken's batch call starts a thread pool per call, which on short texts
costs more than the encoding, so "x batch" flatters tokeff). The target is the compression-only
profile at <= 1.15x cheapest; it is printed beside it at the end, with what running in that many
processes costs the library alone (its one-thread encode split over as many forked processes at
once: the floor a pass with workers starts from). Last, the three tokenizers in one run against
the sum of their bare encodes. tokeff runs as ``tokeff analyze`` does: one process
per core, the one that reads and deals the chunks measuring too.

A second table splits the CPU of each pass in one process and thread by who spends it: what the
metrics ask of the library (the texts; each distinct word alone, for standalone fertility; the
round trips the C comparison of pieces and bytes cannot vouch for), tokeff's own work, and the
once-per-measurement finish; its "x cheapest" beside the first table's shows what the worker
processes add.

The text is NTREX-128, the first lines of every language, one line per document (``--doc-lines
k``: k lines of one language per document), in memory on both sides; ``--from-files``: both sides
read all of NTREX-128 from its files on every run, as ``tokeff analyze`` does. The bench's
README (``bench/README.md``) says what each column means and what was measured.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tokeff import _native  # noqa: E402
from tokeff.analysis import MetricSettings, measure  # noqa: E402
from tokeff.corpus.core import Corpus, Document  # noqa: E402
from tokeff.env import setenv  # noqa: E402
from tokeff.text import segment  # noqa: E402


def load_lines(shared: Path, mb: float) -> list[Document]:
    """The first k lines of every NTREX-128 language, language after language (as the parallel
    corpus reader yields them; its ``doc_id`` is the line number, shared across languages), k
    chosen to make about ``mb`` megabytes; the whole set repeated under new ids if more is asked
    for than NTREX holds. The languages are those the project's reader finds (metadata files such
    as ``SOURCE.txt`` are not text to measure, and would set k to their 10 lines)."""
    from tokeff.corpus.sources import parallel_corpus

    per_lang: dict[str, list[Document]] = {}
    for d in parallel_corpus(shared / "corpora" / "ntrex128").documents():
        per_lang.setdefault(d.language, []).append(d)
    total = sum(len(d.text.encode("utf-8")) for lines in per_lang.values() for d in lines)
    longest = max(map(len, per_lang.values()))
    k = max(1, min(longest, int(longest * mb * 1e6 / total) + 1))
    base = [d for lines in per_lang.values() for d in lines[:k]]
    docs, size, rep = list(base), sum(len(d.text.encode("utf-8")) for d in base), 1
    while size < mb * 1e6:
        docs += [Document(d.text, d.language, f"{d.doc_id}.{rep}") for d in base]
        size += sum(len(d.text.encode("utf-8")) for d in base)
        rep += 1
    return docs


def join_lines(docs: list[Document], k: int) -> list[Document]:
    """Documents of ``k`` consecutive lines of one language each (joined by newlines, named by
    their first line): the same text as longer documents, as articles or books come."""
    out: list[Document] = []
    for d in docs:
        last = out[-1] if out else None
        if last is not None and last.language == d.language and last.text.count("\n") < k - 1:
            out[-1] = Document(last.text + "\n" + d.text, d.language, last.doc_id)
        else:
            out.append(d)
    return out


def libraries(shared: Path):
    """(name, bare batch encode, bare one-thread encode, tokeff Tokenizer) for each library.

    The batch call is the library's own (tiktoken and SentencePiece with a thread per core, HF
    with its own pool). The one-thread encode is the cheapest way the library encodes the same
    texts on one thread, as each of tokeff's workers calls it: tiktoken's ``encode_ordinary`` in
    a loop (its batch call starts a thread pool per call, which on short texts costs more than
    the encoding), HF's ``encode_batch`` with its pool off, SentencePiece with ``num_threads=1``.
    Both give the ids as lists of ints, as tokeff needs them: HF's ``.ids`` of each Encoding are
    read (tiktoken and SentencePiece return the lists themselves).
    """
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(shared / "tokenizers" / "tiktoken"))
    from tokeff.adapters import load_tokenizer

    out = []
    import tiktoken

    enc = tiktoken.get_encoding("cl100k_base")
    threads = max(1, os.cpu_count() or 1)  # as the tiktoken adapter calls it
    out.append(("tiktoken cl100k_base", lambda texts: enc.encode_ordinary_batch(texts, num_threads=threads),
                lambda texts: [enc.encode_ordinary(t) for t in texts], load_tokenizer("tiktoken:cl100k_base")))

    from tokenizers import Tokenizer as HFTok
    from tokenizers.decoders import ByteLevel as ByteLevelDecoder
    from tokenizers.models import BPE
    from tokenizers.pre_tokenizers import ByteLevel

    from tokeff.adapters.hf import HFTokenizer

    hf_dir = shared / "tokenizers" / "hf" / "gpt2"
    hf = HFTok(BPE.from_file(str(hf_dir / "vocab.json"), str(hf_dir / "merges.txt")))
    hf.pre_tokenizer = ByteLevel(add_prefix_space=False)
    hf.decoder = ByteLevelDecoder()

    # HF gives Encoding objects: the ids are read off them (0.4-0.9 s per 10 MB here), as every
    # caller that wants ids does; tiktoken and SentencePiece return the id lists themselves
    def hf_batch(texts):
        return [e.ids for e in hf.encode_batch(texts, add_special_tokens=False)]

    def hf_one_thread(texts):
        with hf_parallelism(False):
            return hf_batch(texts)

    out.append(("HF gpt2", hf_batch, hf_one_thread, HFTokenizer("gpt2", hf, name="hf:gpt2")))

    import sentencepiece as spm

    model = shared / "tokenizers" / "spm" / "mistral-7b-v0.1.model"
    sp = spm.SentencePieceProcessor(model_file=str(model))
    out.append(("sentencepiece mistral-7b", lambda texts: sp.encode(texts, out_type=int),
                lambda texts: sp.encode(texts, out_type=int, num_threads=1), load_tokenizer(f"spm:{model}")))
    return out


#: The compression-only profile's target: CPU time over the library's cheapest bare encode.
COMPRESSION_TARGET = 1.15


def compression_profile() -> tuple[MetricSettings, bool]:
    """The settings of the compression-only profile (bytes, characters and tokens only), and
    whether they are an approximation of it."""
    # SWITCH TO THE REAL PROFILE HERE: this takes the metric-family selection once MetricSettings
    # has it, and falls back to turning off the two costliest families.
    try:
        return MetricSettings(split="all", families=("compression",)), False  # type: ignore[call-arg]
    except TypeError:
        return MetricSettings(split="all", word_metrics=False, roundtrip=False), True


def hf_parallelism(on: bool):
    """HF ``tokenizers`` with its thread pool on or off (it reads the variable at every call)."""
    return setenv("TOKENIZERS_PARALLELISM", "true" if on else "false")


def _cpu() -> float:
    """CPU seconds of this process (all threads) and of its finished children (tokeff's forked
    workers, reaped when its pool shuts down): with ``--workers 2`` the work is in both."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its children) of one call."""
    w, c = time.perf_counter(), _cpu()
    fn()
    return time.perf_counter() - w, _cpu() - c


class Stopwatch:
    """CPU seconds per category of calls; a call made inside another timed call belongs to the
    outer one (the words' ``encode_batch`` is word encoding). One process, one thread, so
    ``time.process_time`` is exactly the CPU the calls spend."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._depth = 0

    def wrap(self, category: str, fn):
        def timed_call(*a, **k):
            if self._depth:
                return fn(*a, **k)
            self._depth += 1
            start = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                self._depth -= 1
                self.seconds[category] = self.seconds.get(category, 0.0) + time.process_time() - start
        return timed_call


def breakdown(tok, corpus: Corpus, settings: MetricSettings) -> tuple[float, dict[str, float]]:
    """(CPU seconds of one measurement with ``settings``, exclusive CPU seconds of the library
    calls in it by purpose): in this process, one thread, as each of tokeff's processes runs.
    The library's calls are the texts' encoding, each distinct word's encoding (standalone
    fertility, Rust et al. 2021) and the round trip's decoding of the texts that the C comparison
    of pieces and bytes cannot vouch for (the comparison itself is tokeff's own work). The
    finish (intervals and rows, once per measurement) is timed apart, as part of tokeff's own."""
    from tokeff import analysis
    from tokeff.adapters import base

    watch = Stopwatch()
    saved = (base.threads, analysis.finish)
    base.threads = 1  # as in the worker processes
    analysis.finish = watch.wrap("finish", saved[1])
    # instance attributes, removed below
    tok.encode_batch = watch.wrap("encode", tok.encode_batch)
    tok.encode_words = watch.wrap("words", tok.encode_words)
    tok.decode_batch = watch.wrap("roundtrip", tok.decode_batch)
    try:
        with hf_parallelism(False):
            _, cpu = timed(lambda: measure([corpus], [tok], settings=settings, workers=1, progress=False))
    finally:
        del tok.encode_batch, tok.encode_words, tok.decode_batch
        base.threads, analysis.finish = saved
    return cpu, watch.seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=10.0)
    ap.add_argument("--shared", default=os.environ.get("TOKEFF_SHARED", str(REPO.parent / "shared")))
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="tokeff's processes, the measuring one included (default: one per core, as tokeff analyze runs)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--doc-lines", type=int, default=1,
                    help="lines per document (default 1: every NTREX line is a document)")
    ap.add_argument("--from-files", action="store_true",
                    help="both sides read all of NTREX-128 from its files on every run, as `tokeff analyze` does "
                         "(--mb and --doc-lines then do not apply)")
    args = ap.parse_args()
    if args.from_files and args.doc_lines != 1:
        ap.error("--doc-lines does not apply with --from-files (NTREX's files are one line per document)")
    shared = Path(args.shared)
    from tokeff.corpus.sources import parallel_corpus

    ntrex = parallel_corpus(shared / "corpora" / "ntrex128")
    docs = list(ntrex.documents()) if args.from_files else join_lines(load_lines(shared, args.mb), args.doc_lines)
    texts = [d.text for d in docs]
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    corpus = ntrex if args.from_files else Corpus("bench", lambda: iter(docs), parallel=False)
    print(f"{len(docs):,} documents of {args.doc_lines} line(s), {mb:.1f} MB of NTREX-128 ({len({d.language for d in docs})} languages); "
          f"tokeff workers={args.workers}; C core {'built' if _native.core is not None else 'NOT built'}")
    wall, cpu = timed(lambda: sum(1 for _ in ntrex.documents()))
    if args.from_files:
        # As a real run: both sides read the files on every run (tokeff: this process reads and
        # deals chunks to its workers; bare: read, then batch-encode each 512 lines)
        print(f"bare and tokeff both read NTREX-128 from disk on every run (reading alone: {wall:.2f} s wall, "
              f"{cpu:.2f} s CPU); the breakdown's 'own' includes it")
    else:
        # Apples to apples: both sides get the same list of texts already in memory (tokeff
        # through a Corpus over that list), so neither side's time includes reading files.
        print(f"bare and tokeff both start from the texts in memory; reading all of NTREX-128 from disk "
              f"takes {wall:.2f} s wall ({cpu:.2f} s CPU) on top, in a real run")
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    profile, approximated = compression_profile()
    variants = {
        "all metrics": MetricSettings(split="all"),
        "no word metrics": MetricSettings(split="all", word_metrics=False),
        "compression only": profile,
    }
    if approximated:
        print("'compression only' is approximated by word_metrics=False, roundtrip=False (coverage, unigram and "
              "parity counts still run): tokeff has no compression-only profile yet")
    print("MB/s is wall-clock. Ratios are CPU seconds (all threads and worker processes) of tokeff over the bare "
          "library's: 'x batch' against its batch call, 'x cheapest' against the cheaper of that and its "
          "one-thread encode (what tokeff really adds to encoding the texts).")
    header = (f"{'library':26} {'batch MB/s':>10} {'1-thread MB/s':>13}  "
              + "  ".join(f"{k + ': MB/s, x batch, x cheapest':>46}" for k in variants))
    print(header)
    chunks = [texts[i:i + 512] for i in range(0, len(texts), 512)]
    del texts  # the bare side's chunks hold them (or, from files, read them anew)

    def read_chunks():
        batch: list[str] = []
        for d in ntrex.documents():
            batch.append(d.text)
            if len(batch) == 512:
                yield batch
                batch = []
        if batch:
            yield batch

    libs = libraries(shared)
    all_three = ("all three in one run", None, None, [tok for *_, tok in libs])

    def bare_run(bare):
        # each chunk's ids are dropped as the next chunk is encoded, as tokeff drops them: holding
        # all of them would make the bare run allocate ever more memory and flatter tokeff
        def run():
            for c in (read_chunks() if args.from_files else chunks):
                bare(c)
        return run

    def forked_run(bare, n):
        # the bare one-thread encode split over n forked processes at once (process k takes every
        # n-th chunk), as tokeff's workers split the chunks: what running in several processes
        # costs the library itself, before tokeff adds anything
        def run():
            pids = []
            for k in range(n):
                with hf_parallelism(False):  # else HF warns in each child that it turns its pool off
                    pid = os.fork()
                if pid == 0:
                    status = 1
                    try:
                        for i, c in enumerate(read_chunks() if args.from_files else chunks):
                            if i % n == k:
                                bare(c)
                        status = 0
                    finally:
                        os._exit(status)
                pids.append(pid)
            if any(os.waitpid(pid, 0)[1] for pid in pids):
                raise SystemExit("the bare encode failed in a forked process")
        return run

    def tokeff_run(toks, settings):
        return lambda: measure([corpus], toks, settings=settings, workers=args.workers, progress=False)

    # The machine's load varies: time bare and tokeff alternately and keep the best of each.
    # MB/s is wall-clock; the ratio is of CPU time (all threads of this process and its worker
    # processes), which other processes competing for the cores do not inflate.
    bare_times: dict[str, dict[str, tuple[float, float]]] = {}
    with_workers: dict[tuple[str, str], float] = {}  # (library, pass) -> x cheapest, for the second table
    forked_floor: dict[str, float] = {}  # library -> its one-thread encode in args.workers processes, x cheapest
    for name, batch, one_thread, tok in libs + [all_three]:
        runs = {"batch": bare_run(batch), "one thread": bare_run(one_thread)} if batch else {}
        if batch and args.workers > 1 and hasattr(os, "fork"):
            runs["forked"] = forked_run(one_thread, args.workers)
        runs.update({k: tokeff_run(tok if isinstance(tok, list) else [tok], v) for k, v in variants.items()})
        best = {k: (float("inf"), float("inf")) for k in runs}
        for _ in range(args.repeat):
            for k, fn in runs.items():
                wall, cpu = timed(fn)
                best[k] = (min(best[k][0], wall), min(best[k][1], cpu))
        if batch:
            bare_times[name] = {k: best[k] for k in ("batch", "one thread")}
            if "forked" in best:
                forked_floor[name] = best["forked"][1] / min(best["batch"][1], best["one thread"][1])
        # the three together are compared with the sum of the three bare encodes
        ref = {k: tuple(sum(t[k][i] for t in bare_times.values()) for i in (0, 1)) for k in ("batch", "one thread")} \
            if not batch else bare_times[name]
        cheapest = min(ref["batch"][1], ref["one thread"][1])
        size = mb if batch else 3 * mb
        cells = [f"{size / best[k][0]:8.2f} {best[k][1] / ref['batch'][1]:6.2f}x {best[k][1] / cheapest:6.2f}x"
                 for k in variants]
        with_workers.update({(name, k): best[k][1] / cheapest for k in variants})
        print(f"{name:26} {size / ref['batch'][0]:10.2f} {size / ref['one thread'][0]:13.2f}  "
              + "  ".join(f"{c:>46}" for c in cells), flush=True)

    # Where the CPU goes: the library's own calls (the texts, then what two of the metrics need by
    # definition: every distinct word encoded alone, every text's round trip), and what is left,
    # tokeff's own work (counting, words, accumulators, bootstrap), of which the finish (intervals
    # and rows, once per measurement whatever the corpus size) is shown apart. In one process
    # and thread, so the last column against the first table's "x cheapest" is what the worker
    # processes add (forking, shipping text and states, merging).
    print("\nCPU seconds in one process and thread, by who spends them. 'library' is what the metrics ask of "
          "the library (the texts, each distinct word alone, the round trips it must decode); 'own' is "
          "everything else, 'finish' the part of it spent once per measurement; 'x cheapest' is the total over "
          "the cheapest bare encode of the texts, and 'with workers' the same from the first table:")
    print(f"{'library':26} {'pass':24} {'cheapest':>8} {'encode':>8} {'+ words':>8} {'+ round trip':>12} "
          f"{'= library':>9} {'own':>6} {'finish':>6} {'own / library':>13} {'x cheapest':>10} {'with workers':>12}")
    one_process: dict[tuple[str, str], float] = {}
    for name, *_, tok in libs:
        cheapest = min(t[1] for t in bare_times[name].values())
        for variant, settings in variants.items():
            cpu, spent = min((breakdown(tok, corpus, settings) for _ in range(args.repeat)), key=lambda r: r[0])
            encode, words, roundtrip, finish = (spent.get(k, 0.0) for k in ("encode", "words", "roundtrip", "finish"))
            library = encode + words + roundtrip
            own = cpu - library
            one_process[name, variant] = cpu / cheapest
            print(f"{name:26} {variant:24} {cheapest:8.2f} {encode:8.2f} {words:8.2f} {roundtrip:12.2f} "
                  f"{library:9.2f} {own:6.2f} {finish:6.2f} {own / library:12.0%} {cpu / cheapest:9.2f}x "
                  f"{with_workers[name, variant]:11.2f}x", flush=True)
    print(f"\nThe compression-only profile's CPU time over the library's cheapest bare encode, target <= "
          f"{COMPRESSION_TARGET}x{' (approximated profile)' if approximated else ''}: as tokeff analyze runs it "
          f"(one process per core), and in one process:")
    for name, *_ in libs:
        ratio = with_workers[name, "compression only"]
        floor = (f"; the library alone in {args.workers} forked processes {forked_floor[name]:5.2f}x"
                 if name in forked_floor else "")
        print(f"  {name:26} {ratio:5.2f}x ({'met' if ratio <= COMPRESSION_TARGET else 'NOT met'}); "
              f"in one process {one_process[name, 'compression only']:5.2f}x{floor}")
    distinct = len(dict.fromkeys(w for d in docs for w in segment(d.text)[0]))
    print(f"({distinct:,} distinct words, encoded once each per tokenizer)")
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
