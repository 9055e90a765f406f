"""The docs' pages: every code block is included from a file the tests run, and every such file is run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docs_examples import DOCS, EXAMPLES

PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)
FENCE = re.compile(r"^(`{3,}|:{3,})[ \t]*(\{[\w-]+\})?[ \t]*(\S*)[ \t]*$")
#: Blocks that show what a command printed or a file holds: output, not code to run.
OUTPUT = {"text", "console-output", "json", ""}


def blocks(page: Path) -> list[tuple[str, str]]:
    """Each fenced block's directive (``{literalinclude}``...) or language, in order."""
    found, closing = [], []
    for line in page.read_text(encoding="utf-8").splitlines():
        fence = FENCE.match(line.strip())
        if fence is None:
            continue
        if closing and fence.group(1) == closing[-1] and not fence.group(2) and not fence.group(3):
            closing.pop()
            continue
        found.append((fence.group(2) or "", fence.group(3)))
        closing.append(fence.group(1))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_no_code_block_is_written_in_a_page(page: Path) -> None:
    written = [language for directive, language in blocks(page) if not directive and language not in OUTPUT]
    assert written == [], f"{page.name}: include these from docs/examples/ instead"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_every_included_file_and_marker_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for match in re.finditer(r"\{(?:literalinclude|include)\}\s+(\S+)((?:\n:[\w-]+:.*)*)", text):
        path = (page.parent / match.group(1)).resolve()
        assert path.is_file(), match.group(1)
        for marker in re.findall(r":(?:start-after|end-before): (.+)", match.group(2)):
            assert marker.strip().strip('"') in path.read_text(encoding="utf-8"), (match.group(1), marker)


def test_every_example_is_run_by_a_test() -> None:
    tests = "".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py"))
    unrun = [p.stem for p in EXAMPLES.glob("*.py") if f'"{p.stem}"' not in tests]
    assert unrun == []
