"""Title page: what was measured (corpora, tokenizers), what was skipped, and how."""

from __future__ import annotations

from datetime import datetime

from .. import fmt
from ..blocks import Heading, Paragraph, Section, Table
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


def corpora_table(d: ReportData) -> Table | None:
    corpora = d.run.corpora
    if not corpora:
        return None
    rows = []
    for c in corpora:
        langs = list(c.languages)
        kind = f"parallel, vs {c.reference_language}" if c.parallel else "–"
        rows.append([c.name, fmt.count(c.documents), fmt.nbytes(c.bytes), fmt.count(c.characters), str(len(langs)),
                     _languages(langs), kind])
    return Table(["corpus", "documents", "size", "characters", "languages", "language tags", "parallel"], rows,
                 align=["l", "r", "r", "r", "r", "l", "l"])


def corpus_descriptions(d: ReportData) -> list[str]:
    return [f"{c.name}: {c.description}" for c in d.run.corpora if c.description]


def tokenizers_table(d: ReportData) -> Table:
    info = {t.name: t for t in d.run.tokenizers}
    rows = []
    for name in d.style.order:
        t = info.get(name)
        label = d.label(name)
        source = t.source if t is not None else ""
        # A source that only repeats the spec (the same path) would just take room.
        if source and source in name:
            source = ""
        rows.append([label, (t.family if t is not None else "") or "–", fmt.count(t.vocab_size if t is not None else None),
                     name if name != label else "", source])
    return Table(["tokenizer", "family", "vocabulary size", "full name (spec)", "source"], rows,
                 align=["l", "l", "r", "l", "l"])


def details_blocks(d: ReportData) -> list:
    """Skipped tokenizers, settings and package versions, one short paragraph each."""
    run = d.run
    lines: list[str] = []
    skipped = run.skipped
    if skipped:
        lines.append("Skipped tokenizers: " + "; ".join(
            f"{s.get('tokenizer', '?')} ({s.get('reason', 'no reason given')})" for s in skipped) + ".")
    settings = fmt.setting_pairs(run.settings)
    if settings:
        lines.append("Settings: " + fmt.pairs_line(settings))
    versions = [(str(k), str(v)) for k, v in run.versions.items()]
    if versions:
        lines.append("Versions: " + fmt.pairs_line(versions))
    blocks: list = [Paragraph(line) for line in lines]
    table = dropped_table(d)
    if table is not None:
        blocks.append(table)
    return blocks


def dropped_table(d: ReportData) -> Table | None:
    """What the analysis left out and why, one row per dropped (corpus, tokenizer, language)."""
    dropped = [x for x in d.run.dropped if isinstance(x, dict)]
    if not dropped:
        return None
    keys: list[str] = []
    for x in dropped:
        keys += [k for k in x if k not in keys]
    rows = []
    for x in dropped:
        row = []
        for k in keys:
            v = x.get(k, "")
            if k == "tokenizer":
                v = d.label(str(v))
            elif k == "language" and v:
                v = d.lang(str(v))
            elif isinstance(v, float):
                v = fmt.num(v)
            row.append(str(v))
        rows.append(row)
    return Table([fmt.column_title(k) for k in keys], rows, align=["l"] * len(keys),
                 caption="Left out of the results (corpus, tokenizer, language) and why")


def title_page(d: ReportData, details: bool = True) -> Section:
    """Corpora, tokenizers, skipped tokenizers, settings and versions of the run.

    With ``details=False`` the last three are left for :func:`run_details_page` (used when they
    would push the conclusions off page 2).
    """
    run = d.run
    bits = []
    if run.created:
        bits.append(_date(run.created))
    bits.append(f"{len(d.corpora)} corpus" if len(d.corpora) == 1 else f"{len(d.corpora)} corpora")
    bits.append(f"{len(d.style.order)} tokenizers")
    if run.wall_seconds is not None:
        bits.append(f"wall time {fmt.seconds(run.wall_seconds)}")
    if run.tokeff_version:
        bits.append(f"tokeff {run.tokeff_version}")
    section = Section("title", "Tokenizer efficiency report", subtitle="  ·  ".join(bits))
    blocks = section.blocks
    if run.command:
        blocks.append(Paragraph(f"Command: {run.command}", muted=True))
    corpora = corpora_table(d)
    if corpora:
        blocks += [Heading("Corpora"), corpora]
        blocks += [Paragraph(text, muted=True) for text in corpus_descriptions(d)]
    blocks += [Heading("Tokenizers"), tokenizers_table(d)]
    if details and details_blocks(d):
        blocks += [Heading("Run details")] + details_blocks(d)
    elif details_blocks(d):
        blocks.append(Paragraph("Skipped tokenizers, settings and versions: see Run details on the last page.",
                                muted=True))
    return section


def run_details_page(d: ReportData) -> Section | None:
    """The details the title page had no room for."""
    blocks = details_blocks(d)
    return Section("details", "Run details", blocks=blocks) if blocks else None
