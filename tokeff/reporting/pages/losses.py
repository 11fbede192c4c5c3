"""Losses page: does the ranking of tokenizers survive the training loss?"""

from __future__ import annotations

import math

from matplotlib.ticker import FixedLocator, FuncFormatter

from .. import fmt
from ..blocks import Bullets, Chart, Paragraph, Section, Table
from ..canvas import axes_in, footnote, new_page
from ..charts import light_grid
from ..data import ReportData, finite
from ..findings import ci_level
from ..style import INK, MARGIN_BOTTOM, MARGIN_X, PAGE_W

MARKERS = ["o", "s", "D", "^", "v", "P"]


def _figure(d: ReportData, losses: list[str], tokenizers: list[str]):
    table = d.lm_losses
    fig, top = new_page("Does the ranking of tokenizers survive the training loss?",
                        "The same model trained under each tokenizer and each loss, at equal compute; bits per byte is "
                        "always scored with plain cross-entropy. Lower is better.")
    note_h = footnote(fig, [f"Error bars: {ci_level(d)} over evaluation documents; hollow markers: not trained "
                            "(never ranked)."], bottom=MARGIN_BOTTOM + 0.2)
    bottom = MARGIN_BOTTOM + 0.2 + note_h + 0.6
    left = MARGIN_X + 0.7
    width, height = PAGE_W - MARGIN_X - left - 0.2, min(top - bottom - 0.2, 4.6)
    ax = axes_in(fig, left, top - 0.2 - height, width, height)
    step = 0.8 / max(1, len(losses))
    for k, loss in enumerate(losses):
        part = table[table["loss"].astype(str) == loss].set_index("tokenizer")
        for i, t in enumerate(tokenizers):
            if t not in part.index:
                continue
            r = part.loc[t]
            x = i - 0.4 + step * (k + 0.5)
            y, lo, hi = float(r["bits_per_byte"]), float(r["ci_low"]), float(r["ci_high"])
            if math.isfinite(lo) and math.isfinite(hi):
                ax.errorbar([x], [y], yerr=[[y - lo], [hi - y]], fmt="none", ecolor=d.colour(t), elinewidth=1, capsize=3)
            trained = bool(r["trained"])
            ax.plot([x], [y], marker=MARKERS[k % len(MARKERS)], ms=8, color=d.colour(t),
                    markerfacecolor=d.colour(t) if trained else "white", label=loss if i == 0 else None)
    ax.xaxis.set_major_locator(FixedLocator(list(range(len(tokenizers)))))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: d.label(tokenizers[int(v)]) if 0 <= v < len(tokenizers) else ""))
    ax.set_xlim(-0.6, len(tokenizers) - 0.4)
    ax.set_ylabel(d.bpb_label())
    handles = [ax.plot([], [], marker=MARKERS[k % len(MARKERS)], ls="", color=INK, label=loss)[0]
               for k, loss in enumerate(losses)]
    ax.legend(handles=handles, title="training loss", frameon=False, loc="best")
    light_grid(ax, "y")
    return fig


def loss_findings(d: ReportData) -> list[str]:
    """Kendall's tau between the rankings under every two losses, and how sure."""
    agreement = d.lm_loss_agreement
    if agreement is None:
        return []
    out = []
    for r in agreement.to_dict("records"):
        if not finite(r.get("tau")):
            out.append(f"Under {r['a']} and {r['b']}: {r.get('note') or 'no ranking to compare'}.")
            continue
        docs = fmt.ci(r.get("ci_low"), r.get("ci_high"))
        seeds = fmt.ci(r.get("seed_ci_low"), r.get("seed_ci_high"))
        where = "; ".join(x for x in (f"over documents {docs}" if docs else "", f"over seeds {seeds}" if seeds else "") if x)
        verdict = ("the same ranking" if r["tau"] == 1 else "a partly different ranking" if r["tau"] > -1 else
                   "the reversed ranking")
        sure = ""
        lows = [x for x in (r.get("ci_low"), r.get("seed_ci_low")) if finite(x)]
        if lows:
            sure = (" — the intervals allow the ranking to change" if min(lows) < 1 else
                    " — every resample gives the same ranking")
        out.append(f"{r['a']} and {r['b']} give {verdict} of {int(r['tokenizers'])} tokenizers: Kendall's τ = "
                   f"{fmt.num(r['tau'])}" + (f" ({ci_level(d)}: {where})" if where else "") + sure + ".")
    return out


def losses_page(d: ReportData) -> Section | None:
    table = d.lm_losses
    if table is None or "loss" not in table.columns:
        return None
    losses = list(dict.fromkeys(table["loss"].astype(str)))
    tokenizers = d.ordered(set(table["tokenizer"].astype(str)))
    section = Section("losses", "Training losses: does the ranking survive?")
    section.blocks.append(Chart(_figure(d, losses, tokenizers), "fig_losses.png",
                                caption="Bits per byte per tokenizer under each training loss"))
    findings = loss_findings(d)
    if findings:
        section.blocks.append(Bullets(findings))
    rows = []
    for t in tokenizers:
        row = [d.label(t)]
        for loss in losses:
            r = table[(table["tokenizer"].astype(str) == t) & (table["loss"].astype(str) == loss)]
            if r.empty:
                row.append("–")
                continue
            r = r.iloc[0]
            cell = fmt.value_ci(r["bits_per_byte"], r["ci_low"], r["ci_high"])
            if finite(r.get("seed_sd")):
                cell += f" ± {fmt.num(r['seed_sd'])}"
            row.append(cell + ("" if bool(r["trained"]) else " (not trained)"))
        rows.append(row)
    section.blocks.append(Table(["tokenizer", *[f"{loss}: bits per byte, {ci_level(d)} ± seed sd" for loss in losses]],
                                rows, caption="Bits per byte (mean over seeds) under each training loss"))
    from ...lm.losses import resolve_loss

    section.blocks.append(Paragraph(
        "Losses: " + "; ".join(resolve_loss(loss).describe() for loss in losses) + ". Whatever the training loss, bits "
        "per byte is plain cross-entropy on the same evaluation documents, so the columns compare.", muted=True))
    return section
