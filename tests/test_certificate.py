"""Certificates of completion from a cohort's self-assessments (``m100 certificates``)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from m100model.assessment import collect, load_assessment, save_submission
from m100model.certificate import (
    MODULE_HOURS,
    MODULE_PAGES,
    completions,
    issue,
    module_hours,
    read_names,
    render_html,
)
from m100model.cli import app
from m100model.errors import InputError
from m100model.exercises import MODULES

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
OPTIONS = ["--trainer", "Ana Pop", "--organisation", "M100 hub", "--date", "2026-03-14"]


def _answers(module: str, right: int) -> dict:
    """Answers to a module's quiz with the first ``right`` right and the rest wrong."""
    quiz = load_assessment(module)
    out = {}
    for i, q in enumerate(quiz.questions):
        if i < right:
            out[q.id] = q.answer
        elif q.type == "choice":
            out[q.id] = next(k for k in q.choices if k != str(q.answer))
        else:
            out[q.id] = "1e9 t" if q.unit else 1e9
    return out


def _cohort(folder: Path) -> Path:
    """P01 completes mrv and mobility; P02 completes mrv only (mobility: no 'after');
    P03 takes both mrv self-assessments but gets too few right after; P04 only 'before'."""
    n_mrv = len(load_assessment("mrv").questions)
    n_mob = len(load_assessment("mobility").questions)
    for p in ["P01", "P02", "P03", "P04"]:
        save_submission(folder, p, "mrv", "before", answers=_answers("mrv", 0), date="2026-03-12")
    save_submission(
        folder, "P01", "mrv", "after", answers=_answers("mrv", n_mrv), hours=9.5, date="2026-03-13"
    )
    save_submission(folder, "P01", "mobility", "before", answers=_answers("mobility", 1))
    save_submission(
        folder, "P01", "mobility", "after", answers=_answers("mobility", n_mob), date="2026-04-03"
    )
    save_submission(folder, "P02", "mrv", "after", answers=_answers("mrv", (n_mrv + 1) // 2))
    save_submission(folder, "P02", "mobility", "before", answers=_answers("mobility", 0))
    save_submission(folder, "P03", "mrv", "after", answers=_answers("mrv", 1))
    return folder


def test_module_hours_match_the_book():
    """The library's hours are those the book states: the 'At a glance' box of each module
    page, the module total of the GHG/MRV module's index."""
    assert list(MODULE_HOURS) == list(MODULES) == list(MODULE_PAGES)
    for module, page in MODULE_PAGES.items():
        text = (ROOT / page).read_text(encoding="utf-8")
        if module == "mrv":
            found = re.search(r"\*\*Module total\*\*\s*\|\s*\*\*([\d.]+)\*\*", text)
        else:
            found = re.search(r"\*\*CPD hours:\*\*\s*([\d.]+)", text)
        assert found, page
        assert float(found.group(1)) == MODULE_HOURS[module], page
    table = module_hours()
    assert table["hours"].sum() == pytest.approx(sum(MODULE_HOURS.values()))
    assert list(table["module"]) == list(MODULES)


def test_who_completed_what(tmp_path):
    cohort = collect(_cohort(tmp_path))
    done = completions(cohort).set_index(["participant", "module"])
    assert done.at[("P01", "mrv"), "completed"] and done.at[("P01", "mobility"), "completed"]
    assert done.at[("P02", "mrv"), "completed"]
    assert not done.at[("P02", "mobility"), "completed"]
    assert "no self-assessment after" in done.at[("P02", "mobility"), "why_not"]
    assert not done.at[("P03", "mrv"), "completed"]
    assert "below 50%" in done.at[("P03", "mrv"), "why_not"]
    assert "no self-assessment after" in done.at[("P04", "mrv"), "why_not"]
    # A stricter pass mark: P02's half right is no longer enough.
    strict = completions(cohort, pass_score=1.0).set_index(["participant", "module"])
    assert not strict.at[("P02", "mrv"), "completed"]
    assert strict.at[("P01", "mrv"), "completed"]


def test_certificates_name_the_participants_and_their_hours(tmp_path):
    cohort = collect(_cohort(tmp_path))
    certs = issue(
        cohort,
        trainer="Ana Pop",
        organisation="M100 hub",
        date="2026-03-14",
        names={"P01": "Ioana Ștefănescu"},
    )
    assert [c.participant for c in certs] == ["P01", "P02"]  # P03, P04: none
    p01, p02 = certs
    assert p01.name == "Ioana Ștefănescu" and p02.name == "P02"
    assert [m["module"] for m in p01.modules] == ["mrv", "mobility"]
    assert p01.hours == MODULE_HOURS["mrv"] + MODULE_HOURS["mobility"]
    assert p02.hours == MODULE_HOURS["mrv"]
    page = p01.html()
    assert "Ioana Ștefănescu" in page and "Participant code P01" in page
    assert "Ana Pop" in page and "M100 hub" in page and "2026-03-14" in page
    assert "not an accreditation by a professional body" in page
    assert f">{MODULE_HOURS['mrv'] + MODULE_HOURS['mobility']:g}<" in page
    assert "<script" not in page and "http" not in page  # self-contained
    assert p01.id != p02.id and len(p01.id) == 12


def test_html_escapes_every_text(tmp_path):
    cohort = collect(_cohort(tmp_path))
    certs = issue(
        cohort,
        trainer='Dr. <b>"Pop"</b>',
        organisation="A & B <script>alert(1)</script>",
        date="2026-03-14",
        names={"P01": "<img src=x onerror=alert(1)>"},
    )
    page = render_html(certs[0])
    assert "<img" not in page and "<script>" not in page and "<b>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "A &amp; B &lt;script&gt;" in page
    assert "&quot;Pop&quot;" in page


def test_bad_text_is_refused(tmp_path):
    cohort = collect(_cohort(tmp_path))
    with pytest.raises(InputError, match="--trainer"):
        issue(cohort, trainer="  ", organisation="x")
    with pytest.raises(InputError, match="control character"):
        issue(cohort, trainer="a\x07b", organisation="x")
    with pytest.raises(InputError, match="at most 200"):
        issue(cohort, trainer="x", organisation="y" * 201)
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        issue(cohort, trainer="x", organisation="y", date="14.03.2026")


def test_names_table(tmp_path):
    good = tmp_path / "names.csv"
    good.write_text("participant,name\nP01,Ioana Ștefănescu\nP02,  Mihai   Pop \n", "utf-8")
    assert read_names(good) == {"P01": "Ioana Ștefănescu", "P02": "Mihai Pop"}
    twice = tmp_path / "twice.csv"
    twice.write_text("participant,name\nP01,A\nP01,B\n", "utf-8")
    with pytest.raises(InputError, match=r"row 3.*listed twice"):
        read_names(twice)
    no_col = tmp_path / "nocol.csv"
    no_col.write_text("code,name\nP01,A\n", "utf-8")
    with pytest.raises(InputError, match="missing column"):
        read_names(no_col)


def test_cli_writes_one_certificate_per_completer(tmp_path):
    folder = _cohort(tmp_path / "cohort")
    names = tmp_path / "names.csv"
    names.write_text("participant,name\nP01,Ioana <Ștefănescu>\n", "utf-8")
    out = tmp_path / "certs"
    result = runner.invoke(
        app, ["certificates", str(folder), *OPTIONS, "--names", str(names), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "2 certificates written" in result.stdout
    assert "not completed: P03 mrv" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "P01.html",
        "P02.html",
        "certificates.csv",
        "index.html",
    ]
    assert "Ioana &lt;Ștefănescu&gt;" in (out / "P01.html").read_text("utf-8")
    with (out / "certificates.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["participant"], float(r["hours"])) for r in rows] == [
        ("P01", MODULE_HOURS["mrv"] + MODULE_HOURS["mobility"]),
        ("P02", MODULE_HOURS["mrv"]),
    ]
    assert "P02: no name" in result.stderr or "no name in" in result.stderr
    # Only one module.
    only = tmp_path / "only"
    result = runner.invoke(
        app, ["certificates", str(folder), *OPTIONS, "--module", "mobility", "--out", str(only)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in only.iterdir()) == ["P01.html", "certificates.csv", "index.html"]


def _one_line_exit_2(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--trainer", ""], "--trainer"),
        (["--date", "yesterday"], "YYYY-MM-DD"),
        (["--pass-score", "0"], "--pass-score"),
        (["--module", "astrology"], "unknown module"),
    ],
)
def test_cli_bad_options_one_line(tmp_path, extra, expected):
    folder = _cohort(tmp_path / "cohort")
    out = tmp_path / "certs"
    result = runner.invoke(app, ["certificates", str(folder), *OPTIONS, *extra, "--out", str(out)])
    assert expected in _one_line_exit_2(result)
    assert not out.exists()


def test_cli_bad_input_writes_nothing(tmp_path):
    out = tmp_path / "certs"
    missing = runner.invoke(
        app, ["certificates", str(tmp_path / "nowhere"), *OPTIONS, "--out", str(out)]
    )
    assert "does not exist" in _one_line_exit_2(missing)
    no_org = runner.invoke(
        app, ["certificates", str(tmp_path), "--trainer", "A", "--out", str(out)]
    )
    assert "--organisation" in _one_line_exit_2(no_org)
    # Nobody completed: nothing written.
    empty = tmp_path / "cohort"
    save_submission(empty, "P09", "mrv", "before", answers={})
    nobody = runner.invoke(app, ["certificates", str(empty), *OPTIONS, "--out", str(out)])
    assert "no participant completed" in _one_line_exit_2(nobody)
    bad_names = tmp_path / "names.csv"
    bad_names.write_text("participant,name\nP01,\n", "utf-8")
    folder = _cohort(tmp_path / "full")
    result = runner.invoke(
        app, ["certificates", str(folder), *OPTIONS, "--names", str(bad_names), "--out", str(out)]
    )
    assert "row 2" in _one_line_exit_2(result)
    assert not out.exists()
    # An existing folder is kept unless --force.
    out.mkdir()
    (out / "keep.txt").write_text("mine", "utf-8")
    exists = runner.invoke(app, ["certificates", str(folder), *OPTIONS, "--out", str(out)])
    assert "exists" in _one_line_exit_2(exists)
    assert (out / "keep.txt").exists()
    forced = runner.invoke(
        app, ["certificates", str(folder), *OPTIONS, "--out", str(out), "--force"]
    )
    assert forced.exit_code == 0, forced.output
    assert not (out / "keep.txt").exists() and (out / "P01.html").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".certs")]
