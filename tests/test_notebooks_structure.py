"""The notebooks as documents: each says what it teaches and for whom, ends with what was
learned and what to try next, labels illustrative data, is committed with its outputs (which
nbval compares), and carries no widget state or network address in its outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    p for p in (ROOT / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
)


# What the first and last cells say, in the notebook's language (a Romanian version of a
# notebook lives in a folder named ro/).
WORDS = {
    "en": {
        "whom": ("for whom",),
        "purpose": ("teaches", "is for"),
        "data": ("illustrative",),
        "end": ("what you learned",),
        "next": ("try next",),
    },
    "ro": {
        "whom": ("pentru cine",),
        "purpose": ("la ce folosește", "ce vă învață"),
        "data": ("ilustrativ",),
        "end": ("ce ați învățat",),
        "next": ("ce să încercați în continuare",),
    },
}


def test_the_notebooks_of_the_issue_are_there():
    names = {p.relative_to(ROOT / "notebooks").as_posix() for p in NOTEBOOKS}
    for n in range(1, 6):
        assert any(name.startswith(f"0{n}_") for name in names), n
    assert {"workshop/facilitator.ipynb", "workshop/team.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_notebook_structure(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    first, last = nb.cells[0], nb.cells[-1]
    assert first.cell_type == "markdown" and last.cell_type == "markdown"
    words = WORDS["ro" if "ro" in path.relative_to(ROOT / "notebooks").parts[:-1] else "en"]
    for part, cell in (("whom", first), ("purpose", first), ("data", first), ("end", last)):
        assert any(w in cell.source.lower() for w in words[part]), (part, words[part])
    assert any(w in last.source.lower() for w in words["next"]), words["next"]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "commit the notebook executed (make notebooks)"
    assert any("nbval-check-output" in c.metadata.get("tags", []) for c in code)
    assert "widgets" not in nb.metadata, "widget state carries a 1 MB bundle: do not store it"
    for c in code:
        for out in c.get("outputs", []):
            assert out.get("output_type") != "error"
            # A warning in the kernel shows as stderr: none may be committed.
            assert not (out.get("output_type") == "stream" and out.get("name") == "stderr")
            text = str(out.get("data", {}).get("text/html", ""))
            assert "cdn.jsdelivr" not in text and "esm.sh" not in text
