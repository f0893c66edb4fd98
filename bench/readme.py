"""Put a report into README.md, between the `<!-- bench -->` and `<!-- /bench -->` lines.

The report's title goes (the README's section has its own) and its `##` sections become `###`.
"""

from __future__ import annotations

import re
from pathlib import Path

from bench.project import ROOT

START = "<!-- bench -->"
END = "<!-- /bench -->"
README = ROOT / "README.md"


def as_section(report: str) -> str:
    """The report with its `# ` title removed and its `## ` headings one level down."""
    lines = [line for line in report.strip().splitlines() if not line.startswith("# ")]
    text = "\n".join(lines).strip()
    return re.sub(r"^## ", "### ", text, flags=re.MULTILINE)


def splice(readme: str, report: str) -> str:
    """`readme` with what lies between the markers replaced by `as_section(report)`."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md needs a {START} line followed by a {END} line")
    head = readme[: start + len(START)]
    return f"{head}\n{as_section(report)}\n{readme[end:]}"


def write(report: str, path: Path = README) -> None:
    path.write_text(splice(path.read_text(encoding="utf-8"), report), encoding="utf-8")
