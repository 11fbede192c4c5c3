"""Getting a known corpus's files into the cache, verified, with pooch; and checking them there.

:func:`ensure_cached` re-verifies the files already cached and downloads the missing ones
(:func:`fetch`); offline it says which URL to fetch and where to put it instead. Every failure is
one :class:`~tokeff.errors.CorpusError` line naming the URL (or the cached file) and what to do,
and no failure leaves a file in the cache:

* **the download** is ``pooch.retrieve`` with the manifest's SHA-256 as ``known_hash``: pooch
  streams into a temporary file in the corpus folder and moves it into place only when the hash
  matches; on any error (a hash mismatch, an HTTP error, a broken transfer, an interrupt) it
  deletes the temporary file. Its ``HTTPDownloader`` (``requests``) gets a timeout
  (``TOKEFF_DOWNLOAD_TIMEOUT`` seconds, default 60) for connecting and for every read, so a dead
  server fails instead of hanging.
* **around pooch**, tokeff's downloader counts and hashes the bytes as they are written (which
  feeds one tqdm progress bar for all the files of a corpus, and names the bytes in messages),
  stops a transfer that grows past the manifest's size, and refuses one shorter than its
  ``Content-Length`` or than the manifest's size before pooch looks at the hash: a transfer cut
  short is reported as truncated (how many bytes of how many), not as a wrong checksum. urllib3 2
  itself raises on a body shorter than its ``Content-Length``; the ``Content-Length`` check keeps
  that true with urllib3 1, which does not.
* **trust on first use**: a file whose entry has ``"sha256": null`` is trusted when first
  downloaded (or found in the cache), its hash recorded in ``<folder>/.tofu.json`` with one
  :class:`UnverifiedDownloadWarning`, and held to that record afterwards.
* **a cached file** is re-checked on every load, its size and then its SHA-256 (about 50 ms for
  all of NTREX-128); a mismatch names the file to delete.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import CorpusError, one_line
from ..files import write_json
from .manifest import KnownEntry, KnownFile

DEFAULT_TIMEOUT = 60.0
TOFU_FILE = ".tofu.json"
USER_AGENT = "tokeff (known-corpus download)"
_CHUNK = 1 << 16


class UnverifiedDownloadWarning(UserWarning):
    """A file with no published checksum was trusted on first use (its hash is now recorded)."""


def offline_var() -> str | None:
    """``"TOKEFF_OFFLINE=1"`` (or ``HF_HUB_OFFLINE``) when that variable asks for no network, else None."""
    for var in ("TOKEFF_OFFLINE", "HF_HUB_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in {"1", "true", "yes", "on"}:
            return f"{var}={os.environ[var]}"
    return None


def is_offline() -> bool:
    """True when ``TOKEFF_OFFLINE`` or ``HF_HUB_OFFLINE`` is set to 1/true/yes/on."""
    return offline_var() is not None


def default_timeout() -> float:
    """``TOKEFF_DOWNLOAD_TIMEOUT`` seconds, else :data:`DEFAULT_TIMEOUT`."""
    raw = os.environ.get("TOKEFF_DOWNLOAD_TIMEOUT")
    try:
        return float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        raise CorpusError(f"TOKEFF_DOWNLOAD_TIMEOUT={raw!r} is not a number of seconds") from None


def ensure_cached(entry: KnownEntry, files: list[KnownFile], folder: Path, *, offline: bool,
                  timeout: float, progress: bool | None) -> None:
    """Verify the cached ``files`` of ``entry`` in ``folder`` and download the missing ones (or,
    offline, raise with the URL to fetch and the path to save it at)."""
    missing = [f for f in files if not (folder / f.name).is_file()]
    for f in files:
        if f not in missing:
            verify_cached(entry, f, folder)
    if not missing:
        return
    if offline:
        first = missing[0]
        n = len(missing) - 1
        more = f" (and {n} more file{'s' * (n > 1)} into the same folder; corpora/KNOWN.md lists their URLs)" if n else ""
        raise CorpusError(
            f"known:{entry.name} is not cached and {offline_var() or 'offline mode'} forbids downloading: "
            f"download {first.url} and save it as {folder / first.name}{more}"
        )
    total = sum(f.size or 0 for f in missing) or None
    sys.stderr.write(f"tokeff: downloading known:{entry.name} ({len(missing)} file{'s' * (len(missing) > 1)}"
                     f"{f', {total / 2**20:.1f} MiB' if total else ''}, {entry.licence}) into {folder}\n")
    from tqdm import tqdm

    with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=f"known:{entry.name}",
              disable=(not progress) if progress is not None else None, leave=False) as bar:
        for f in missing:
            digest = fetch(f.url, folder / f.name, sha256=f.sha256, size=f.size, timeout=timeout, on_bytes=bar.update)
            if f.sha256 is None:
                _tofu_record(entry, f, folder, digest, downloaded=True)


def fetch(url: str, dest: Path, *, sha256: str | None, size: int | None, timeout: float = DEFAULT_TIMEOUT,
          on_bytes: Callable[[int], object] | None = None) -> str:
    """Download ``url`` to ``dest`` with ``pooch.retrieve`` and return its SHA-256.

    ``dest`` appears only once the whole file is there, ``size`` bytes long (when given) and
    hashing to ``sha256`` (when given); on any failure nothing is left and a one-line
    :class:`CorpusError` says what happened and what to do.
    """
    import pooch

    transfer = _Transfer(url, size, timeout, on_bytes)
    try:
        with _quiet(pooch.get_logger()):
            pooch.retrieve(url, known_hash=f"sha256:{sha256}" if sha256 else None, fname=dest.name, path=dest.parent,
                           downloader=transfer, progressbar=False)
    except CorpusError:
        raise
    except ValueError as e:  # pooch's hash check: the bytes arrived whole but are not the recorded ones
        if transfer.digest is None or transfer.digest == sha256:
            raise CorpusError(f"download of {url} failed: {one_line(e)}; nothing was saved") from None
        raise CorpusError(f"download of {url} has the wrong SHA-256 ({transfer.digest[:16]}..., expected "
                          f"{sha256[:16]}...); nothing was saved; the upstream file changed or the transfer was "
                          "corrupted") from None
    except OSError as e:  # the corpus folder or pooch's temporary file could not be made, or the move failed
        raise CorpusError(f"cannot write to the cache folder {dest.parent}: {one_line(e)}; "
                          "set TOKEFF_CACHE to a writable folder") from None
    assert transfer.digest is not None
    return transfer.digest


class _Transfer:
    """A pooch downloader: ``pooch.HTTPDownloader`` writing through :meth:`write`, which counts and
    hashes the bytes; the requests and urllib3 errors it raises become one-line CorpusErrors."""

    def __init__(self, url: str, size: int | None, timeout: float, on_bytes: Callable[[int], object] | None) -> None:
        self.url, self.size, self.timeout, self.on_bytes = url, size, timeout, on_bytes
        self.received = 0
        self.answered = False  # the server sent a response's headers
        self.declared: int | None = None  # the response's Content-Length, when it counts the bytes written
        self.digest: str | None = None  # SHA-256 of a transfer that completed
        self._hash = hashlib.sha256()
        self._out: Any = None

    def __call__(self, url: str, output_file: str, pooch_: object) -> None:
        import pooch
        import requests

        self.received, self.answered, self.declared, self.digest = 0, False, None, None
        self._hash = hashlib.sha256()
        download = pooch.HTTPDownloader(progressbar=False, chunk_size=_CHUNK, timeout=self.timeout,
                                        headers={"User-Agent": USER_AGENT}, hooks={"response": self._response})
        url = self.url
        with open(output_file, "wb") as out:
            self._out = out
            try:
                download(url, self, pooch_)  # pooch writes to self (see write), not to the path
            except CorpusError:
                raise
            except requests.exceptions.HTTPError as e:
                r = e.response
                status = f"HTTP {r.status_code} {one_line(r.reason)}" if r is not None else one_line(e)
                raise CorpusError(f"download of {url} failed: {status}; nothing was saved") from None
            except requests.exceptions.Timeout:
                raise self._timed_out() from None
            except requests.exceptions.RequestException as e:
                raise self._broken(e) from None
            except OSError as e:  # e.g. the disk filled up while writing
                raise CorpusError(f"download of {url} into {Path(output_file).parent} failed: {one_line(e)}; "
                                  "nothing was saved") from None
        expected = self.declared if self.declared is not None else self.size
        if expected is not None and self.received < expected:
            raise CorpusError(f"download of {url} was truncated: got {self.received} of {expected} bytes; "
                              "nothing was saved; try again")
        if self.size is not None and self.received != self.size:
            raise CorpusError(f"download of {url} has {self.received} bytes but the manifest records {self.size}: "
                              "the transfer was truncated or the upstream file changed; nothing was saved; try again")
        self.digest = self._hash.hexdigest()

    def _response(self, response: Any, *args: Any, **kwargs: Any) -> None:
        """requests' response hook: the headers, before the body is read."""
        self.answered = True
        raw = response.headers.get("Content-Length")
        # a compressed body's Content-Length counts the compressed bytes, not the ones written
        identity = response.headers.get("Content-Encoding", "identity").strip().lower() in ("", "identity")
        self.declared = int(raw) if identity and raw and raw.strip().isdigit() else None

    def write(self, chunk: bytes) -> int:
        self._out.write(chunk)
        self._hash.update(chunk)
        self.received += len(chunk)
        if self.on_bytes is not None:
            self.on_bytes(len(chunk))
        if self.size is not None and self.received > self.size:
            raise CorpusError(f"download of {self.url} is larger than the {self.size} bytes recorded in the manifest; "
                              "the upstream file changed: nothing was saved")
        return len(chunk)

    def flush(self) -> None:
        self._out.flush()

    def _timed_out(self) -> CorpusError:
        return CorpusError(f"download of {self.url} timed out (no answer for {self.timeout:g} s); nothing was saved; "
                           "try again, or raise TOKEFF_DOWNLOAD_TIMEOUT")

    def _broken(self, e: BaseException) -> CorpusError:
        """The one line for a transfer that failed below HTTP: timed out mid-body, refused, cut short."""
        import urllib3

        url, chain = self.url, list(_causes(e))
        # (not urllib3's TimeoutError: its NewConnectionError, a refused connection, is one)
        if any(isinstance(c, (TimeoutError, urllib3.exceptions.ReadTimeoutError)) for c in chain):
            return self._timed_out()
        cut = next((c for c in chain if isinstance(c, urllib3.exceptions.IncompleteRead)), None)
        if cut is not None and isinstance(cut.partial, int) and isinstance(cut.expected, int):
            return CorpusError(f"download of {url} was truncated: got {cut.partial} of {cut.partial + cut.expected} "
                               "bytes; nothing was saved; try again")
        if not self.answered:  # no answer at all: refused, no route, no such host
            return CorpusError(f"cannot download {url}: {_reason(chain)}; check the network, "
                               "or set TOKEFF_OFFLINE=1 and place the file by hand")
        return CorpusError(f"download of {url} broke off ({_reason(chain)}); nothing was saved; try again")


