"""Every relative link a learner can click (markdown cells of chapters/, exercises/, solutions/,
and the repository's markdown files) resolves to a file of the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest
from conftest import CHAPTERS, EXERCISES, ROOT, SOLUTIONS

NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb")) + sorted(EXERCISES.glob("*.ipynb")) + sorted(SOLUTIONS.glob("*.ipynb"))
MARKDOWN_FILES = [ROOT / "README.md", *sorted((ROOT / "bplib").rglob("*.md"))]

# Code and maths are not links, even when they contain [..](..).
_NOT_PROSE = re.compile(r"```.*?```|`[^`\n]*`|\$\$.*?\$\$|\$[^$\n]*\$", re.DOTALL)
_LINKS = [
    re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"),  # [text](target), ![alt](target)
    re.compile(r"^\s*\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE),  # [label]: target
    re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']"""),  # HTML
]
_EXTERNAL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//|#)")  # http:, mailto:, protocol-relative, anchors


def links_in(markdown: str) -> list[str]:
    """The link targets of a markdown text, in order (code spans, code blocks and maths skipped)."""
    prose = _NOT_PROSE.sub(" ", markdown)
    return [m.group(1) for pattern in _LINKS for m in pattern.finditer(prose)]


def _tracked_files() -> set[Path] | None:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None  # not a git checkout (an unpacked release): existence is checked instead
    return {(ROOT / name).resolve() for name in out.decode().split("\0") if name}


TRACKED = _tracked_files()


def broken_links(markdown: str, folder: Path) -> list[str]:
    """The relative links of `markdown` (a file in `folder`) that do not name a repository file."""
    broken = []
    for target in links_in(markdown):
        if _EXTERNAL.match(target):
            continue
        path = unquote(target.split("#", 1)[0].split("?", 1)[0])
        resolved = (folder / path).resolve()
        inside = resolved == ROOT or ROOT in resolved.parents
        known = resolved.is_file() if TRACKED is None else resolved in TRACKED
        if not (inside and known):
            broken.append(target)
    return broken


def test_the_link_finder_finds_links_and_skips_code_and_maths():
    text = ("See [the exercise](../exercises/01_x.ipynb#task-1), ![plot](img/a.png) and "
            '<a href="b.md">b</a>.\n[ref]: c/d.md\n`arr[i](j)` and $x[1](2)$ are not links.\n'
            "```\n[no](no.md)\n```\n[web](https://example.org)")
    assert links_in(text) == ["../exercises/01_x.ipynb#task-1", "img/a.png", "https://example.org",
                              "c/d.md", "b.md"]


def test_a_link_to_a_missing_file_or_outside_the_repository_is_broken():
    folder = ROOT / "chapters"
    assert broken_links("[ok](../README.md) [gone](../exercises/99_missing.ipynb)", folder) == [
        "../exercises/99_missing.ipynb"]
    assert broken_links("[escape](../../outside.md) [web](https://x.org) [anchor](#top)", folder) == [
        "../../outside.md"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_every_relative_link_of_a_notebook_resolves(path):
    nb = nbformat.read(path, as_version=4)
    broken = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            bad = broken_links(cell.source, path.parent)
            if bad:
                broken[f"cell {index}"] = bad
    assert not broken, f"links that open nothing: {broken}"


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=[str(p.relative_to(ROOT)) for p in MARKDOWN_FILES])
def test_every_relative_link_of_a_markdown_file_resolves(path):
    assert broken_links(path.read_text(encoding="utf-8"), path.parent) == []


def test_each_chapter_links_to_its_exercise_and_each_exercise_back():
    for chapter in sorted(CHAPTERS.glob("*.ipynb")):
        exercise = EXERCISES / chapter.name
        chapter_links = {t for c in nbformat.read(chapter, as_version=4).cells if c.cell_type == "markdown"
                         for t in links_in(c.source)}
        exercise_links = {t for c in nbformat.read(exercise, as_version=4).cells if c.cell_type == "markdown"
                          for t in links_in(c.source)}
        assert f"../exercises/{chapter.name}" in chapter_links, chapter.name
        assert f"../chapters/{chapter.name}" in exercise_links, exercise.name


def test_links_of_the_readme_cover_every_chapter_and_exercise():
    targets = set(links_in((ROOT / "README.md").read_text(encoding="utf-8")))
    expected = {f"{folder.name}/{p.name}" for folder in (CHAPTERS, EXERCISES) for p in folder.glob("*.ipynb")}
    assert expected <= targets, sorted(expected - targets)

