"""Training: prefixes, settings, bad input, the C core and its pure-Python fallback, the file format."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokeff.bpe.count as count_module
import tokeff.bpe.train as train_module
from tokeff import _native
from tokeff.bpe import BPEModel, BPETrainingError, ModelFormatError, has_c_core, train_bpe
from tokeff.bpe.count import ChunkCounter
from tokeff.bpe.patterns import SPLITS_AT_SPACES
from tokeff.bpe.merge_loop import learn_merges as learn_merges_python
from tokeff.bpe.patterns import Pattern
from tokeff.errors import TokeffError


@pytest.fixture(scope="module")
def lines(shared_dir: Path) -> list[str]:
    """~500 KB: English prose, then German and Hindi news."""
    corpora = shared_dir / "corpora"
    out: list[str] = []
    for path, n in [
        (corpora / "tinyshakespeare" / "input.txt", 300_000),
        (corpora / "ntrex128" / "deu.txt", 100_000),
        (corpora / "ntrex128" / "hin.txt", 100_000),
    ]:
        with path.open(encoding="utf-8") as f:
            out += f.read(n).splitlines(keepends=True)
    return out


@pytest.fixture(scope="module")
def big_model(lines: list[str]) -> BPEModel:
    return train_bpe(lines, 4096)


def test_ids_are_bytes_then_merges_then_specials(lines: list[str]) -> None:
    model = train_bpe(lines[:2000], 400, special_tokens=("<s>", "</s>"))
    assert model.vocab_size == 400 and len(model.merges) == 400 - 256 - 2
    assert model.token_bytes(65) == b"A"
    a, b = model.merges[0]
    assert model.token_bytes(256) == model.token_bytes(a) + model.token_bytes(b)
    assert model.special_token_ids == {"<s>": 398, "</s>": 399}
    assert model.token_bytes(399) == b"</s>"


@pytest.mark.parametrize("size", [300, 1000, 2500])
def test_truncate_equals_training_directly(big_model: BPEModel, lines: list[str], size: int) -> None:
    small = big_model.truncate(size)
    assert small.vocab_size == size
    assert small.merges == train_bpe(lines, size).merges
    text = "".join(lines[:50])
    assert small.encode(text) == small.encode_reference(text)
    assert len(small.encode(text)) > len(big_model.encode(text))  # fewer merges, more tokens


def test_truncate_keeps_special_tokens_after_the_merges(lines: list[str]) -> None:
    model = train_bpe(lines[:3000], 600, special_tokens=("<|eot|>",))
    small = model.truncate(300)
    assert small.merges == model.merges[:43]
    assert small.special_token_ids == {"<|eot|>": 299}
    with pytest.raises(ValueError, match="between 257 and 600"):
        model.truncate(256)


@pytest.mark.skipif(not has_c_core(), reason="the C core is not built")
def test_c_core_and_pure_python_learn_the_same_merges(lines: list[str]) -> None:
    chunks, _ = train_module.count_chunks(lines, Pattern.resolve("gpt2"), workers=1)
    c = train_module.learn_merges(chunks, 2000, 2, backend="c")
    py = learn_merges_python(chunks, 2000, 2)
    assert len(c) == 2000 and c == py


def test_falls_back_to_pure_python_without_c_core(lines: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    expected = train_bpe(lines[:3000], 500).merges
    monkeypatch.setattr(_native, "core", None)
    assert not train_module.has_c_core()
    assert train_bpe(lines[:3000], 500).merges == expected
    with pytest.raises(BPETrainingError, match="C core"):
        train_bpe(lines[:3000], 500, backend="c")


CUSTOM_PATTERN = r" ?[^\W\d]+| ?\d+| ?[^\s\w]+|\s+"  # not a preset: the regex reads every text


def test_parallel_counting_gives_the_same_model(lines: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(count_module, "BATCH_CHARS", 50_000)  # many batches to deal to the workers
    one = train_bpe(lines, 1000, pattern=CUSTOM_PATTERN, workers=1)
    fork, started = count_module.mp.get_context("fork"), []

    class Recording:
        """The fork context, counting the processes it starts."""

        def Process(self, *args, **kwargs):
            started.append(kwargs["target"])
            return fork.Process(*args, **kwargs)

        def __getattr__(self, name):
            return getattr(fork, name)

    monkeypatch.setattr(count_module.mp, "get_context", lambda *_: Recording())
    two = train_bpe(iter(lines), 1000, pattern=CUSTOM_PATTERN, workers=2)  # a one-shot iterator is enough
    assert len(started) == 2
    assert one.merges == two.merges
    assert one.training["characters"] == two.training["characters"] == sum(map(len, lines))


@pytest.mark.skipif(not has_c_core(), reason="the C core is not built")
def test_pieces_are_counted_in_this_process(lines: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # with the C core's space-cut pieces, worker processes would only repeat the work
    monkeypatch.setattr(count_module, "BATCH_CHARS", 50_000)
    monkeypatch.setattr(count_module.mp, "get_context", lambda *_: pytest.fail("a counting process was started"))
    assert train_bpe(lines, 1000, workers=2).merges == train_bpe(lines, 1000, workers=1).merges


@pytest.mark.filterwarnings("ignore:the corpus ran out of pairs")
def test_special_tokens_are_not_learned_from_the_text() -> None:
    texts = ["<|eot|>hello<|eot|>"] * 50
    model = train_bpe(texts, 300, special_tokens=("<|eot|>",))
    learned = {model.token_bytes(256 + k) for k in range(len(model.merges))}
    assert b"hello" in learned
    assert not any(b"|" in tok or b"<" in tok for tok in learned)


@pytest.mark.filterwarnings("ignore:the corpus ran out of pairs")
def test_pattern_none_merges_across_spaces() -> None:
    texts = ["to be or not to be"] * 20
    split = train_bpe(texts, 280, pattern="gpt2", min_frequency=2)
    whole = train_bpe(texts, 280, pattern="none", min_frequency=2)
    assert max(len(split.token_bytes(i)) for i in range(split.vocab_size)) <= len(b" not")
    assert whole.encode("to be or not to be") == [whole.vocab_size - 1]
    assert whole.decode(whole.encode("to be or not")) == "to be or not"


@pytest.mark.filterwarnings("ignore:the corpus ran out of pairs")
def test_custom_pattern() -> None:
    model = train_bpe(["ab-cd ab-cd ab-cd"] * 10, 270, pattern=r"[a-z]+|[^a-z]")
    assert model.pattern_name == "custom"
    assert {model.token_bytes(i) for i in range(256, model.vocab_size)} >= {b"ab", b"cd"}
    with pytest.raises(BPETrainingError, match="valid regex"):
        train_bpe(["x"], 300, pattern="(unclosed")


def test_progress_callback_and_bar(lines: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[tuple[str, int, int]] = []
    train_bpe(lines[:2000], 300, progress=lambda *event: seen.append(event), workers=1)
    assert seen[0][0] == "count" and seen[-1] == ("merge", 44, 44)
    train_bpe(lines[:2000], 300, progress=True, workers=1)
    assert "learning merges" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("texts", "vocab_size", "kwargs", "message"),
    [
        (["hello hello"], 255, {}, "at least 256 byte tokens"),
        (["hello hello"], 257, {"special_tokens": ("<a>", "<b>")}, "258"),
        ([], 1000, {}, "empty"),
        (["", ""], 1000, {}, "empty"),
        (["abcdefg"], 1000, {}, "min_frequency=2"),
        (["ok", "bad \ud800 text"], 1000, {}, "lone surrogates"),
        (["hello"], 1000, {"special_tokens": ("<a>", "<a>")}, "distinct"),
        ("one long string, not a list of texts", 1000, {}, "not one string"),
    ],
)
def test_bad_input_raises_one_clear_error(texts: list[str], vocab_size: int, kwargs: dict, message: str) -> None:
    with pytest.raises(BPETrainingError, match=message) as info:
        train_bpe(texts, vocab_size, workers=1, **kwargs)
    assert isinstance(info.value, TokeffError)


def test_too_large_vocab_warns_with_the_size_reached() -> None:
    with pytest.warns(UserWarning, match=r"stopped at 26\d tokens instead of 5000"):
        model = train_bpe(["hello world"] * 10, 5000)
    assert 256 < model.vocab_size < 5000


def test_save_and_load_round_trip(big_model: BPEModel, tmp_path: Path) -> None:
    model = big_model.truncate(1000)
    path = model.save(tmp_path / "bpe.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "tokeff-bpe" and data["version"] == 1 and data["vocab_size"] == 1000
    assert data["pattern"]["name"] == "gpt2" and data["training"]["min_frequency"] == 2
    loaded = BPEModel.load(path)
    assert loaded.merges == model.merges and loaded.pattern == model.pattern
    assert loaded.encode("To be, or not to be") == model.encode("To be, or not to be")


def test_loading_something_else_says_so(tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text('{"model": {}}', encoding="utf-8")
    with pytest.raises(ModelFormatError, match="not a tokeff BPE model"):
        BPEModel.load(tmp_path / "other.json")
    (tmp_path / "new.json").write_text('{"format": "tokeff-bpe", "version": 99}', encoding="utf-8")
    with pytest.raises(ModelFormatError, match="version"):
        BPEModel.load(tmp_path / "new.json")
    with pytest.raises(ModelFormatError, match="no BPE model file"):
        BPEModel.load(tmp_path / "missing.json")


def test_no_warning_when_the_vocabulary_is_reached(lines: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train_bpe(lines[:3000], 400)


tricky_spacing = st.lists(
    st.text(alphabet=st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u3000ab1'.é日")), max_size=30),
    max_size=8,
)


@pytest.mark.skipif(not has_c_core(), reason="the C core is not built")
@pytest.mark.parametrize("pattern", sorted(SPLITS_AT_SPACES))
def test_space_cut_shortcut_counts_the_same_chunks(lines: list[str], pattern: str) -> None:
    # the C core counts space-cut pieces and runs the regex once per distinct piece
    fast, plain = ChunkCounter(Pattern.resolve(pattern)), ChunkCounter(Pattern.resolve(pattern), use_core=False)
    assert fast.pieces is not None and plain.pieces is None
    fast.add(lines)
    plain.add(lines)
    assert fast.result() == plain.result()

    @settings(max_examples=150, deadline=None)
    @given(texts=tricky_spacing)
    def same_on_odd_whitespace(texts: list[str]) -> None:
        fast, plain = ChunkCounter(Pattern.resolve(pattern)), ChunkCounter(Pattern.resolve(pattern), use_core=False)
        fast.add(texts)
        plain.add(texts)
        assert fast.result() == plain.result()

    same_on_odd_whitespace()


@pytest.mark.skipif(not has_c_core(), reason="the C core is not built")
def test_pieces_handed_out_in_slices_count_the_same_chunks(lines: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    whole = ChunkCounter(Pattern.resolve("gpt2"))
    whole.add(lines)
    expected = whole.result()
    monkeypatch.setattr(count_module, "PIECES_SLICE", 7)  # many slices, the last one short
    sliced = ChunkCounter(Pattern.resolve("gpt2"))
    sliced.add(lines)
    assert sliced.result() == expected


@pytest.mark.skipif(not has_c_core(), reason="the C core is not built")
def test_taking_pieces_gives_each_once_in_order_then_empties_the_counter() -> None:
    core = _native.core
    counter = core.segments_new()
    core.segments_add(counter, ["the cat the dog", " the end"])
    assert core.segments_take(counter, 2) == {"the": 1, " cat": 1}
    with pytest.raises(RuntimeError, match="being emptied"):
        core.segments_add(counter, ["more"])  # the lookup table is gone while pieces are taken
    assert list(core.segments_take(counter, 2).items()) == [(" the", 2), (" dog", 1)]
    assert core.segments_take(counter, 2) == {" end": 1}
    assert core.segments_take(counter, 2) == {}
    core.segments_add(counter, ["again again"])  # empty and usable again
    assert core.segments_take(counter, 10) == {"again": 1, " again": 1}


@pytest.mark.parametrize("backend", ["c", "python"])
def test_release_empties_the_chunks_and_learns_the_same_merges(lines: list[str], backend: str) -> None:
    if backend == "c" and not has_c_core():
        pytest.skip("the C core is not built")
    chunks, _ = train_module.count_chunks(lines, Pattern.resolve("gpt2"), workers=1)
    kept = dict(chunks)
    merges = train_module.learn_merges(chunks, 500, 2, backend=backend, release=True)
    assert chunks == {}
    assert merges == train_module.learn_merges(kept, 500, 2, backend=backend)
    assert kept and len(merges) == 500


def test_training_reports_the_distinct_chunks_it_merged(lines: list[str]) -> None:
    chunks, _ = train_module.count_chunks(lines[:500], Pattern.resolve("gpt2"), workers=1)
    assert train_bpe(lines[:500], 300).training["distinct_chunks"] == len(chunks) > 0
