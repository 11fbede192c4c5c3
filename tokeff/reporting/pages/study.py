"""Study page: bits per byte against vocabulary size at equal compute, per budget, and how sure."""

from __future__ import annotations


import numpy as np
import pandas as pd
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from .. import fmt
from ..blocks import Bullets, Chart, Paragraph, Section, Table
from ..canvas import axes_in, footnote, new_page
from ..charts import light_grid
from ..data import ReportData, finite
from ..findings import ci_level
from ..style import INK, MARGIN_BOTTOM, MARGIN_X, PAGE_W
from .sweep import LINESTYLES, _vocab_label


def _figure(d: ReportData, table: pd.DataFrame, budgets: list[str]):
    fig, top = new_page("Study: bits per byte against vocabulary size",
                        "tokeff's BPE trained once; every vocabulary is a prefix of its merges. The same model is "
                        "trained under each at equal compute, once per seed. Lower is better.")
    notes = [f"Error bars: {ci_level(d)} over evaluation documents (each vocabulary's own; the differences between "
             "vocabularies in the text are judged on paired intervals). Hollow markers: runs that did not train (not "
             "ranked). Dashed grey line: the byte baseline at the largest budget."]
    note_h = footnote(fig, notes, bottom=MARGIN_BOTTOM + 0.2)
    bottom = MARGIN_BOTTOM + 0.2 + note_h + 0.6
    left = MARGIN_X + 0.7
    best = _best_per_budget(d)
    side = 3.2 if len(best) >= 2 else 0.0
    width = PAGE_W - MARGIN_X - left - 0.2 - (side + 0.9 if side else 0.0)
    height = min(top - bottom - 0.2, 4.8)
    ax = axes_in(fig, left, top - 0.2 - height, width, height)
    if side:
        _optimum_panel(axes_in(fig, left + width + 0.9, top - 0.2 - height, side, height), best)
    names = set((d.run.study or {}).get("bpe") or [])
    bpe = table[table["tokenizer"].astype(str).isin(names) & table["bits_per_byte"].notna()]
    for k, budget in enumerate(budgets):
        part = bpe[bpe["budget"] == budget].sort_values("vocab_size")
        if part.empty:
            continue
        xs, ys = part["vocab_size"].to_numpy(float), part["bits_per_byte"].to_numpy(float)
        err = np.vstack([ys - part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float) - ys])
        ax.plot(xs, ys, color=INK, lw=1.2, ls=LINESTYLES[k % len(LINESTYLES)], label=budget, zorder=2)
        if np.isfinite(err).all():
            ax.errorbar(xs, ys, yerr=err, fmt="none", ecolor=INK, elinewidth=0.8, capsize=3, zorder=2)
        for x, y, ok in zip(xs, ys, part["trained"].astype(bool)):
            ax.plot([x], [y], marker="o", ms=7, color=INK, markerfacecolor=INK if ok else "white", zorder=3)
    base = table[(table["tokenizer"] == "bytes") & (table["budget"] == budgets[-1]) & table["bits_per_byte"].notna()]
    if len(base):
        ax.axhline(float(base["bits_per_byte"].iloc[0]), color="#999999", ls="--", lw=1, label="bytes")
    vocab = sorted(set(bpe["vocab_size"].astype(int)))
    if vocab:
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_locator(FixedLocator(vocab))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _vocab_label(v)))
        ax.set_xlim(vocab[0] / 1.4, vocab[-1] * 1.4)
    ax.set_xlabel("vocabulary size (tokens, log₂ scale)")
    ax.set_ylabel(d.bpb_label())
    ax.legend(title="budget", frameon=False, loc="best")
    light_grid(ax, "both")
    return fig


def _settled(d: ReportData) -> dict:
    from ...vocab_study import settle

    return settle(d.run.study or {}, d.study)


def _best_per_budget(d: ReportData) -> list[tuple[float, int, bool]]:
    """(budget amount, best trained vocabulary, whether that is the budget's optimum) for every
    budget where a vocabulary trained."""
    out = []
    for f in _settled(d).get("per_budget") or []:
        if f.get("best_vocab"):
            try:
                out.append((float(str(f["budget"]).partition("=")[2]), int(f["best_vocab"]), not f.get("ahead_untrained")))
            except ValueError:
                continue
    return out


