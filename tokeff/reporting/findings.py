"""Conclusions written from the numbers: the answer a reader wants before the details.

Every sentence compares values *with* their confidence intervals: a difference whose intervals
overlap is reported as "within the CI", so nobody reads a ranking into noise.
"""

from __future__ import annotations

import pandas as pd

from . import fmt
from .blocks import Table
from .data import CHAR_SEGMENTATION, ReportData, finite, metric_label, note_value


def overlap(a: pd.Series, b: pd.Series) -> bool | None:
    """Whether the CIs of two rows overlap; None when either interval is unknown."""
    vals = [a.get("ci_low"), a.get("ci_high"), b.get("ci_low"), b.get("ci_high")]
    if not all(finite(v) for v in vals):
        return None
    return bool(a["ci_low"] <= b["ci_high"] and b["ci_low"] <= a["ci_high"])


def ci_phrase(a: pd.Series, b: pd.Series) -> str:
    """How a difference compares with its uncertainty, for the end of a sentence."""
    o = overlap(a, b)
    if o is None:
        return "no CI is available to judge this difference"
    return "the difference is within the CI (the intervals overlap)" if o else "the CIs do not overlap"


def ci_level(d: ReportData) -> str:
    """``95% CI`` when the run records its confidence level, else ``CI``."""
    v = d.run.metric_setting("confidence")
    if finite(v) and 0 < float(v) < 1:  # type: ignore[arg-type]
        return f"{100 * float(v):g}% CI"  # type: ignore[arg-type]
    return "CI"


def baseline(d: ReportData) -> str:
    """The tokenizer normalized sequence length is relative to (from a row note or the settings)."""
    found = note_value(d.rows("normalized_sequence_length")["note"], "baseline")
    if found:
        return found
    v = d.run.metric_setting("baseline")
    return str(v) if v else ""


def _vc(row: pd.Series) -> str:
    return fmt.value_ci(row["value"], row["ci_low"], row["ci_high"])


def _with_ci(row: pd.Series | dict, unit: str) -> str:
    """``4.78 bytes per token (4.72–4.85)``."""
    interval = fmt.ci(row["ci_low"], row["ci_high"])
    sep = "" if unit in ("", "×") else " "
    return f"{fmt.num(row['value'])}{sep}{unit}" + (f" ({interval})" if interval else "")


def lossy(d: ReportData, tokenizer: str, corpus: str) -> str:
    """Why ``tokenizer``'s compression on ``corpus`` is flattered, or ``''``: text that becomes
    unknown tokens or does not survive a round trip costs no tokens but is lost to the model."""
    unk = d.value("unk_rate", corpus, "all", tokenizer)
    if unk is not None and unk["value"] > 0.001:
        return f"{fmt.pct(unk['value'])} of its tokens are unknown tokens"
    trip = d.value("roundtrip_fidelity", corpus, "all", tokenizer)
    if trip is not None and trip["value"] < 0.99:
        return f"it does not reproduce the text exactly (round-trip fidelity {fmt.num(trip['value'])})"
    return ""


def compression_findings(d: ReportData) -> list[str]:
    """Per corpus: the cheapest tokenizer per byte, its lead, and the most expensive one."""
    out = []
    for corpus in d.corpora_with("bytes_per_token"):
        rows = d.rows("bytes_per_token", corpus, "all").sort_values("value", ascending=False)
        rows = rows.drop_duplicates("tokenizer")
        if rows.empty:
            continue
        best = rows.iloc[0]
        s = f"{corpus}: {d.label(best['tokenizer'])} is the cheapest per byte at {_with_ci(best, 'bytes per token')}"
        if len(rows) >= 2:
            second = rows.iloc[1]
            lead = best["value"] / second["value"] - 1
            s += (f", {fmt.pct(lead)} more than the runner-up {d.label(second['tokenizer'])} at "
                  f"{_with_ci(second, '')} — {ci_phrase(best, second)}")
        if len(rows) >= 3 and best["value"] > 0:
            worst = rows.iloc[-1]
            ratio = best["value"] / worst["value"]
            s += (f". The most expensive, {d.label(worst['tokenizer'])} at {fmt.num(worst['value'])} bytes per token, "
                  f"needs {ratio:.2f}× as many tokens for the same text")
        s += "."
        flattered = [(t, why) for t in rows["tokenizer"].iloc[:2] if (why := lossy(d, t, corpus))]
        for t, why in flattered:
            s += f" Caution: {d.label(t)}'s compression is flattered: {why}."
        out.append(s)
    return out


