"""Title page: what was measured (corpora, tokenizers), what was skipped, and how."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import fmt
from ..blocks import Bullets, Heading, Paragraph, Section, Table
from ..data import ReportData

MAX_LANGS_SHOWN = 8


def _date(created: str) -> str:
    try:
        return datetime.fromisoformat(str(created).replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M %Z").strip()
    except ValueError:
        return str(created)


def _languages(langs: list[str]) -> str:
    if not langs:
        return "–"
    shown = ", ".join(langs[:MAX_LANGS_SHOWN])
    more = f", … ({len(langs)} in all)" if len(langs) > MAX_LANGS_SHOWN else ""
    return shown + more


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    """Nested settings as ``a.b = value`` pairs (dicts nest; lists are joined)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, (list, tuple)):
        out.append((prefix, ", ".join(str(v) for v in value) or "–"))
    elif isinstance(value, float):
        out.append((prefix, fmt.num(value, 4)))
    else:
        out.append((prefix, "–" if value is None else str(value)))


def _pairs_table(pairs: list[tuple[str, str]], key: str, value: str) -> Table:
    """Key/value pairs, two pairs per row so a long settings list stays short."""
    half = (len(pairs) + 1) // 2
    rows = []
    for i in range(half):
        k1, v1 = pairs[i]
        k2, v2 = pairs[half + i] if half + i < len(pairs) else ("", "")
        rows.append([k1, v1, k2, v2])
    return Table([key, value, key, value], rows, align=["l", "l", "l", "l"])


def corpora_table(d: ReportData) -> Table | None:
    corpora = d.run.get("corpora") or []
    if not corpora:
        return None
    rows = []
    for c in corpora:
        langs = list(c.get("languages") or [])
        kind = f"parallel, vs {c.get('reference_language')}" if c.get("parallel") else "–"
        rows.append([str(c.get("name", "")), fmt.count(c.get("documents")), fmt.nbytes(c.get("bytes")),
                     fmt.count(c.get("characters")), str(len(langs)), _languages(langs), kind,
                     str(c.get("description") or "")])
    return Table(["corpus", "documents", "size", "characters", "languages\n(count)", "language tags",
                  "parallel", "description"], rows, align=["l", "r", "r", "r", "r", "l", "l", "l"])


def tokenizers_table(d: ReportData) -> Table:
    info = {t.get("name"): t for t in d.run.get("tokenizers") or [] if isinstance(t, dict)}
    rows = []
    for name in d.style.order:
        t = info.get(name, {})
        label = d.label(name)
        rows.append([label, str(t.get("family") or "–"), fmt.count(t.get("vocab_size")),
                     name if name != label else "", str(t.get("source") or "")])
    return Table(["tokenizer", "family", "vocabulary\nsize", "full name (spec)", "source"], rows,
                 align=["l", "l", "r", "l", "l"])


def title_page(d: ReportData) -> Section:
    """Corpora, tokenizers, skipped tokenizers, settings and versions of the run."""
    run = d.run
    bits = []
    if run.get("created"):
        bits.append(_date(run["created"]))
    bits.append(f"{len(d.corpora)} corpus" if len(d.corpora) == 1 else f"{len(d.corpora)} corpora")
    bits.append(f"{len(d.style.order)} tokenizers")
    if run.get("wall_seconds") is not None:
        bits.append(f"wall time {fmt.seconds(run['wall_seconds'])}")
    if run.get("tokeff_version"):
        bits.append(f"tokeff {run['tokeff_version']}")
    section = Section("title", "Tokenizer efficiency report", subtitle="  ·  ".join(bits))
    blocks = section.blocks
    if run.get("command"):
        blocks.append(Paragraph(f"Command: {run['command']}", muted=True))
    corpora = corpora_table(d)
    if corpora:
        blocks += [Heading("Corpora"), corpora]
    blocks += [Heading("Tokenizers"), tokenizers_table(d)]
    skipped = run.get("skipped") or []
    if skipped:
        blocks += [Heading("Skipped tokenizers"),
                   Bullets([f"{s.get('tokenizer', '?')}: {s.get('reason', 'no reason given')}" for s in skipped])]
    settings: list[tuple[str, str]] = []
    _flatten("", run.get("settings") or {}, settings)
    if settings:
        blocks += [Heading("Settings"), _pairs_table(settings, "setting", "value")]
    versions = [(str(k), str(v)) for k, v in (run.get("versions") or {}).items()]
    if versions:
        blocks += [Heading("Versions"), _pairs_table(versions, "package", "version")]
    return section