def _causes(e: BaseException) -> Iterator[BaseException]:
    """``e`` and what it wraps: requests and urllib3 keep the cause in ``args`` or ``reason``."""
    seen: set[int] = set()
    todo = [e]
    while todo:
        c = todo.pop(0)
        if id(c) in seen:
            continue
        seen.add(id(c))
        yield c
        todo += [x for x in (c.__cause__, c.__context__, getattr(c, "reason", None), *c.args)
                 if isinstance(x, BaseException)]


def _reason(chain: list[BaseException]) -> str:
    """The innermost operating-system reason of a failure ("Connection refused"), else its message."""
    for c in reversed(chain):
        if isinstance(c, OSError) and c.strerror:
            return one_line(c.strerror)
    return one_line(chain[-1]) or type(chain[-1]).__name__


@contextlib.contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    """Silence pooch's info lines ("Downloading data from ..."): tokeff writes its own one line."""
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


# --------------------------------------------------------------------------- the cached files

def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks (memory stays flat)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def verify_cached(entry: KnownEntry, f: KnownFile, folder: Path) -> None:
    """Refuse a cached file whose size or SHA-256 is not the recorded one (the manifest's, or the
    trust-on-first-use record's); a file with neither is trusted now and recorded."""
    path = folder / f.name
    expected = f.sha256
    if expected is None:
        record = _tofu_load(folder).get(f.name)
        if record is None:  # placed by hand before any download: trust it now, once
            _tofu_record(entry, f, folder, file_sha256(path), downloaded=False)
            return
        expected = record["sha256"]
    actual_size = path.stat().st_size
    if f.size is not None and actual_size != f.size:
        raise CorpusError(f"{path}: cached file has {actual_size} bytes, expected {f.size}; "
                          f"delete it so tokeff downloads it again, or replace it with {f.url}")
    digest = file_sha256(path)
    if digest != expected:
        raise CorpusError(f"{path}: cached file does not match its recorded SHA-256 ({digest[:16]}..., expected "
                          f"{expected[:16]}...); delete it so tokeff downloads it again, or replace it with {f.url}")


def _tofu_load(folder: Path) -> dict[str, Any]:
    import json

    try:
        return json.loads((folder / TOFU_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise CorpusError(f"{folder / TOFU_FILE}: unreadable checksum record ({one_line(e)}); "
                          "delete it and the files beside it to download them again") from None


def _tofu_record(entry: KnownEntry, f: KnownFile, folder: Path, digest: str, *, downloaded: bool) -> None:
    records = _tofu_load(folder)
    records[f.name] = {"sha256": digest, "size": (folder / f.name).stat().st_size, "url": f.url,
                       "first_seen": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    write_json(folder / TOFU_FILE, records)
    how = "downloaded" if downloaded else "found in the cache"
    warnings.warn(f"known:{entry.name}: {f.name} has no published checksum; trusting the copy {how} "
                  f"(sha256 {digest}) and checking it against that from now on", UnverifiedDownloadWarning, stacklevel=4)