def premium_rows(d: ReportData, corpus: str) -> pd.DataFrame:
    """Premium rows of one parallel corpus, without the reference language and ``all``."""
    ref = d.reference_language(corpus)
    rows = d.rows("premium", corpus)
    return rows[(rows["language"] != "all") & (rows["language"] != ref)]


def premium_findings(d: ReportData) -> tuple[list[str], list[Table]]:
    """Per parallel corpus: which language pays most under each tokenizer, and how much."""
    out: list[str] = []
    tables: list[Table] = []
    for corpus in d.corpora_with("premium", language=None):
        rows = premium_rows(d, corpus)
        if rows.empty:
            continue
        ref = d.reference_language(corpus)
        ref_txt = d.lang(ref) if ref else "the reference language"
        worst = rows.loc[rows.groupby("tokenizer")["value"].idxmax()]
        worst = worst.set_index("tokenizer").loc[d.ordered(list(worst["tokenizer"]))].reset_index()
        medians = rows.groupby("tokenizer")["value"].median()
        langs = set(worst["language"])
        top = worst.loc[worst["value"].idxmax()]
        mild = worst.loc[worst["value"].idxmin()]
        if len(langs) == 1 and len(worst) > 1:
            s = (f"{corpus}: {d.lang(top['language'])} pays the largest premium under every tokenizer, from "
                 f"{fmt.num(mild['value'])}× ({d.label(mild['tokenizer'])}) to {fmt.num(top['value'])}× "
                 f"({d.label(top['tokenizer'])}) the tokens {ref_txt} needs for the same content.")
        elif len(worst) == 1:
            s = (f"{corpus}: under {d.label(top['tokenizer'])}, {d.lang(top['language'])} pays the largest premium: "
                 f"{_with_ci(top, '×')} the tokens {ref_txt} needs for the same content.")
        else:
            s = (f"{corpus}: the largest premium is {d.lang(top['language'])} under {d.label(top['tokenizer'])}: "
                 f"{_with_ci(top, '×')} the tokens {ref_txt} needs for the same content. The mildest worst case is "
                 f"{d.label(mild['tokenizer'])}, with {d.lang(mild['language'])} at {fmt.num(mild['value'])}×.")
        fair = medians.idxmin()
        if len(medians) > 1:
            s += f" Lowest median premium across languages: {d.label(fair)} ({fmt.num(medians[fair])}×)."
        out.append(s)
        tables.append(Table(
            ["tokenizer", "language with the largest premium", f"premium (×, {ci_level(d)})",
             "median premium over languages (×)"],
            [[d.label(r["tokenizer"]), d.lang(r["language"]), _vc(r), fmt.num(medians[r["tokenizer"]])]
             for _, r in worst.iterrows()],
            align=["l", "l", "r", "r"],
            caption=f"Largest premium per tokenizer on {corpus} (tokens relative to {ref_txt})",
        ))
    return out, tables


def training_findings(d: ReportData) -> list[str]:
    """The lowest bits per byte at equal compute, its margin, and whether compute was equal."""
    out = []
    for corpus in d.corpora_with("bits_per_byte"):
        rows = d.rows("bits_per_byte", corpus, "all").sort_values("value").drop_duplicates("tokenizer")
        if rows.empty:
            continue
        best = rows.iloc[0]
        s = (f"Trained at equal compute on {corpus}, {d.label(best['tokenizer'])} reaches the lowest bits per byte: "
             f"{_with_ci(best, 'bits/byte')}")
        if len(rows) >= 2:
            second = rows.iloc[1]
            gap = second["value"] - best["value"]
            s += (f", {fmt.diff(gap)} bits/byte ({fmt.pct(gap / second['value'])}) below the runner-up "
                  f"{d.label(second['tokenizer'])} at {_with_ci(second, '')} — {ci_phrase(best, second)}")
        if len(rows) >= 3:
            worst = rows.iloc[-1]
            s += f". The highest is {d.label(worst['tokenizer'])} at {fmt.num(worst['value'])}"
        s += "."
        uni = d.rows("unigram_bits_per_byte", corpus, "all").drop_duplicates("tokenizer")
        uni = uni.set_index("tokenizer")["value"]
        above = [t for t in d.ordered(list(rows["tokenizer"]))
                 if t in uni.index and rows.set_index("tokenizer").loc[t, "value"] >= uni[t]]
        if above:
            names = ", ".join(d.label(t) for t in above)
            s += (f" Caution: for {names} the model ends no better than the unigram baseline (token frequencies "
                  "alone): undertrained, so the ranking says little — train with a larger budget.")
        flops = d.rows("train_flops", corpus, "all")
        if len(flops) >= 2 and flops["value"].min() > 0:
            spread = flops["value"].max() / flops["value"].min() - 1
            if spread > 0.05:
                s += f" Note: training FLOPs differ by up to {fmt.pct(spread)} between tokenizers."
        out.append(s)
    return out


