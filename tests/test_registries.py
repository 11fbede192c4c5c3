"""The registries are the single source of names: a family added in one module reaches the
analysis pass, the CLI help, the README tables, the report and the run record."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

import tokeff
from tokeff import docs
from tokeff.adapters import load_tokenizer
from tokeff.adapters.base import Tokenizer
from tokeff.adapters.registry import FAMILIES as TOKENIZER_FAMILIES
from tokeff.adapters.registry import TokenizerFamily, prefixed
from tokeff.cache import ResultsCache
from tokeff.cli import analyze_epilog
from tokeff.corpus.core import Corpus, Document
from tokeff.engine import get_engine
from tokeff.errors import TokeffError
from tokeff.metrics.base import Accumulator, MetricRow, RowContext, Strata
from tokeff.metrics.batch import EncodedBatch
from tokeff.metrics.registry import FAMILIES as METRIC_FAMILIES
from tokeff.metrics.registry import Metric, MetricFamily, resolve_profile
from tokeff.metrics.settings import MetricSettings
from tokeff.reporting.data import metric_label
from tokeff.reporting.names import short_names
from tokeff.settings import Settings, TrainSettings

REPO = Path(__file__).resolve().parents[1]


def test_the_readme_tables_are_the_registries():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert docs.rendered(readme) == readme, "README tables differ from the registries: run python -m tokeff.docs"


def test_a_registry_finds_a_new_module_of_its_package(tmp_path: Path, monkeypatch):
    package = tmp_path / "plugins_demo"
    package.mkdir()
    (package / "__init__.py").write_text("from tokeff.registry import Registry\nTHINGS = Registry('thing', discover='plugins_demo')\n")
    (package / "newone.py").write_text(textwrap.dedent("""
        from dataclasses import dataclass
        from . import THINGS

        @dataclass
        class Thing:
            name: str

        THINGS.register(Thing("found-me"))
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import plugins_demo

    try:
        assert plugins_demo.THINGS.names() == ["found-me"]
    finally:
        for name in [m for m in sys.modules if m.startswith("plugins_demo")]:
            del sys.modules[name]


# --- a tokenizer family in one module -------------------------------------------------------


class ReversedBytes(Tokenizer):
    """UTF-8 bytes in reverse order: a family nobody ships, registered by this module alone."""

    family = "reversed-bytes"
    vocab_size = 256

    def __init__(self, name: str) -> None:
        self.name = name
        self.source = "the test"

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))[::-1]

    def decode(self, ids: Sequence[int]) -> str:
        return bytes(list(ids)[::-1]).decode("utf-8", errors="replace")


REVERSED = TokenizerFamily(name="reversed-bytes", prefix="rev", order=99,
                           specs=(("rev:NAME", "UTF-8 bytes, reversed (a test family)"),),
                           matches=prefixed("rev"), load=lambda spec: ReversedBytes(spec), package="pytest")


@pytest.fixture
def reversed_family() -> Iterator[TokenizerFamily]:
    TOKENIZER_FAMILIES.register(REVERSED)
    try:
        yield REVERSED
    finally:
        TOKENIZER_FAMILIES.unregister(REVERSED.name)


def _corpus() -> Corpus:
    docs_ = [Document(f"document number {i}, with words and more words", "eng", f"d{i}") for i in range(60)]
    return Corpus("tiny", lambda: iter(docs_))


def test_a_tokenizer_family_in_one_module_reaches_every_consumer(reversed_family, tmp_path: Path):
    assert isinstance(load_tokenizer("rev:x"), ReversedBytes)
    assert "rev:NAME" in analyze_epilog()
    assert "| `rev:NAME` |" in docs.tokenizer_table()
    assert short_names(["rev:x", "bytes"])["rev:x"] == "x"  # its prefix only names the library
    run = tokeff.analyze(["rev:x", "bytes"], [_corpus()], out=tmp_path, cache=False, progress=False, report=False,
                         bootstrap=0)
    bpt = run.metrics.query("metric == 'bytes_per_token' and language == 'all'").set_index("tokenizer")["value"]
    assert bpt["rev:x"] == bpt["bytes"] == 1.0
    assert "pytest" in run.record.versions
    assert [t.family for t in run.record.tokenizers] == ["reversed-bytes", "bytes"]


def test_an_unknown_tokenizer_names_the_registered_forms():
    with pytest.raises(TokeffError, match="tiktoken:NAME.*spm:PATH.model"):
        load_tokenizer("nosuch:thing")


# --- a metric family in one module ----------------------------------------------------------

ODD_SHARE = Metric("odd_token_share", "odd ids / token", "odd-id share", "", "tokens with an odd id / tokens")


class OddIds(Accumulator):
    """Tokens with an odd id, per document: a family nobody ships."""

    def __init__(self) -> None:
        self.strata = Strata(("odd", "tokens"))

    def update(self, batch: EncodedBatch) -> None:
        values = np.stack([batch.per_doc(batch.flat % 2 == 1), batch.n_tokens], axis=1)
        self.strata.add(batch.text, values)

    def merge(self, other: "OddIds") -> None:
        self.strata.merge(other.strata)

    def rows(self, ctx: RowContext) -> list[MetricRow]:
        s = self.strata
        return [ODD_SHARE.row(lang, *s.ratio(sums, "odd", "tokens", ctx.bootstrap), n=s.total(sums, "tokens"))
                for lang, sums in s.items()]


