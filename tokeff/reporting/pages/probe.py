"""Probe page: accuracy on held-out arithmetic per tokenizer and operand length, with the seed spread."""

from __future__ import annotations

import math

import pandas as pd

from .. import fmt
from ..blocks import Bullets, Chart, Paragraph, Section, Table
from ..canvas import axes_in, footnote, new_page
from ..charts import light_grid
from ..data import ReportData, finite
from ..style import MARGIN_BOTTOM, MARGIN_X, PAGE_W

LINESTYLES = ["-", "--", ":", "-."]


def _figure(d: ReportData, scores: pd.DataFrame, tokenizers: list[str], losses: list[str], metric: str):
    fig, top = new_page("Arithmetic probe: accuracy on held-out problems",
                        "The same small model trained on the same addition problems under each tokenizer (and loss), "
                        "then asked to complete held-out 'a+b=' prompts greedily. Operand lengths right of the dotted "
                        "line were never trained on.")
    note_h = footnote(fig, ["Points: mean over seeds; bars: lowest and highest seed. Line style: training loss."],
                      bottom=MARGIN_BOTTOM + 0.2)
    bottom = MARGIN_BOTTOM + 0.2 + note_h + 0.6
    left = MARGIN_X + 0.7
    width, height = PAGE_W - MARGIN_X - left - 2.6, min(top - bottom - 0.2, 4.6)
    ax = axes_in(fig, left, top - 0.2 - height, width, height)
    grouped = scores.groupby(["tokenizer", "loss", "digits"], sort=False)[metric].agg(["mean", "min", "max"]).reset_index()
    for k, loss in enumerate(losses):
        for i, t in enumerate(tokenizers):
            g = grouped[(grouped["tokenizer"] == t) & (grouped["loss"] == loss)].sort_values("digits")
            if g.empty:
                continue
            x = g["digits"].to_numpy(float) + (i - (len(tokenizers) - 1) / 2) * 0.06
            ax.plot(x, g["mean"], color=d.colour(t), marker=d.marker(t), ls=LINESTYLES[k % len(LINESTYLES)], lw=1.3,
                    label=f"{d.label(t)} ({loss})" if len(losses) > 1 else d.label(t))
            ax.vlines(x, g["min"], g["max"], color=d.colour(t), lw=1)
    trained = scores.loc[~scores["longer"].astype(bool), "digits"]
    if len(trained):
        ax.axvline(float(trained.max()) + 0.5, color="#999999", ls=":", lw=1)
    ax.set_xticks(sorted(set(scores["digits"].astype(int))))
    ax.set_xlabel("operand length (digits)")
    ax.set_ylabel("exact match (share of problems)" if metric == "exact_match" else "per-digit accuracy")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    light_grid(ax, "y")
    return fig


def probe_findings(d: ReportData) -> list[str]:
    """Which moves accuracy more, the tokenizer or the loss, per operand length (seed noise beside)."""
    probe = d.run.extra.get("probe") or {}
    out = []
    for r in probe.get("factor_spread") or []:
        noise = r.get("seed_std")
        noise_text = f"seed sd {fmt.pct(noise)}" if finite(noise) else "one seed: no seed spread"
        tok, loss = r.get("tokenizer_range", math.nan), r.get("loss_range", math.nan)
        which = "the tokenizer" if tok > loss else "the loss" if loss > tok else "neither"
        longer = " (longer than trained)" if r.get("longer") else ""
        out.append(f"{r['operation']}, {r['digits']} digits{longer}: exact match moves {fmt.pct(tok)} across "
                   f"tokenizers and {fmt.pct(loss)} across losses ({noise_text}): {which} moves it more"
                   + ("" if not finite(noise) or max(tok, loss) > 2 * noise else ", but not beyond twice the seed spread")
                   + ".")
    return out


def probe_page(d: ReportData) -> Section | None:
    scores = d.probe_scores
    if scores is None:
        return None
    tokenizers = list(dict.fromkeys(scores["tokenizer"].astype(str)))
    losses = list(dict.fromkeys(scores["loss"].astype(str)))
    section = Section("probe", "Arithmetic probe")
    section.blocks.append(Chart(_figure(d, scores, tokenizers, losses, "exact_match"), "fig_probe.png",
                                caption="Exact match on held-out addition by operand length"))
    findings = probe_findings(d)
    if findings:
        section.blocks.append(Bullets(findings))
    keys = ["tokenizer", "loss", "operation", "digits"]
    g = scores.groupby(keys, sort=False).agg(exact=("exact_match", "mean"), exact_min=("exact_match", "min"),
                                             exact_max=("exact_match", "max"), digit=("digit_accuracy", "mean"),
                                             seeds=("seed", "nunique"), n=("n", "first")).reset_index()
    rows = [[d.label(str(r["tokenizer"])), str(r["loss"]), str(r["operation"]), str(int(r["digits"])),
             f"{fmt.pct(r['exact'])} ({fmt.pct(r['exact_min'])}–{fmt.pct(r['exact_max'])})", fmt.pct(r["digit"]),
             str(int(r["seeds"])), fmt.count(int(r["n"]))] for r in g.to_dict("records")]
    section.blocks.append(Table(["tokenizer", "loss", "operation", "digits", "exact match, mean (seed range)",
                                 "per-digit accuracy", "seeds", "problems"], rows,
                                caption="Held-out accuracy per tokenizer, loss and operand length"))
    runs = d.probe_runs
    if runs is not None:
        bpb = runs.groupby(["tokenizer", "loss"], sort=False)["bits_per_byte"].mean()
        section.blocks.append(Paragraph(
            "Bits per byte on held-out problems of the trained lengths (plain cross-entropy, mean over seeds): "
            + "; ".join(f"{d.label(t)} ({loss}) {fmt.num(v)}" for (t, loss), v in bpb.items())
            + ". Per-digit accuracy compares the answer's digits from the right, so a missing or extra digit counts "
              "as wrong.", muted=True))
    return section