def fertility_findings(d: ReportData) -> list[str]:
    """The spread of fertility across languages, and the character-fallback warning."""
    out = []
    for corpus in d.corpora_with("fertility", language=None):
        rows = d.rows("fertility", corpus)
        rows = rows[rows["language"] != "all"]
        dropped = d.dropped()
        kept = [(corpus, r.language, r.tokenizer) not in dropped for r in rows.itertuples(index=False)]
        spaced = rows[~rows["note"].str.contains(CHAR_SEGMENTATION, regex=False) & pd.Series(kept, index=rows.index)]
        if spaced["language"].nunique() >= 2:
            hi = spaced.loc[spaced["value"].idxmax()]
            lo = spaced.loc[spaced["value"].idxmin()]
            out.append(f"{corpus}: fertility ranges from {fmt.num(lo['value'])} tokens per word "
                       f"({d.lang(lo['language'])}, {d.label(lo['tokenizer'])}) to {fmt.num(hi['value'])} "
                       f"({d.lang(hi['language'])}, {d.label(hi['tokenizer'])}) among space-delimited languages.")
        chars = sorted(set(rows.loc[rows["note"].str.contains(CHAR_SEGMENTATION, regex=False), "language"]))
        if chars:
            names = ", ".join(d.lang(x) for x in chars)
            out.append(f"{corpus}: words of {names} are counted as characters (no spaces between words), so their "
                       "fertility is tokens per character, marked † — not comparable with the other languages.")
    return out


def health_findings(d: ReportData) -> list[str]:
    """Lossy tokenizers: text that does not survive encode/decode, or unknown tokens."""
    out = []

    def where(rows: pd.DataFrame, as_pct: bool) -> str:
        what = " of tokens" if as_pct else ""
        return ", ".join(f"{fmt.pct(r.value) if as_pct else fmt.num(r.value)}{what} on {r.corpus}"
                         for r in rows.itertuples(index=False))

    fid = d.rows("roundtrip_fidelity", language="all")
    fid = fid[fid["value"] < 0.9995]
    for t in d.ordered(set(fid["tokenizer"])):
        out.append(f"{d.label(t)} does not give back the text exactly (round-trip fidelity "
                   f"{where(fid[fid['tokenizer'] == t], False)}): it normalizes or drops characters.")
    unk = d.rows("unk_rate", language="all")
    unk = unk[unk["value"] > 0]
    for t in d.ordered(set(unk["tokenizer"])):
        out.append(f"{d.label(t)} produces unknown tokens ({where(unk[unk['tokenizer'] == t], True)}): "
                   "that text is lost to the model.")
    return out


def dropped_findings(d: ReportData) -> list[str]:
    """Pairs the analysis left out (e.g. a language a tokenizer cannot represent), summarized."""
    groups: dict[tuple[str, str], list[str]] = {}
    for x in d.run.dropped:
        if isinstance(x, dict):
            key = (str(x.get("tokenizer", "?")), str(x.get("corpus", "")))
            groups.setdefault(key, []).append(str(x.get("language", "")))
    notes = d.metrics[d.metrics["note"].str.contains("dropped", regex=False)]
    out = []
    for (tok, corpus), langs in groups.items():
        langs = [lang for lang in langs if lang and lang != "all"]
        which = sorted(set(notes.loc[(notes["tokenizer"] == tok) & (notes["corpus"] == corpus), "metric"]))
        what = " and ".join(metric_label(m) for m in which) or "some results"
        names = ", ".join(d.lang(x) for x in langs)
        where = f"{len(langs)} language{'s' if len(langs) != 1 else ''} of {corpus} ({names})" if langs else corpus
        out.append(f"{d.label(tok)}: {what} left out for {where} (see Run details for why); its other values "
                   "there are marked ‡ and should not be compared.")
    return out


def skipped_findings(d: ReportData) -> list[str]:
    skipped = d.run.skipped
    if not skipped:
        return []
    names = ", ".join(str(s.get("tokenizer", "?")) for s in skipped)
    return [f"Not measured: {names} (skipped; see Run details for the reasons)."]