ODD = MetricFamily(name="odd-ids", metrics=(ODD_SHARE,), accumulator=lambda corpus, settings: OddIds(), order=99)


@pytest.fixture
def odd_family() -> Iterator[MetricFamily]:
    METRIC_FAMILIES.register(ODD)
    try:
        yield ODD
    finally:
        METRIC_FAMILIES.unregister(ODD.name)


def test_a_metric_family_in_one_module_reaches_every_consumer(odd_family):
    run = tokeff.analyze(["bytes"], [_corpus()], cache=False, progress=False, report=False, bootstrap=0)
    row = run.metrics.query("metric == 'odd_token_share' and language == 'all'").iloc[0]
    # the bytes tokenizer's ids are the bytes: the share of odd bytes in the eval split
    data = "".join(d.text for d in _corpus().documents("eval")).encode()
    assert row["unit"] == "odd ids / token"
    assert row["value"] == sum(b % 2 for b in data) / len(data)
    assert metric_label("odd_token_share") == "odd-id share"
    assert "| `odd_token_share` | odd-ids |" in docs.metric_table()
    assert "odd-ids" in analyze_epilog()
    alone = tokeff.analyze(["bytes"], [_corpus()], cache=False, progress=False, report=False, bootstrap=0,
                           metrics="odd-ids")
    assert set(alone.metrics["metric"]) == {"odd_token_share"}


def test_profiles_and_unknown_families():
    assert resolve_profile(None) is None  # nothing asked: all, or compression past the size limit
    assert resolve_profile("all") == ("compression", "words", "parity", "information", "coverage")
    assert resolve_profile("compression") == ("compression",)
    assert resolve_profile("coverage,compression") == ("compression", "coverage")  # registry order
    with pytest.raises(ValueError, match="unknown metric family nope"):
        resolve_profile("compression,nope")


def test_the_compression_profile_measures_bytes_characters_and_tokens_only():
    run = tokeff.analyze(["bytes"], [_corpus()], cache=False, progress=False, report=False, bootstrap=0,
                         metrics="compression", baseline="bytes")
    assert set(run.metrics["metric"]) == {"tokens", "bytes_per_token", "chars_per_token", "normalized_sequence_length"}


def test_past_the_size_limit_only_the_compression_profile_runs_unless_all_is_asked(monkeypatch):
    import tokeff.metrics.registry as registry

    monkeypatch.setattr(registry, "LARGE_CORPUS_BYTES", 100)
    notes: list[str] = []
    auto = tokeff.analyze(["bytes"], [_corpus()], cache=False, progress=False, report=False, bootstrap=0,
                          note=notes.append)
    assert set(auto.metrics["metric"]) == {"tokens", "bytes_per_token", "chars_per_token", "normalized_sequence_length"}
    assert any("compression profile only" in n and "--metrics all" in n for n in notes)
    everything = tokeff.analyze(["bytes"], [_corpus()], cache=False, progress=False, report=False, bootstrap=0,
                                metrics="all")
    assert "fertility" in set(everything.metrics["metric"])


def test_an_unknown_engine_is_one_line():
    with pytest.raises(TokeffError, match="unknown engine 'nope'; known: local"):
        get_engine("nope")


# --- settings and the cache key ---------------------------------------------------------------


def _changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value / 2 if value else 0.5
    if isinstance(value, tuple):
        return value + (7,)
    if value is None:
        return ("compression",)
    return str(value) + "-other"


@pytest.mark.parametrize("settings_class", [MetricSettings, TrainSettings])
def test_every_setting_of_a_stage_changes_its_cache_key(settings_class, tmp_path: Path):
    cache = ResultsCache(tmp_path, version="test")
    base = settings_class()
    key = cache.cached("stage", ("t",), settings=base).key
    for f in fields(settings_class):
        other = replace(base, **{f.name: _changed(getattr(base, f.name))})
        assert cache.cached("stage", ("t",), settings=other).key != key, f"{f.name} is not in the key"


def test_settings_build_maps_the_flat_keywords_and_refuses_unknown_ones():
    s = Settings.build(seed=3, bootstrap=10, train=True, budget="steps=5", lines=True, metrics="compression")
    assert (s.metrics.seed, s.metrics.bootstrap_replicates, s.metrics.families) == (3, 10, ("compression",))
    assert s.training is not None and (s.training.budget, s.training.seeds) == ("steps=5", (3,))
    assert s.read.lines
    assert Settings.build(s, train=False).training is None
    with pytest.raises(TypeError, match="unknown setting bootstraps"):
        Settings.build(bootstraps=10)


def test_the_public_functions_stay_callable_once_every_module_is_imported():
    # a submodule named like a public function would replace it on the package once imported
    import importlib
    import pkgutil

    for info in pkgutil.walk_packages(tokeff.__path__, "tokeff."):
        if not info.name.endswith(("__main__", "_native._core")):
            importlib.import_module(info.name)
    for name in tokeff.__all__:
        value = getattr(tokeff, name)
        assert not isinstance(value, type(tokeff)), f"tokeff.{name} is a module, not the public {name}"
