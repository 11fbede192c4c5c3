"""The README's tables of corpus specs, tokenizer specs and metrics, written from the registries.

The README holds each table between ``<!-- generated: NAME -->`` and ``<!-- end: NAME -->``;
``python -m tokeff.docs`` rewrites them from :mod:`tokeff.corpus.registry`,
:mod:`tokeff.adapters.registry` and :mod:`tokeff.metrics.registry`, and a test fails when the
README and the registries disagree, so the lists are kept in one place.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`"


def corpus_table() -> str:
    from .corpus.registry import specs

    rows = [f"| {_code(s.form)} | {_cell(s.help)} |" for s in specs()]
    return "\n".join(["| spec | what |", "|---|---|", *rows])


def tokenizer_table() -> str:
    from .adapters.registry import spec_help

    rows = [f"| {_code(form)} | {_cell(text)} |" for form, text in spec_help()]
    return "\n".join(["| spec | what |", "|---|---|", *rows])


def metric_table() -> str:
    from .metrics.registry import families

    rows = [f"| {_code(m.name)} | {f.name} | {_cell(m.unit.replace('{baseline}', 'baseline'))} | "
            f"{m.better or '–'} | {_cell(m.definition)} |"
            for f in families() for m in f.metrics]
    return "\n".join(["| metric | family | unit | better | definition |", "|---|---|---|---|---|", *rows])


TABLES = {"corpus-specs": corpus_table, "tokenizer-specs": tokenizer_table, "metrics": metric_table}


def _region(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated: {name} -->\n)(.*?)(\n<!-- end: {name} -->)", re.S)


def rendered(readme: str) -> str:
    """``readme`` with every generated table rewritten from the registries."""
    for name, table in TABLES.items():
        pattern = _region(name)
        if not pattern.search(readme):
            raise ValueError(f"the README has no '<!-- generated: {name} -->' ... '<!-- end: {name} -->' region")
        readme = pattern.sub(lambda m: m.group(1) + table() + m.group(3), readme)
    return readme


def main(argv: list[str] | None = None) -> int:
    path = Path(argv[0] if argv else Path(__file__).resolve().parents[1] / "README.md")
    text = path.read_text(encoding="utf-8")
    new = rendered(text)
    if new != text:
        path.write_text(new, encoding="utf-8")
        print(f"rewrote the generated tables of {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