def _optimum_panel(ax, best: list[tuple[float, int, bool]]) -> None:
    """The best vocabulary against the budget (Tao et al. 2024 ask whether it grows with compute);
    a hollow marker where vocabularies still learning already scored lower (no optimum yet)."""
    xs, ys = [b for b, _, _ in best], [v for _, v, _ in best]
    ax.plot(xs, ys, color=INK, lw=1.2)
    for x, y, settled in best:
        ax.plot([x], [y], marker="*", ms=11, color=INK, mfc=INK if settled else "white", ls="none")
    if not all(settled for _, _, settled in best):
        ax.text(0.02, 0.02, "hollow: not determined (vocabularies still learning scored lower)",
                transform=ax.transAxes, fontsize=7, color=INK)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(xs))  # each budget labelled, plain text (no mathtext)
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}".replace("e+", "e")))
    ax.set_yscale("log", base=2)
    vocab = sorted(set(ys))
    ax.yaxis.set_major_locator(FixedLocator(vocab))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _vocab_label(v)))
    ax.set_ylim(vocab[0] / 1.6, vocab[-1] * 1.6)
    ax.set_xlabel("budget (training FLOPs, log scale)")
    ax.set_ylabel("best vocabulary that trained")
    ax.set_title("optimum per budget", loc="left", fontsize=10, fontweight="bold")
    light_grid(ax, "both")


def study_findings(d: ReportData) -> list[str]:
    """Per budget: the best vocabulary that trained and whether the others are separated from it;
    Spearman's rho between compression and bits per byte; whether the optimum grows with compute."""
    study = _settled(d)
    out = []
    for f in study.get("per_budget") or []:
        s = f"At {f['budget']}: "
        if f.get("best_tokenizer"):
            s += f"the best vocabulary that trained is {f['best_vocab']:,} ({fmt.num(f['best_bits_per_byte'])} bits/byte)"
            against = f.get("against_best") or []
            beaten = [a["tokenizer"] for a in against if a.get("verdict") == f["best_tokenizer"]]
            close = [a for a in against if not a.get("verdict")]
            if beaten:
                s += f"; it is better than {', '.join(d.label(t) for t in beaten)}"
            if close:
                s += ("; not separated from " + ", ".join(d.label(a["tokenizer"]) for a in close)
                      + f" ({close[0]['decided_by']})")
            if f.get("ahead_untrained"):
                s += ("; but " + ", ".join(d.label(t) for t in f["ahead_untrained"]) + ", still learning, already "
                      "scored lower bits per byte, so this budget's optimum is not determined")
        else:
            s += "no BPE vocabulary trained"
        if f.get("untrained"):
            s += f". Not ranked (did not train): {', '.join(d.label(t) for t in f['untrained'])}"
        rho = f.get("spearman_rho")
        if rho:
            interval = fmt.ci(rho.get("ci_low"), rho.get("ci_high"))
            s += (f". Spearman's ρ between bytes per token and bits per byte over {len(rho['tokenizers'])} trained "
                  f"tokenizers: {fmt.num(rho['rho'])}" + (f" ({ci_level(d)} {interval})" if interval else ""))
        out.append(s + ".")
    grows = study.get("optimum_grows_with_compute")
    if grows and len(study.get("budgets") or []) > 1:
        out.append(f"Does the best vocabulary grow with compute on this corpus? {grows[0].upper() + grows[1:]}.")
    return out


def study_page(d: ReportData) -> Section | None:
    table = d.study
    if table is None or "budget" not in table.columns:
        return None
    budgets = list(dict.fromkeys(table["budget"].astype(str)))
    section = Section("study", "Study: what a vocabulary size buys")
    section.blocks.append(Chart(_figure(d, table, budgets), "fig_study.png",
                                caption="Bits per byte against vocabulary size, per budget"))
    findings = study_findings(d)
    if findings:
        section.blocks.append(Bullets(findings))
    rows = []
    for r in table.to_dict("records"):
        trained = bool(r.get("trained")) if r.get("trained") == r.get("trained") else False
        value = fmt.value_ci(r.get("bits_per_byte"), r.get("ci_low"), r.get("ci_high")) \
            if finite(r.get("bits_per_byte")) else "–"
        need = f"needs flops={r['needed_flops']:.1e}" if finite(r.get("needed_flops")) else ""
        rows.append([str(r["budget"]), d.label(str(r["tokenizer"])), fmt.count(r.get("vocab_size")),
                     fmt.num(r.get("bytes_per_token")) if finite(r.get("bytes_per_token")) else "–", value,
                     fmt.num(r.get("seed_sd")) if finite(r.get("seed_sd")) else "–",
                     "yes" if trained else ("no; " + need if need else "no")])
    section.blocks.append(Table(["budget", "tokenizer", "vocabulary", "bytes per token (eval documents)",
                                 f"bits per byte, {ci_level(d)}", "seed sd (bits/byte)", "trained"], rows,
                                caption="Every budget and tokenizer of the study"))
    from .training import trained_rule

    section.blocks.append(Paragraph(
        "Bits per byte is the mean over seeds; its interval is a bootstrap over the evaluation documents, the seed "
        "spread a standard deviation over seeds. " + trained_rule(), muted=True))
    return section
