"""Training pages: learning curves at equal compute and the final bits per byte."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import fmt
from ..blocks import Chart, Heading, Paragraph, Section, Table
from ..canvas import axes_in, footnote, new_page
from ..charts import legend_right, legend_width, light_grid, set_log_axis
from ..data import ReportData
from ..findings import ci_level
from ..style import MARGIN_BOTTOM, MARGIN_X, PAGE_W

WHY_BPB = (
    "Why only bits per byte compares across tokenizers: a model's loss is measured per token, and a tokenizer with "
    "longer tokens makes fewer, harder predictions for the same text. Per-token perplexity therefore rewards short "
    "tokens and is not comparable between tokenizers. Bits per byte divides the total loss on the same evaluation text "
    "by the same number of UTF-8 bytes for every tokenizer, so lower is better whatever the tokenization. Per-word "
    "perplexity also shares a denominator, but depends on what counts as a word in each language."
)

X_AXES = [("flops", "training compute (FLOPs, log scale)", "power"),
          ("bytes_seen", "training text seen (bytes, log scale)", "bytes")]


def _curves_figure(d: ReportData, curves: pd.DataFrame, tokenizers: list[str]) -> Figure:
    """Bits per byte against FLOPs and against bytes seen, one line per tokenizer."""
    fig, top = new_page("Training: bits per byte at equal compute",
                        "A small language model trained per tokenizer with the same compute budget; lower is better. "
                        "Left: against compute spent. Right: against text seen — a tokenizer with longer tokens "
                        "reads more text for the same compute.")
    y = curves["bits_per_byte"].to_numpy(float)
    y = y[np.isfinite(y)]
    # Early steps sit far above the final values; the axis shows every curve from a quarter of
    # its run on, so the differences that matter are not squashed against the bottom.
    late = []
    for _, c in curves.groupby("tokenizer"):
        v = c.sort_values(c.columns[1] if "step" not in c.columns else "step")["bits_per_byte"].to_numpy(float)
        v = v[np.isfinite(v)]
        if v.size:
            late.append(v[len(v) // 4 :].max())
    y_top = float(max(late)) if late else 1.0
    y_bot = float(y.min()) if y.size else 0.0
    pad = 0.06 * (y_top - y_bot or 1.0)
    clipped = bool(y.size and y.max() > y_top + pad)
    notes = ["Final values (with CIs) are in the table on the next page."]
    if clipped:
        notes.insert(0, "The first steps lie above the top of the plot and are cut off so the final differences show.")
    note_h = footnote(fig, notes, bottom=MARGIN_BOTTOM + 0.2)
    leg_w = legend_width(d, tokenizers)
    xs = [x for x in X_AXES if x[0] in curves.columns]
    bottom = MARGIN_BOTTOM + 0.2 + note_h + 0.6
    left, gap = MARGIN_X + 0.65, 0.55
    width = (PAGE_W - MARGIN_X - leg_w - 0.2 - left - gap * (len(xs) - 1)) / max(len(xs), 1)
    height = min(top - bottom - 0.2, 4.9)
    for k, (col, label, style) in enumerate(xs):
        ax = axes_in(fig, left + k * (width + gap), top - 0.2 - height, width, height)
        for t in tokenizers:
            c = curves[(curves["tokenizer"].astype(str) == t) & (curves[col] > 0)].sort_values(col)
            ax.plot(c[col], c["bits_per_byte"], color=d.colour(t), lw=1.6)
            if len(c):
                last = c.iloc[-1]
                ax.plot([last[col]], [last["bits_per_byte"]], marker=d.marker(t), color=d.colour(t), ms=6)
        positive = curves.loc[curves[col] > 0, col]
        if len(positive):
            set_log_axis(ax, float(positive.min()) / 1.15, float(positive.max()) * 1.15, style)
        ax.set_xlabel(label)
        ax.set_ylim(y_bot - pad, y_top + pad)
        if k == 0:
            ax.set_ylabel(d.bpb_label())
        else:
            ax.tick_params(axis="y", labelleft=True)
        light_grid(ax, "both")
    legend_right(fig, d, tokenizers, PAGE_W - MARGIN_X - leg_w + 0.1, top - 0.2, line=True)
    return fig


def _mean_curves(curves: pd.DataFrame) -> pd.DataFrame:
    """One curve per tokenizer: the mean over its seeds at each step."""
    if "seed" not in curves.columns:
        return curves
    keys = ["tokenizer", "step"] if "step" in curves.columns else ["tokenizer"]
    return curves.groupby(keys, as_index=False, sort=False).mean(numeric_only=True)


def _results_table(d: ReportData, corpus: str) -> Table | None:
    cols = [m for m in ("bits_per_byte", "bits_per_byte_seed_sd", "unigram_bits_per_byte", "token_perplexity",
                        "word_perplexity", "train_flops", "train_tokens_seen", "train_bytes_seen")
            if not d.rows(m, corpus, "all").empty]
    if "bits_per_byte" not in cols:
        return None
    bpb = d.rows("bits_per_byte", corpus, "all").drop_duplicates("tokenizer").set_index("tokenizer")
    order = sorted(d.ordered(list(bpb.index)), key=lambda t: (d.trained(t) is False, bpb.loc[t, "value"]))
    header = ["tokenizer", "trained"]
    for m in cols:
        label = d.axis_label(m)
        header.append(f"{label}, {ci_level(d)}" if m == "bits_per_byte" else label)
    rows = []
    for t in order:
        trained = d.trained(t)
        row = [d.label(t), "–" if trained is None else ("yes" if trained else "no (not ranked)")]
        row += [d.cell(m, corpus, "all", t, with_ci=m == "bits_per_byte") for m in cols]
        rows.append(row)
    return Table(header, rows, caption=f"Final evaluation on {corpus}: trained tokenizers first, best bits per byte "
                                       "first; bits per byte is the mean over seeds")


def _throughput_table(d: ReportData) -> Table | None:
    """Achieved FLOP/s and MFU against the measured matmul peak, per tokenizer (mean over seeds)."""
    runs = d.lm_runs
    if runs is None or "achieved_flops_per_second" not in runs.columns:
        return None
    training = d.training()
    peak = training.peak_flops_per_second if training is not None else None
    rows = []
    for t in d.ordered(set(runs["tokenizer"].astype(str))):
        mine = runs[runs["tokenizer"].astype(str) == t]
        row = [d.label(t), fmt.count(int(mine["steps"].iloc[0])), fmt.seconds(float(mine["wall_seconds"].mean())),
               f"{fmt.num(float(mine['achieved_flops_per_second'].mean()) / 1e9)} GFLOP/s"]
        if "mfu" in mine.columns and peak:
            row.append(fmt.pct(float(mine["mfu"].mean())))
        rows.append(row)
    header = ["tokenizer", "steps", "training time per run", "achieved"]
    if peak:
        header.append("MFU")
    caption = "Training throughput" + (f" against a measured matmul peak of {fmt.num(peak / 1e9)} GFLOP/s" if peak else "")
    return Table(header, rows, caption=caption)


def _comparisons_table(d: ReportData) -> Table | None:
    comps = d.lm_comparisons
    if comps is None:
        return None
    rows = []
    for r in comps.to_dict("records"):
        verdict = d.label(str(r["verdict"])) + " better" if isinstance(r.get("verdict"), str) and r["verdict"] else "not separated"
        rows.append([d.label(str(r["a"])), d.label(str(r["b"])), fmt.diff(r["difference"]),
                     fmt.ci(r["ci_low"], r["ci_high"]) or "–", fmt.num(r["seed_sd"]), verdict, str(r["decided_by"])])
    return Table(["a", "b", "bpb(a) − bpb(b)", ci_level(d), "seed sd of the difference", "verdict", "decided by"], rows,
                 caption="Every pair of trained tokenizers (paired bootstrap over evaluation documents; seed spread)")


def training_page(d: ReportData) -> Section | None:
    """Learning curves against FLOPs and bytes seen; final bits per byte with intervals and seed spread;
    which runs trained; the pairwise comparisons; throughput and MFU."""
    curves = d.curves
    has_curves = curves is not None and {"tokenizer", "bits_per_byte"} <= set(curves.columns)
    corpora = d.corpora_with("bits_per_byte")
    if not has_curves and not corpora:
        return None
    section = Section("training", "Training", pdf_title="Training: final results")
    if has_curves:
        mean = _mean_curves(curves)
        tokenizers = d.ordered(set(mean["tokenizer"].astype(str)))
        section.blocks.append(Chart(_curves_figure(d, mean, tokenizers), "fig_training.png",
                                    caption="Bits per byte against training FLOPs and bytes seen (mean over seeds)"))
    for corpus in corpora:
        table = _results_table(d, corpus)
        if table:
            section.blocks.append(table)
    untrained = d.not_trained()
    if untrained:
        section.blocks.append(Paragraph(
            "Not ranked: " + "; ".join(
                f"{d.label(str(s.get('tokenizer')))} ({s.get('reason', '')}"
                + (f"; needs about flops={s['needed_flops']:.1e}" if s.get("needed_flops") else "") + ")"
                for s in untrained) + ". " + trained_rule()))
    comparisons = _comparisons_table(d)
    if comparisons is not None:
        section.blocks.append(comparisons)
    section.blocks.append(Paragraph(WHY_BPB))
    if d.has("unigram_bits_per_byte"):
        section.blocks.append(Paragraph(
            "The unigram baseline is the bits per byte of a model that only knows how often each token occurs; a "
            "trained model should be well below it.", muted=True))
    throughput = _throughput_table(d)
    if throughput is not None:
        section.blocks.append(throughput)
    training = d.training()
    settings = fmt.setting_pairs({k: v for k, v in asdict(training).items() if k not in ("runs", "skipped")}
                                 if training is not None else {})
    if settings:
        section.blocks += [Heading("Training settings"), Paragraph(fmt.pairs_line(settings))]
    return section


def trained_rule() -> str:
    """The trained criterion and the ranking rule, in words, from :class:`tokeff.lm.compare.Criterion`."""
    from ...lm.compare import Criterion

    c = Criterion()
    return (f"A run counts as trained when it has at least {c.min_steps} steps, its bits per byte is at least "
            f"{c.beat_unigram:.0%} below its unigram baseline, and the last quarter of the run improved it by less than "
            f"{c.flat_share:.0%}; tokenizers with an untrained run are never ranked. A tokenizer is called better than "
            "another only when the paired interval of their difference excludes 0 and the difference exceeds "
            f"{c.seed_sds:g} standard deviations of the per-seed differences.")
