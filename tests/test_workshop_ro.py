"""What trainers, teams and facilitators read, in Romanian on request: the summary of a
cohort's self-assessments (``m100 assess --lang ro``), the certificates (``m100 certificates
--lang ro``) and the workshop simulation's messages and tables. Strict mode
(``M100_I18N_STRICT=1``) makes any text without a translation fail; the English default and
the data (CSV, JSON, grades) do not change with the language."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from m100model.assessment import collect, load_assessments, save_submission
from m100model.certificate import format_date, issue, render_html, render_index
from m100model.cli import app
from m100model.errors import InputError
from m100model.i18n import use_language
from m100model.workshop import (
    ROLES,
    WorkshopSession,
    display_table,
    plan_table,
    programme_menu,
    read_choice,
    roles_table,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "exercises" / "assessment" / "example_cohort"
SESSION = ROOT / "notebooks" / "workshop" / "example_session"
runner = CliRunner()
OPTIONS = ["--trainer", "Ana Pop", "--organisation", "Hub M100", "--date", "2026-12-02"]


@pytest.fixture(autouse=True)
def strict(monkeypatch):
    monkeypatch.setenv("M100_I18N_STRICT", "1")
    monkeypatch.delenv("M100_LANG", raising=False)


# ---------------------------------------------------------------------------------------
# m100 assess
# ---------------------------------------------------------------------------------------
def test_assess_in_romanian_prints_romanian_headers_and_module_titles():
    result = runner.invoke(app, ["assess", str(EXAMPLE), "--lang", "ro"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    titles = {m: a.title_ro for m, a in load_assessments().items()}
    assert "participanți în" in out and ": 4" in out
    for text in (
        "Pe participant: test (corecte/întrebări) și încredere (1-5)",
        "Pe întrebare: ponderea participanților care răspund corect",
        "Pe afirmație: încrederea medie (1-5)",
        "test înainte",
        "încred. după",
        "de revizuit",
        "cu variante",
        "numerică",
        "creștere mică",
        f"mrv = {titles['mrv']}",
        f"mobility = {titles['mobility']}",
    ):
        assert text in out, text
    for english in ("Per participant", "quiz before", "participants in", "review the unit"):
        assert english not in out, english
    assert re.search(r"│ +\d,\d\d │", out)  # the decimal comma
    assert not re.search(r"│ +\d\.\d\d │", out)
    english = runner.invoke(app, ["assess", str(EXAMPLE)]).stdout
    if "Questions most participants still miss after the module" in english:
        assert "Întrebări la care majoritatea participanților greșesc și după modul" in out


def test_assess_grades_the_same_in_every_language():
    """The language is for reading: the JSON and CSV (data) and the grades are the same."""
    en = runner.invoke(app, ["assess", str(EXAMPLE), "--format", "json"])
    ro = runner.invoke(app, ["assess", str(EXAMPLE), "--format", "json", "--lang", "ro"])
    assert en.exit_code == ro.exit_code == 0
    en_data, ro_data = json.loads(en.stdout), json.loads(ro.stdout)
    for table in ("by_participant", "by_question", "by_statement"):
        assert en_data[table] == ro_data[table], table
    csv_en = runner.invoke(app, ["assess", str(EXAMPLE), "--format", "csv"]).stdout
    csv_ro = runner.invoke(app, ["assess", str(EXAMPLE), "--format", "csv", "--lang", "ro"])
    assert csv_ro.stdout == csv_en
    assert "right_before" in csv_en  # machine columns stay English


def test_assess_default_stays_english():
    result = runner.invoke(app, ["assess", str(EXAMPLE)])
    assert result.exit_code == 0
    assert "4 participants in" in result.stdout
    assert "Per participant: quiz (right/asked) and confidence (1-5)" in result.stdout
    assert "Module:" not in result.stdout and "Modules:" not in result.stdout
    bad = runner.invoke(app, ["assess", str(EXAMPLE), "--lang", "fr"])
    assert bad.exit_code == 2


def test_assess_warnings_in_romanian(tmp_path):
    folder = tmp_path / "cohort"
    shutil.copytree(EXAMPLE, folder)
    (folder / "P09.json").write_text(
        json.dumps(
            {
                "participant": "Ana Pop",
                "records": [
                    {"module": "cooking", "phase": "before"},
                    {"module": "mrv", "phase": "before", "answers": {"q98": "a", "q99": "b"}},
                    {"module": "mrv", "phase": "before", "confidence": {"s99": 3}},
                ],
            }
        ),
        "utf-8",
    )
    shutil.copy(folder / "P01.json", folder / "P01b.json")
    cohort = collect(folder, lang="ro")
    text = "\n".join(cohort.warnings)
    assert "participantul „Ana Pop” pare a fi un nume" in text
    assert "modulul necunoscut „cooking” a fost ignorat" in text
    assert "apare de mai multe ori (apariții: 2)" in text
    assert "se află și în P01.json" in text
    english = collect(folder, lang="en")
    assert english.warnings != cohort.warnings and len(english.warnings) == len(cohort.warnings)
    assert english.by_participant().equals(cohort.by_participant())
    result = runner.invoke(app, ["assess", str(folder), "--lang", "ro"])
    assert result.exit_code == 0
    assert "avertisment: P09.json:" in result.stderr


def test_a_participants_own_language_reads_their_numbers(tmp_path):
    """``lang: ro`` in a submission reads '1,010 kt' with a decimal comma (1.01 kt); without
    it, the comma groups thousands (1010 kt). The language the summary is shown in does not
    change either."""
    quiz = load_assessments()["mrv"]
    q = next(q for q in quiz.questions if q.type == "numeric" and q.unit == "t")
    value = float(q.answer)
    assert 1000 <= value < 10_000, "the test needs an answer of a few thousand tonnes"
    written = f"{value / 1000:.3f} kt".replace(".", ",")  # Romanian decimal comma
    save_submission(tmp_path, "P01", "mrv", "after", answers={q.id: written}, lang="ro")
    save_submission(tmp_path, "P02", "mrv", "after", answers={q.id: written})
    assert json.loads((tmp_path / "P01.json").read_text("utf-8"))["lang"] == "ro"
    assert "lang" not in json.loads((tmp_path / "P02.json").read_text("utf-8"))
    for lang in ("en", "ro"):
        answers = collect(tmp_path, lang=lang).answers.set_index(["participant", "question"])
        assert bool(answers.at[("P01", q.id), "correct"]) is True, lang
        assert bool(answers.at[("P02", q.id), "correct"]) is False, lang


# ---------------------------------------------------------------------------------------
# m100 certificates
# ---------------------------------------------------------------------------------------
def test_romanian_dates():
    assert format_date("2026-12-02", "ro") == "2 decembrie 2026"
    assert format_date("2026-03-01", "ro") == "1 martie 2026"
    assert format_date("2026-12-02", "en") == "2026-12-02"
    assert format_date("last week", "ro") == "last week"


def _cohort(folder: Path) -> Path:
    """P01 completes mrv (every answer right, 9.5 hours recorded) and mobility; P02 takes
    only the self-assessment before mrv."""
    quizzes = load_assessments()
    right = {m: {q.id: q.answer for q in quizzes[m].questions} for m in ("mrv", "mobility")}
    save_submission(folder, "P01", "mrv", "before", answers={}, date="2026-03-12")
    save_submission(
        folder, "P01", "mrv", "after", answers=right["mrv"], hours=9.5, date="2026-03-13"
    )
    save_submission(folder, "P01", "mobility", "before", answers={}, date="2026-04-02")
    save_submission(
        folder, "P01", "mobility", "after", answers=right["mobility"], date="2026-04-03"
    )
    save_submission(folder, "P02", "mrv", "before", answers={}, date="2026-03-12")
    return folder


def test_a_romanian_certificate(tmp_path):
    cohort = _cohort(tmp_path / "cohort")
    out = tmp_path / "certs"
    result = runner.invoke(
        app, ["certificates", str(cohort), *OPTIONS, "--out", str(out), "--lang", "ro"]
    )
    assert result.exit_code == 0, result.output
    assert "1 certificat scris în" in result.stdout and "ore DPC în total: 18" in result.stdout
    assert "neabsolvit: P02 mrv (nicio autoevaluare după modul)" in result.stdout
    page = (out / "P01.html").read_text("utf-8")
    quizzes = load_assessments()
    titles = {m: a.title_ro for m, a in quizzes.items()}
    n_mrv = len(quizzes["mrv"].questions)
    for text in (
        '<html lang="ro">',
        "Certificat de absolvire",
        "Se certifică faptul că",
        "a absolvit următoarele module ale cursului:",
        "Ore DPC",
        "Dovezi ale învățării",
        titles["mrv"],
        titles["mobility"],
        "13 martie 2026",
        "Data emiterii: 2 decembrie 2026",
        f"testul de după modul: {n_mrv}/{n_mrv} corecte",
        "9,5 h înregistrate de participant",
        "Ordinului Arhitecților din România (OAR)",
        "Formator: Ana Pop",
    ):
        assert text in page, text
    for english in ("Certificate of completion", "CPD hours", "2026-12-02", "quiz after"):
        assert english not in page, english
    index = (out / "index.html").read_text("utf-8")
    assert "Certificate de absolvire" in index and titles["mobility"] in index
    # The same certificates, numbered the same, in English by default.
    english = tmp_path / "en"
    done = runner.invoke(app, ["certificates", str(cohort), *OPTIONS, "--out", str(english)])
    assert done.exit_code == 0, done.output
    en_page = (english / "P01.html").read_text("utf-8")
    assert "Certificate of completion" in en_page and "Date of issue: 2026-12-02" in en_page
    assert (english / "certificates.csv").read_text("utf-8") == (
        out / "certificates.csv"
    ).read_text("utf-8")


def test_certificates_in_python(tmp_path):
    cohort = collect(_cohort(tmp_path))
    certs = issue(cohort, trainer="Ana Pop", organisation="Hub", date="2026-12-02", lang="ro")
    assert all(c.lang == "ro" for c in certs)
    assert "2 decembrie 2026" in render_html(certs[0])
    assert render_index(certs).startswith('<!DOCTYPE html>\n<html lang="ro">')
    same = issue(cohort, trainer="Ana Pop", organisation="Hub", date="2026-12-02")
    assert [c.id for c in certs] == [c.id for c in same]  # the number does not depend on it
    with use_language("ro"):
        assert issue(cohort, trainer="A", organisation="B", date="2026-12-02")[0].lang == "ro"


# ---------------------------------------------------------------------------------------
# The workshop
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def session(tmp_path_factory):
    folder = tmp_path_factory.mktemp("session") / "example"
    shutil.copytree(SESSION, folder, ignore=shutil.ignore_patterns("results"))
    return WorkshopSession(folder)


def test_roles_in_romanian():
    assert ROLES["mayors_office"].name_in("ro") == "Cabinetul primarului"
    line = ROLES["transport_operator"].headline(1, lang="ro")
    assert line.startswith("Operatorul de transport public, runda 1: ")
    table = roles_table("ro")
    assert list(table.columns) == ["rol", "susține", "vrea"] and table.index.name == "echipă"
    assert "(instrumentele de finanțare)" in set(table["susține"])


def test_a_round_outcome_in_romanian(session, monkeypatch):
    out = session.run_round(1)
    report = out.report(lang="ro")
    assert report.startswith("Runda 1: planul NU poate fi finanțat așa cum a fost ales")
    for text in (
        "planul echipelor",
        "portofoliul cu cel mai mic cost",
        "emisii 2035 (kt)",
        "deficit față de țintă, toți anii (kt)",
        "cost actualizat net (M EUR)",
        "ținta atinsă în fiecare an: nu",
        "notă: bld_reno_gas: gata până în 2032 doar printr-un ritm de construire mai rapid",
        "planul costă mai mult decât pot finanța",
        "(ținta: 168,9)",
    ):
        assert text in report, text
    assert "2.022" in report or "2.021" in report  # jobs, with the thousands dot
    # What is saved stays English data.
    saved = json.loads((session.folder / "results" / "round_1.json").read_text("utf-8"))
    assert any("costs more than" in w for w in saved["warnings"])
    assert out.messages("en") == saved["warnings"]
    assert out.report(lang="en").startswith("Round 1: the plan can NOT be financed as chosen")


def test_session_tables_in_romanian(session):
    session.run_round(2)
    text = session.describe(lang="ro")
    assert "orașul Suceava; ținta: cu 40% sub nivelul din 2021 până în 2035" in text
    assert "buget municipal comun: 4,0 M EUR pe an" in text
    choices = session.choices_table(1, lang="ro")
    assert list(choices.columns) == ["programe", "finanțare", "notă"]
    assert "până în 2030" in choices.at["transport_operator", "programe"]
    history = session.history_table(lang="ro")
    assert history.index.name == "runda" and "cel mai mic cost" in history.index
    assert set(history["finanțat așa cum a fost ales"]) <= {"da", "nu"}
    assert "gospodării în sărăcie energetică" in history.columns
    d = session.plan_solver.data
    choices_1, _missing = session.read_round(1)
    plan = display_table(plan_table(choices_1, d, session.target_year), lang="ro")
    assert {"program", "temă", "gata până în", "notă"} <= set(plan.columns)
    assert "Autobuz electric în locul unui autobuz diesel" in set(plan["program"])
    assert "Mobilitate durabilă" in set(plan["temă"])
    comparison = display_table(session.run_round(2, save=False).comparison, lang="ro")
    assert {"ales", "construit", "cel mai mic cost"} <= set(comparison.columns)


def test_the_team_menu_in_romanian(session):
    menu = programme_menu(session.plan_solver.data, session.scenario.discount_rate, lang="ro")
    data = menu.data
    assert list(data.columns) == [
        "program",
        "temă",
        "maxim",
        "cost pe unitate (EUR)",
        "durată de pregătire (ani)",
        "EUR pe t CO2e",
    ]
    assert data.at["mob_ebus", "maxim"].endswith(" autobuz")
    html = menu.to_html()
    assert "Pompă de căldură" in html


def test_a_bad_choice_file_is_named_in_romanian(session, tmp_path):
    path = tmp_path / "round_1" / "finance.yaml"
    path.parent.mkdir()
    path.write_text("team: finance\nround: 1\nfunding: [lottery]\n", "utf-8")
    with use_language("ro"), pytest.raises(InputError, match="instrument necunoscut „lottery”"):
        read_choice(path, session.archetypes, session.instruments)
    with pytest.raises(InputError, match="unknown instrument 'lottery'"):
        read_choice(path, session.archetypes, session.instruments)
