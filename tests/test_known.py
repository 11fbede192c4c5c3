"""Known corpora: download once with a verified checksum, then read from the cache.

Every download here goes to a real HTTP server on 127.0.0.1 started by the test; nothing touches
the internet. Manifest entries are pointed at that server by passing a manifest to the loader.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tokeff.corpus.download import UnverifiedDownloadWarning
from tokeff.corpus.hf_datasets import hf_corpus, parse_hf_spec
from tokeff.corpus.known import known_corpus
from tokeff.corpus.manifest import corpus_folder, default_manifest_path, list_known, load_manifest
from tokeff.errors import CorpusError

ENG = "The cat sat on the mat.\r\nIt was warm.\r\n\r\nA second paragraph.\r\n"
DEU = "Die Katze sass auf der Matte.\r\nEs war warm.\r\n\r\nEin zweiter Absatz.\r\n"
JPN = "猫がマットの上に座った。\r\n暖かかった。\r\n\r\n二つ目の段落。\r\n"


# --------------------------------------------------------------------------- a local server

@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes = b""
    status: int = 200
    claimed_length: int | None = None  # a Content-Length larger than the body simulates a cut transfer
    stall: float = 0.0  # seconds to go silent after the body, before closing the connection


@dataclass
class LocalServer:
    url: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def serve(self, path: str, body: bytes | str, **kw: Any) -> str:
        """Serve ``body`` at ``path`` and return its URL."""
        self.routes[path] = Route(body.encode("utf-8") if isinstance(body, str) else body, **kw)
        return self.url + path


@pytest.fixture
def server() -> Iterator[LocalServer]:
    state = LocalServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            state.requests.append(self.path)
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.status != 200:
                self.send_error(route.status)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(route.claimed_length or len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)
            self.wfile.flush()
            time.sleep(route.stall)
            self.close_connection = True  # then the socket closes, short of any claimed length

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Online by default, no proxy between us and 127.0.0.1, and a private cache per test."""
    for var in ("TOKEFF_OFFLINE", "HF_HUB_OFFLINE", "http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("TOKEFF_CACHE", str(tmp_path / "cache"))


def sha256(data: str | bytes) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def file_entry(name: str, url: str, body: str | bytes, language: str = "eng", **override: Any) -> dict[str, Any]:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return {"name": name, "url": url, "language": language, "sha256": sha256(raw), "size": len(raw), **override}


def manifest(name: str, files: list[dict[str, Any]], kind: str = "text", **extra: Any) -> dict[str, Any]:
    entry = {"title": name, "description": f"test corpus {name}", "kind": kind, "licence": "CC0",
             "homepage": "http://example.invalid", "files": files, **extra}
    return {"format": 1, "corpora": {name: entry}}


def leftovers(folder: Path) -> list[str]:
    """Everything in a cache folder (temporary files included)."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --------------------------------------------------------------------------- downloads

def test_first_load_downloads_and_verifies_then_the_cache_serves_without_a_request(server: LocalServer, tmp_path: Path) -> None:
    m = manifest("tiny", [file_entry("a.txt", server.serve("/a.txt", ENG), ENG),
                          file_entry("b.txt", server.serve("/b.txt", DEU), DEU, language="deu")])

    corpus = known_corpus("tiny", manifest=m, cache_dir=tmp_path, progress=False)
    docs = list(corpus)
    assert len(server.requests) == 2
    assert [d.text for d in docs] == ["The cat sat on the mat.\nIt was warm.", "A second paragraph.",
                                      "Die Katze sass auf der Matte.\nEs war warm.", "Ein zweiter Absatz."]
    assert [d.language for d in docs] == ["eng", "eng", "deu", "deu"]
    assert "CC0" in corpus.description
    folder = corpus_folder("tiny", tmp_path)
    assert leftovers(folder) == ["a.txt", "b.txt"]  # no temporary files left behind
    assert (folder / "a.txt").read_bytes() == ENG.encode()  # bytes kept exactly (CRLF too)

    again = known_corpus("tiny", manifest=m, cache_dir=tmp_path, progress=False)
    assert [d.text for d in again] == [d.text for d in docs]
    assert len(server.requests) == 2  # the second load made no request


def test_parallel_entry_reads_aligned_lines_and_fetches_only_the_languages_asked_for(server: LocalServer, tmp_path: Path) -> None:
    files = [file_entry(f"{lang}.txt", server.serve(f"/{lang}.txt", body), body, language=lang)
             for lang, body in (("eng", ENG), ("deu", DEU), ("jpn", JPN))]
    m = manifest("par", files, kind="parallel", reference_language="eng")

    corpus = known_corpus("par:jpn", manifest=m, cache_dir=tmp_path, progress=False)
    assert sorted(server.requests) == ["/eng.txt", "/jpn.txt"]  # the reference always comes along
    assert corpus.parallel and corpus.reference_language == "eng"
    by_lang: dict[str, list[str]] = {}
    for d in corpus:
        by_lang.setdefault(d.language, []).append(d.doc_id)
    assert by_lang == {"eng": ["line:1", "line:2", "line:4"], "jpn": ["line:1", "line:2", "line:4"]}

    with pytest.raises(CorpusError, match="has no language xx"):
        known_corpus("par:xx", manifest=m, cache_dir=tmp_path)
    # The same choice as a list; German is fetched now, English and Japanese come from the cache.
    both = known_corpus("par", languages=["jpn", "deu"], manifest=m, cache_dir=tmp_path, progress=False)
    assert {d.language for d in both} == {"eng", "jpn", "deu"}
    assert sorted(server.requests) == ["/deu.txt", "/eng.txt", "/jpn.txt"]


def test_wrong_checksum_fails_in_one_line_and_saves_nothing(server: LocalServer, tmp_path: Path) -> None:
    url = server.serve("/a.txt", ENG.replace("cat", "dog"))  # same size, different bytes
    m = manifest("tiny", [file_entry("a.txt", url, ENG)])

    with pytest.raises(CorpusError, match="wrong SHA-256") as err:
        known_corpus("tiny", manifest=m, cache_dir=tmp_path, progress=False)
    assert "\n" not in str(err.value) and url in str(err.value)
    assert leftovers(corpus_folder("tiny", tmp_path)) == []


def test_truncated_transfer_fails_and_saves_nothing(server: LocalServer, tmp_path: Path) -> None:
    body = "x" * 50_000 + "\n"
    # The server promises more bytes than it sends, then closes the connection.
    url = server.serve("/big.txt", body[:20_000], claimed_length=len(body))
    m = manifest("tiny", [file_entry("big.txt", url, body)])

    with pytest.raises(CorpusError, match=r"truncated: got 20000 of 50001 bytes"):
        known_corpus("tiny", manifest=m, cache_dir=tmp_path, progress=False)
    assert leftovers(corpus_folder("tiny", tmp_path)) == []


def test_a_cut_transfer_is_caught_even_where_urllib3_does_not_check_content_length(
        server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib3 1 (and 2 when told so) returns a body shorter than its Content-Length without an
    # error; with no size or checksum in the manifest, only the Content-Length can tell.
    import urllib3.response

    init = urllib3.response.HTTPResponse.__init__
    monkeypatch.setattr(urllib3.response.HTTPResponse, "__init__",
                        lambda self, *a, **kw: init(self, *a, **{**kw, "enforce_content_length": False}))
    body = "x" * 50_000 + "\n"
    url = server.serve("/big.txt", body[:20_000], claimed_length=len(body))
    m = manifest("tofu", [{"name": "big.txt", "url": url, "sha256": None, "size": None}])

    with pytest.raises(CorpusError, match=r"truncated: got 20000 of 50001 bytes"):
        known_corpus("tofu", manifest=m, cache_dir=tmp_path, progress=False)
    assert leftovers(corpus_folder("tofu", tmp_path)) == []


def test_a_file_larger_than_recorded_is_refused_and_saves_nothing(server: LocalServer, tmp_path: Path) -> None:
    url = server.serve("/a.txt", ENG + "and more\r\n")
    m = manifest("tiny", [file_entry("a.txt", url, ENG)])

    with pytest.raises(CorpusError, match="larger than the 62 bytes recorded in the manifest") as err:
        known_corpus("tiny", manifest=m, cache_dir=tmp_path, progress=False)
    assert "\n" not in str(err.value) and url in str(err.value)
    assert leftovers(corpus_folder("tiny", tmp_path)) == []


def test_short_file_without_a_lie_in_content_length_still_fails_on_the_recorded_size(server: LocalServer, tmp_path: Path) -> None:
    url = server.serve("/a.txt", ENG[:-10])  # an honest but shorter upstream file
    m = manifest("tiny", [file_entry("a.txt", url, ENG)])

    with pytest.raises(CorpusError, match="has 52 bytes but the manifest records 62: the transfer was truncated"):
        known_corpus("tiny", manifest=m, cache_dir=tmp_path, progress=False)
    assert leftovers(corpus_folder("tiny", tmp_path)) == []


def test_server_error_fails_with_the_status_and_saves_nothing(server: LocalServer, tmp_path: Path) -> None:
    url = server.serve("/a.txt", ENG, status=500)
    m = manifest("tiny", [file_entry("a.txt", url, ENG)])

    with pytest.raises(CorpusError, match="HTTP 500") as err:
        known_corpus("tiny", manifest=m, cache_dir=tmp_path, progress=False)
    assert "\n" not in str(err.value)
    assert leftovers(corpus_folder("tiny", tmp_path)) == []


def test_unreachable_server_fails_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nobody listens there
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/a.txt"
    m = manifest("tiny", [file_entry("a.txt", url, ENG)])
    with pytest.raises(CorpusError, match=f"cannot download {url}") as err:
        known_corpus("tiny", manifest=m, cache_dir=tmp_path, progress=False, timeout=2)
    assert "\n" not in str(err.value)


def test_a_server_that_never_answers_times_out_instead_of_hanging(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) but never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/a.txt"
        m = manifest("tiny", [file_entry("a.txt", url, ENG)])
        with pytest.raises(CorpusError, match=r"timed out \(no answer for 0.3 s\)"):
            known_corpus("tiny", manifest=m, cache_dir=tmp_path, progress=False, timeout=0.3)
    assert leftovers(corpus_folder("tiny", tmp_path)) == []


def test_a_server_that_goes_silent_mid_file_times_out(server: LocalServer, tmp_path: Path) -> None:
    body = "x" * 50_000 + "\n"
    url = server.serve("/big.txt", body[:20_000], claimed_length=len(body), stall=2.0)
    m = manifest("tiny", [file_entry("big.txt", url, body)])

    with pytest.raises(CorpusError, match=r"timed out \(no answer for 0.3 s\)"):
        known_corpus("tiny", manifest=m, cache_dir=tmp_path, progress=False, timeout=0.3)
    assert leftovers(corpus_folder("tiny", tmp_path)) == []


# --------------------------------------------------------------------------- offline

@pytest.mark.parametrize("var", ["TOKEFF_OFFLINE", "HF_HUB_OFFLINE"])
def test_offline_without_cache_names_the_url_and_the_exact_path_and_makes_no_request(
        var: str, server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    m = manifest("tiny", [file_entry("a.txt", server.serve("/a.txt", ENG), ENG),
                          file_entry("b.txt", server.serve("/b.txt", DEU), DEU)])
    monkeypatch.setenv(var, "1")

    with pytest.raises(CorpusError) as err:
        known_corpus("tiny", manifest=m, cache_dir=tmp_path)
    message = str(err.value)
    assert "\n" not in message
    assert f"{server.url}/a.txt" in message
    assert str(corpus_folder("tiny", tmp_path) / "a.txt") in message
    assert "1 more file" in message and var in message
    assert server.requests == []


def test_offline_with_cache_works_and_a_file_placed_by_hand_is_verified(
        server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    m = manifest("tiny", [file_entry("a.txt", server.serve("/a.txt", ENG), ENG)])
    known_corpus("tiny", manifest=m, cache_dir=tmp_path, progress=False)
    monkeypatch.setenv("TOKEFF_OFFLINE", "1")

    assert len(list(known_corpus("tiny", manifest=m, cache_dir=tmp_path))) == 2
    assert len(server.requests) == 1

    # The way the offline message says: a file put in place by hand is checked like a download.
    hand = manifest("hand", [file_entry("a.txt", "http://unused.invalid/a.txt", ENG)])
    folder = corpus_folder("hand", tmp_path)
    folder.mkdir(parents=True)
    (folder / "a.txt").write_bytes(ENG.encode())
    assert len(list(known_corpus("hand", manifest=hand, cache_dir=tmp_path))) == 2


def test_a_cached_file_that_changed_is_refused_with_what_to_do(server: LocalServer, tmp_path: Path) -> None:
    m = manifest("tiny", [file_entry("a.txt", server.serve("/a.txt", ENG), ENG)])
    known_corpus("tiny", manifest=m, cache_dir=tmp_path, progress=False)
    cached = corpus_folder("tiny", tmp_path) / "a.txt"
    cached.write_bytes(ENG.replace("cat", "dog").encode())  # same size, different bytes

    with pytest.raises(CorpusError, match="does not match its recorded SHA-256.*delete it") as err:
        known_corpus("tiny", manifest=m, cache_dir=tmp_path)
    assert str(cached) in str(err.value)


# --------------------------------------------------------------------------- trust on first use

def test_entry_without_checksum_is_trusted_once_with_a_warning_then_held_to_it(server: LocalServer, tmp_path: Path) -> None:
    m = manifest("tofu", [{"name": "a.txt", "url": server.serve("/a.txt", ENG), "sha256": None, "size": None}])

    with pytest.warns(UnverifiedDownloadWarning, match="no published checksum"):
        known_corpus("tofu", manifest=m, cache_dir=tmp_path, progress=False)
    record = json.loads((corpus_folder("tofu", tmp_path) / ".tofu.json").read_text())
    assert record["a.txt"]["sha256"] == sha256(ENG)

    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second load must not warn again
        known_corpus("tofu", manifest=m, cache_dir=tmp_path)

    (corpus_folder("tofu", tmp_path) / "a.txt").write_text("tampered\n")
    with pytest.raises(CorpusError, match="does not match its recorded SHA-256"):
        known_corpus("tofu", manifest=m, cache_dir=tmp_path)


# --------------------------------------------------------------------------- names, listing, spec

def test_unknown_name_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="unknown known corpus 'nope'.*ntrex128"):
        known_corpus("nope", cache_dir=tmp_path)


def test_list_known_describes_each_entry_and_whether_it_is_cached(server: LocalServer, tmp_path: Path) -> None:
    listing = {row["name"]: row for row in list_known(cache_dir=tmp_path)}
    assert {"ntrex128", "tinyshakespeare", "gutenberg-en"} <= set(listing)
    nt = listing["ntrex128"]
    assert nt["spec"] == "known:ntrex128" and nt["kind"] == "parallel" and nt["licence"] == "CC BY-SA 4.0"
    assert nt["files"] == 38 and nt["languages"][0] == "eng" and nt["bytes"] > 16_000_000
    assert nt["cached"] is False and nt["path"] == str(tmp_path / "corpora" / "ntrex128")

    m = manifest("tiny", [file_entry("a.txt", server.serve("/a.txt", ENG), ENG)])
    assert list_known(manifest=m, cache_dir=tmp_path)[0]["cached"] is False
    known_corpus("tiny", manifest=m, cache_dir=tmp_path, progress=False)
    assert list_known(manifest=m, cache_dir=tmp_path)[0]["cached"] is True


def test_the_known_spec_goes_through_load_corpus_with_the_environment(
        server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tokeff.corpus import load_corpus

    corpora = tmp_path / "corpora-dir"
    corpora.mkdir()
    m = manifest("tiny", [file_entry("a.txt", server.serve("/a.txt", ENG), ENG)])
    (corpora / "known.json").write_text(json.dumps(m))
    monkeypatch.setenv("TOKEFF_CORPORA", str(corpora))

    [corpus] = load_corpus("known:tiny")
    assert corpus.name == "tiny" and len(list(corpus)) == 2
    # TOKEFF_CACHE (set for every test here) decides where the download went.
    assert (tmp_path / "cache" / "corpora" / "tiny" / "a.txt").is_file()


def test_malformed_manifest_entries_are_refused() -> None:
    good = {"name": "a.txt", "url": "http://x.invalid/a", "sha256": None, "size": None}
    with pytest.raises(CorpusError, match="not a plain file name"):
        load_manifest(manifest("m", [{**good, "name": "../evil.txt"}]))
    with pytest.raises(CorpusError, match="64 lower-case hex"):
        load_manifest(manifest("m", [{**good, "sha256": "abc"}]))
    with pytest.raises(CorpusError, match="named <language>.txt"):
        load_manifest(manifest("m", [{**good, "language": "deu"}], kind="parallel", reference_language="deu"))


# --------------------------------------------------------------------------- the shipped manifest

#: Shipped entry -> folder of byte-identical upstream copies in the shared data folder.
SHARED_COPIES = {"ntrex128": "ntrex128", "tinyshakespeare": "tinyshakespeare", "gutenberg-en": "gutenberg_en"}


def test_every_shipped_url_is_pinned_to_a_commit_and_has_a_licence() -> None:
    for entry in load_manifest().values():
        assert entry.licence and entry.homepage, entry.name
        for f in entry.files:
            assert re.search(r"/[0-9a-f]{40}/", f.url), f.url  # a commit, not a branch that moves
            assert f.sha256 and f.size, f"{entry.name}/{f.name} must have a checksum and size"


def test_shipped_checksums_match_the_real_files(shared_dir: Path) -> None:
    checked = 0
    for entry in load_manifest().values():
        folder = shared_dir / "corpora" / SHARED_COPIES.get(entry.name, entry.name)
        for f in entry.files:
            copy = folder / f.name
            if copy.is_file():
                data = copy.read_bytes()
                assert (len(data), sha256(data)) == (f.size, f.sha256), f"{entry.name}/{f.name}"
                checked += 1
    assert checked == 38 + 1 + 10  # NTREX-128 (English + 37 translations), Tiny Shakespeare, ten Gutenberg books


def test_real_ntrex_subset_downloads_through_the_shipped_manifest(server: LocalServer, shared_dir: Path, tmp_path: Path) -> None:
    """The shipped entry, its real checksums, and real files served in place from the shared folder."""
    shipped = json.loads(default_manifest_path().read_text(encoding="utf-8"))
    entry = shipped["corpora"]["ntrex128"]
    entry["base_url"] = server.url + "/"
    for f in entry["files"]:
        copy = shared_dir / "corpora" / "ntrex128" / f["name"]
        if copy.is_file():
            server.routes["/" + f["path"]] = Route(copy.read_bytes())

    corpus = known_corpus("ntrex128:deu,zho-CN", manifest=shipped, cache_dir=tmp_path, progress=False)
    assert sorted(server.requests) == ["/NTREX-128/newstest2019-ref.deu.txt", "/NTREX-128/newstest2019-ref.zho-CN.txt",
                                       "/NTREX-128/newstest2019-src.eng.txt"]
    summary = corpus.summary()
    assert summary["languages"] == ["deu", "eng", "zho-CN"] and summary["documents"] == 3 * 1997
    assert "CC BY-SA 4.0" in corpus.description


# --------------------------------------------------------------------------- hf: datasets

def test_hf_spec_parts() -> None:
    assert parse_hf_spec("wikitext@wikitext-2-raw-v1:test") == ("wikitext", "wikitext-2-raw-v1", "test", "text")
    assert parse_hf_spec("user/data::content") == ("user/data", None, "train", "content")
    with pytest.raises(CorpusError, match="expected hf:DATASET"):
        parse_hf_spec("a:b:c:d")


def test_hf_without_datasets_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # makes `import datasets` fail
    with pytest.raises(CorpusError, match=r"^hf:wikitext needs the Hugging Face datasets library: pip install datasets$"):
        hf_corpus("hf:wikitext")  # the whole spec, or only the part after hf:


def test_hf_reads_rows_through_datasets_streaming_when_online(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []

    class FakeDatasets:
        @staticmethod
        def load_dataset(name: str, config: str | None, split: str, streaming: bool) -> list[dict[str, Any]]:
            calls.append((name, config, split, streaming))
            return [{"content": "first row"}, {"content": "   "}, {"content": "third row"}]

    monkeypatch.setitem(sys.modules, "datasets", FakeDatasets)
    corpus = hf_corpus("user/data@cfg:validation:content", offline=False)
    assert calls == [("user/data", "cfg", "validation", True)]
    assert [(d.text, d.doc_id) for d in corpus] == [("first row", "validation:0"), ("third row", "validation:2")]
    assert corpus.name == "user-data-cfg-validation"

    with pytest.raises(CorpusError, match="no text field 'text'.*fields: content"):
        list(hf_corpus("user/data", offline=False))
