"""How numbers and units are written in the report (the same in the PDF and the Markdown)."""

from __future__ import annotations

import math
import re

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def is_missing(x: object) -> bool:
    """True for None, NaN and empty strings."""
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    try:
        return math.isnan(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def num(x: object, sig: int = 3) -> str:
    """A number for a reader: ``4.41``, ``0.0123``, ``12,345``, ``3.2×10¹⁵``; ``–`` if missing."""
    if is_missing(x):
        return "–"
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(x)
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    a = abs(v)
    if a >= 1e7:
        return sci(v, sig)
    if a >= 1000 or (v == int(v) and a >= 100):
        return f"{v:,.0f}"
    if v == 0:
        return "0"
    if a < 1e-3:
        return f"{v:.{max(sig - 1, 0)}e}"
    text = f"{v:#.{sig}g}"
    return text.rstrip(".") if "e" not in text else text


def sci(x: object, sig: int = 3) -> str:
    """Always in powers of ten (``3.15×10⁶``), for columns whose values span many magnitudes."""
    if is_missing(x):
        return "–"
    v = float(x)  # type: ignore[arg-type]
    if v == 0:
        return "0"
    exp = int(math.floor(math.log10(abs(v))))
    return f"{v / 10**exp:.{max(sig - 1, 0)}f}×10{str(exp).translate(_SUPERSCRIPT)}"


def count(x: object) -> str:
    """An integer count with thousands separators (``1,997``)."""
    if is_missing(x):
        return "–"
    try:
        return f"{int(round(float(x))):,}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(x)


def nbytes(x: object) -> str:
    """A size in bytes for a reader: ``16.8 MB`` (decimal units, as corpora are described)."""
    if is_missing(x):
        return "–"
    v = float(x)  # type: ignore[arg-type]
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if abs(v) < 1000 or unit == "TB":
            return f"{v:,.0f} {unit}" if unit == "bytes" else f"{v:.3g} {unit}"
        v /= 1000
    return str(x)


def seconds(x: object) -> str:
    """A duration: ``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    if is_missing(x):
        return "–"
    s = float(x)  # type: ignore[arg-type]
    if s < 60:
        return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def ci(low: object, high: object, sig: int = 3) -> str:
    """``3.88–3.94``, or ``''`` when the interval is unknown."""
    if is_missing(low) or is_missing(high):
        return ""
    return f"{num(low, sig)}–{num(high, sig)}"


def value_ci(value: object, low: object, high: object, sig: int = 3) -> str:
    """``3.91 (3.88–3.94)``, or just the value when the interval is unknown."""
    interval = ci(low, high, sig)
    return f"{num(value, sig)} ({interval})" if interval else num(value, sig)


def diff(x: float) -> str:
    """A small difference with two significant digits: ``0.009``, ``0.012``, ``0.35``."""
    if is_missing(x):
        return "–"
    v = float(x)
    if v == 0 or abs(v) >= 1:
        return num(v)
    return f"{v:.2g}" if abs(v) >= 1e-4 else f"{v:.1e}"


def pct(x: float, sig: int = 2) -> str:
    """A fraction as a percentage: ``0.042`` → ``4.2%``."""
    if is_missing(x):
        return "–"
    v = 100 * float(x)
    return f"{v:.0f}%" if abs(v) >= 10 else f"{v:.{sig - 1}f}%"


_UNIT_WORDS = {"flops": "FLOPs", "params": "parameters", "ppl": "perplexity", "pct": "%", "gb": "GB", "mb": "MB"}


def column_title(name: str) -> str:
    """A CSV column name for a header: ``train_flops_per_byte`` → ``train FLOPs per byte``."""
    words = [w for w in re.split(r"[_\s]+", name) if w]
    return " ".join(_UNIT_WORDS.get(w.lower(), w) for w in words)


def setting_pairs(settings: object, prefix: str = "") -> list[tuple[str, str]]:
    """Nested settings as ``(a.b, value)`` pairs: dicts nest, lists are joined, and lists of
    records (per-run details) are left out — they are results, which the tables show."""
    out: list[tuple[str, str]] = []
    if isinstance(settings, dict):
        for k, v in settings.items():
            out += setting_pairs(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(settings, (list, tuple)):
        if not any(isinstance(v, dict) for v in settings):
            out.append((prefix, ", ".join(str(v) for v in settings) or "–"))
    elif isinstance(settings, float):
        out.append((prefix, num(settings, 4)))
    else:
        out.append((prefix, "–" if settings is None else str(settings)))
    return out


def pairs_line(pairs: list[tuple[str, str]]) -> str:
    """``a = 1  ·  b = x``: settings read as one wrapped line instead of a tall table."""
    return "  ·  ".join(f"{k} = {v}" for k, v in pairs)
