"""Certificates of completion from a cohort's self-assessments (``m100 certificates``).

The course's CPD hours live here, in one table (:data:`MODULE_HOURS`): the book's credits
page shows it and the certificates print it. They are the hours of the "At a glance" box of
each module page (``book/cpd/0*.md``) and the module total of ``book/mrv/index.md``; a test
checks that the two agree.

A participant **completed** a module when the cohort's submissions (see
:mod:`m100model.assessment`) hold both the self-assessment *before* and the one *after* the
module, and the quiz after it was answered right in at least :data:`PASS_SCORE` of its
questions. The certificate states exactly this, the module's hours as designed, and that it
is not a professional body's accreditation unless that body has accredited the course.

Submissions name participants by a code (``P07``), never by name; a trainer who wants names
on the certificates gives them in a separate table (``participant,name``) that stays with the
trainer (:func:`read_names`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from m100model.assessment import Cohort
from m100model.errors import InputError
from m100model.exercises.registry import MODULES
from m100model.i18n import N_, _, check_language, language, number, tr, use_language

MODULE_HOURS: dict[str, float] = {
    "mrv": 12.0,
    "mobility": 6.0,
    "buildings": 9.0,
    "energy": 10.0,
    "nature": 6.0,
    "circular": 5.0,
    "governance": 9.0,
}
"""CPD hours of each module as designed (reading, worked example and exercises, facilitated
session), from the "At a glance" box of each module page and the GHG/MRV module's total."""

MODULE_PAGES: dict[str, str] = {
    "mrv": "book/mrv/index.md",
    "mobility": "book/cpd/01_mobility.md",
    "buildings": "book/cpd/02_built_environment.md",
    "energy": "book/cpd/03_energy.md",
    "nature": "book/cpd/04_nature_based.md",
    "circular": "book/cpd/05_circular.md",
    "governance": "book/cpd/06_governance.md",
}
"""The book page that states each module's hours."""

PASS_SCORE = 0.5
"""Share of the quiz after the module to answer right for the module to count as completed."""

MAX_TEXT = 200
"""Longest name, trainer or organisation printed on a certificate (characters)."""

COURSE = N_("M100 climate-neutral cities course kit")

ROMANIAN_MONTHS = (
    "ianuarie",
    "februarie",
    "martie",
    "aprilie",
    "mai",
    "iunie",
    "iulie",
    "august",
    "septembrie",
    "octombrie",
    "noiembrie",
    "decembrie",
)


def format_date(value: str, lang: str | None = None) -> str:
    """A date as a certificate prints it: ``2026-12-02`` in English, "2 decembrie 2026" in
    Romanian. A text that is not a YYYY-MM-DD date (a participant's own ``date``) is printed
    as it is."""
    code = check_language(lang) if lang is not None else language()
    if code != "ro":
        return value
    try:
        day = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return value
    return f"{day.day} {ROMANIAN_MONTHS[day.month - 1]} {day.year}"


def module_hours() -> pd.DataFrame:
    """One row per module, in course order: ``module``, ``title``, ``hours``, ``page``."""
    return pd.DataFrame(
        [
            dict(module=m, title=MODULES[m], hours=MODULE_HOURS[m], page=MODULE_PAGES[m])
            for m in MODULES
        ]
    )


# ---------------------------------------------------------------------------------------
# Who completed what
# ---------------------------------------------------------------------------------------
def completions(
    cohort: Cohort, *, pass_score: float = PASS_SCORE, lang: str | None = None
) -> pd.DataFrame:
    """One row per participant and module of the cohort: the evidence
    (``before``/``after`` submitted, ``right_after`` of ``asked``, ``exercises``, the
    participant's own ``hours_recorded``), ``completed`` and, when not, ``why_not`` (in
    ``lang``; ``None``: the current language)."""
    if not 0 < pass_score <= 1:
        raise ValueError("pass_score must lie in (0, 1]")
    with use_language(lang):
        return _completions(cohort, pass_score)


def _completions(cohort: Cohort, pass_score: float) -> pd.DataFrame:
    part = cohort.by_participant()
    recs = cohort.records
    dates = (
        recs[recs["phase"] == "after"].set_index(["participant", "module"])["date"].to_dict()
        if not recs.empty
        else {}
    )
    rows = []
    for r in part.to_dict("records"):
        before = not _nan(r["score_before"])
        after = not _nan(r["score_after"])
        reasons = []
        if not before:
            reasons.append(_("no self-assessment before the module"))
        if not after:
            reasons.append(_("no self-assessment after the module"))
        elif r["score_after"] + 1e-12 < pass_score:
            reasons.append(
                _("quiz after the module {right}/{asked} right, below {share}").format(
                    right=int(r["right_after"]), asked=r["asked"], share=number(pass_score, ".0%")
                )
            )
        rows.append(
            dict(
                participant=str(r["participant"]),
                module=r["module"],
                before=before,
                after=after,
                right_after=None if not after else int(r["right_after"]),
                asked=int(r["asked"]),
                score_after=r["score_after"],
                exercises=r["exercises"],
                hours_recorded=r["hours"],
                completed_on=dates.get((r["participant"], r["module"])),
                completed=not reasons,
                why_not="; ".join(reasons),
            )
        )
    cols = [
        "participant",
        "module",
        "before",
        "after",
        "right_after",
        "asked",
        "score_after",
        "exercises",
        "hours_recorded",
        "completed_on",
        "completed",
        "why_not",
    ]
    return pd.DataFrame(rows, columns=cols)


def _nan(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


# ---------------------------------------------------------------------------------------
# Certificates
# ---------------------------------------------------------------------------------------
@dataclass
class Certificate:
    """One participant's certificate: the modules completed, with their evidence."""

    participant: str
    name: str
    modules: list[dict]
    issued: str
    trainer: str
    organisation: str
    pass_score: float = PASS_SCORE
    file: str = ""
    id: str = field(default="")
    lang: str = "en"
    """The language the certificate is printed in (``"en"`` or ``"ro"``; not part of its
    ``id``: the same certificate in either language has the same number)."""

    @property
    def hours(self) -> float:
        return float(sum(m["hours"] for m in self.modules))

    def __post_init__(self) -> None:
        if not self.id:
            key = "|".join(
                [
                    self.participant,
                    ",".join(m["module"] for m in self.modules),
                    self.issued,
                    self.organisation,
                ]
            )
            self.id = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12].upper()

    def html(self) -> str:
        """The certificate as one self-contained HTML page (no script, no external file),
        laid out for an A4 landscape print."""
        return render_html(self)


def issue(
    cohort: Cohort,
    *,
    trainer: str,
    organisation: str,
    date: str | None = None,
    names: dict[str, str] | None = None,
    pass_score: float = PASS_SCORE,
    lang: str | None = None,
) -> list[Certificate]:
    """A certificate for every participant who completed at least one module (see
    :func:`completions`), in participant order. ``names`` maps participant codes to the
    names to print (the code is printed where there is none). Bad text (an empty or too long
    trainer or organisation, a date that is not YYYY-MM-DD) raises an
    :class:`~m100model.errors.InputError`. The certificates are printed in ``lang``
    (``"en"`` or ``"ro"``; ``None``: the current language), the module titles in Romanian
    from the self-assessment bank's ``title_ro``."""
    lang = check_language(lang) if lang is not None else language()
    trainer = clean_text(trainer, "--trainer")
    organisation = clean_text(organisation, "--organisation")
    issued = check_date(date) if date is not None else dt.date.today().isoformat()
    names = names or {}
    done = completions(cohort, pass_score=pass_score)
    done = done[done["completed"]]
    order = list(MODULES)
    certs = []
    used: set[str] = set()
    for p, rows in done.groupby("participant", sort=True):
        modules = []
        for r in sorted(rows.to_dict("records"), key=lambda r: order.index(r["module"])):
            modules.append(
                dict(
                    module=r["module"],
                    title=_module_title(cohort, r["module"], lang),
                    hours=MODULE_HOURS.get(r["module"], 0.0),
                    completed_on=r["completed_on"] or "",
                    right_after=int(r["right_after"]),  # a completed module has one
                    asked=int(r["asked"]),
                    exercises=len(r["exercises"].split(", ")) if r["exercises"] else 0,
                    hours_recorded=None if _nan(r["hours_recorded"]) else r["hours_recorded"],
                )
            )
        cert = Certificate(
            participant=str(p),
            name=names.get(str(p), str(p)),
            modules=modules,
            issued=issued,
            trainer=trainer,
            organisation=organisation,
            pass_score=pass_score,
            lang=lang,
        )
        cert.file = _file_name(str(p), used)
        certs.append(cert)
    return certs


def _module_title(cohort: Cohort, module: str, lang: str) -> str:
    """A module's title on a certificate: the course's title in English, the bank's
    ``title_ro`` in Romanian (the catalogue's translation where the bank has none)."""
    title = MODULES.get(module, module)
    if lang == "en":
        return title
    quiz = cohort.assessments.get(module)
    if quiz is not None and quiz.title_ro:
        return quiz.title_in(lang)
    return tr(title, lang) if module in MODULES else module


def clean_text(value: str | None, what: str) -> str:
    """A name, trainer or organisation as a certificate prints it: one line of at most
    :data:`MAX_TEXT` characters, white space collapsed; refused if empty, too long or
    holding control characters."""
    if value is None or not str(value).strip():
        raise InputError(what, "missing or empty; give the text to print on the certificates")
    text = " ".join(str(value).split())
    if any(not ch.isprintable() for ch in text):
        raise InputError(what, "holds a control character; give plain text")
    if len(text) > MAX_TEXT:
        raise InputError(what, f"is {len(text):,} characters long; at most {MAX_TEXT} fit")
    return text


def check_date(value: str) -> str:
    """A date of issue as YYYY-MM-DD (refused otherwise)."""
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        shown = " ".join(str(value).split())[:40]
        raise InputError("--date", f"expected a date as YYYY-MM-DD, got '{shown}'") from None


_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _file_name(code: str, used: set[str]) -> str:
    """A file name for a participant's certificate: the code with anything but letters,
    digits, '-', '_' and '.' replaced, never hidden, never twice the same."""
    stem = _SAFE.sub("_", code).lstrip(".")[:40] or "participant"
    name, n = f"{stem}.html", 1
    while name.lower() in used or name.lower() == "index.html":
        n += 1
        name = f"{stem}-{n}.html"
    used.add(name.lower())
    return name


def read_names(path: str | Path) -> dict[str, str]:
    """The names to print, from a CSV or Excel table with columns ``participant`` and
    ``name`` (one row per participant). Refused with one line naming the file and row: a
    missing column, a participant listed twice, an empty, too long or control-character
    name."""
    from m100model.inputs import read_table, shown

    df = read_table(path)
    name = shown(path)
    missing = [c for c in ("participant", "name") if c not in df.columns]
    if missing:
        raise InputError(name, f"missing column(s) {', '.join(missing)}", row=1)
    out: dict[str, str] = {}
    for i, (code, person) in enumerate(zip(df["participant"], df["name"], strict=True), start=2):
        code = "" if _nan(code) else str(code).strip()
        if not code:
            raise InputError(name, "empty participant code", row=i, column="participant")
        if code in out:
            raise InputError(name, f"participant '{code[:40]}' listed twice", row=i)
        try:
            out[code] = clean_text(None if _nan(person) else str(person), "name")
        except InputError as exc:
            raise InputError(name, f"name {exc.message}", row=i, column="name") from None
    return out


# ---------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------
_CSS = """
@page { size: A4 landscape; margin: 12mm; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f4f4; color: #222;
       font-family: Georgia, "Times New Roman", serif; }
.sheet { background: #fff; max-width: 273mm; margin: 8mm auto; padding: 12mm 16mm;
         border: 4px double #0072B2; }
.course { text-align: center; font-variant: small-caps; letter-spacing: .08em;
          color: #555; margin: 0; }
h1 { text-align: center; font-size: 26pt; margin: 3mm 0 5mm; color: #0072B2;
     font-weight: normal; letter-spacing: .03em; }
.lead { text-align: center; margin: 0; }
.name { text-align: center; font-size: 22pt; margin: 3mm 0 1mm; }
.code { text-align: center; color: #555; margin: 0 0 4mm; font-size: 10pt; }
table { width: 100%; border-collapse: collapse; margin: 4mm 0; font-size: 10.5pt; }
th, td { text-align: left; vertical-align: top; padding: 1.6mm 2.5mm;
         border-bottom: 1px solid #bbb; }
th { border-bottom: 2px solid #0072B2; font-weight: bold; }
.num { text-align: right; white-space: nowrap; }
.date { white-space: nowrap; }
tfoot td { font-weight: bold; border-bottom: none; }
.statement { font-size: 9pt; color: #333; line-height: 1.35; margin: 3mm 0 0; }
.signatures { display: flex; justify-content: space-between; gap: 20mm; margin-top: 10mm; }
.signatures div { flex: 1; border-top: 1px solid #222; padding-top: 1.5mm; font-size: 10pt; }
.id { text-align: right; font-size: 8.5pt; color: #555; margin-top: 4mm; }
@media print { body { background: #fff; } .sheet { margin: 0; max-width: none; } }
"""


def _hours(h: float) -> str:
    return number(h, "g")


def render_html(cert: Certificate) -> str:
    """The certificate as one self-contained, printable HTML page, in the certificate's
    language. Every text from a file or an option (name, code, trainer, organisation) is
    HTML-escaped."""
    with use_language(cert.lang):
        return _render_html(cert)


def _render_html(cert: Certificate) -> str:
    e = html.escape
    rows = []
    for m in cert.modules:
        evidence = [
            _("self-assessment before and after"),
            _("quiz after: {right}/{asked} right").format(right=m["right_after"], asked=m["asked"]),
        ]
        if m["exercises"]:
            n = m["exercises"]
            template = _("{n} exercise") if n == 1 else _("{n} exercises")
            evidence.append(template.format(n=n))
        if m["hours_recorded"] is not None:
            evidence.append(
                _("{hours} h recorded by the participant").format(hours=_hours(m["hours_recorded"]))
            )
        rows.append(
            "<tr>"
            f"<td>{e(m['title'])}</td>"
            f"<td class='num'>{_hours(m['hours'])}</td>"
            f"<td class='date'>{e(format_date(str(m['completed_on'])))}</td>"
            f"<td>{e('; '.join(evidence))}</td>"
            "</tr>"
        )
    lead = (
        _("has completed the following module of the course:")
        if len(cert.modules) == 1
        else _("has completed the following modules of the course:")
    )
    code = (
        "<p class='code'>" + _("Participant code {code}").format(code=e(cert.participant)) + "</p>"
        if cert.name != cert.participant
        else ""
    )
    statement = _(
        "<strong>What this certifies.</strong> The participant submitted the self-assessment "
        "of each module listed before and after the module and answered at least "
        "{pass_score} of its quiz right afterwards. The hours are the module's "
        "continuing professional development (CPD) hours as designed in the course book "
        "(reading, worked examples and exercises, facilitated session), not hours measured "
        "by the trainer. <strong>This is not an accreditation by a professional body.</strong> "
        "It is not a credit of the Order of Architects of Romania (OAR), the Register of Urban "
        "Planners of Romania (RUR) or any other professional body unless that body has "
        "accredited or recognised this course; ask the body whether and how it counts these "
        "hours."
    ).format(pass_score=number(cert.pass_score, ".0%"))
    title = _("Certificate of completion: {name}").format(name=e(cert.name))
    trainer = _("Trainer: {trainer}").format(trainer=e(cert.trainer))
    organisation = _("Organisation: {organisation}").format(organisation=e(cert.organisation))
    issued = _("Date of issue: {date}").format(date=e(format_date(cert.issued)))
    number_line = _("Certificate {id}").format(id=e(cert.id))
    words = {
        "heading": _("Certificate of completion"),
        "certifies": _("This certifies that"),
        "module": _("Module"),
        "hours": _("CPD hours"),
        "on": _("Completed on"),
        "evidence": _("Evidence of learning"),
        "total": _("Total"),
    }
    thead = (
        f'<thead><tr><th>{words["module"]}</th><th class="num">{words["hours"]}</th>'
        f'<th class="date">{words["on"]}</th>\n'
        f"<th>{words['evidence']}</th></tr></thead>"
    )
    total = _hours(cert.hours)
    return f"""<!DOCTYPE html>
<html lang="{e(cert.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_CSS}</style>
</head>
<body>
<main class="sheet">
<p class="course">{e(tr(COURSE))}</p>
<h1>{words["heading"]}</h1>
<p class="lead">{words["certifies"]}</p>
<p class="name">{e(cert.name)}</p>
{code}
<p class="lead">{lead}</p>
<table>
{thead}
<tbody>
{chr(10).join(rows)}
</tbody>
<tfoot><tr><td>{words["total"]}</td><td class="num">{total}</td><td></td><td></td></tr></tfoot>
</table>
<p class="statement">{statement}</p>
<div class="signatures">
<div>{trainer}</div>
<div>{organisation}</div>
<div>{issued}</div>
</div>
<p class="id">{number_line}</p>
</main>
</body>
</html>
"""


def render_index(certs: list[Certificate], lang: str | None = None) -> str:
    """A page listing the certificates of a cohort, with links (escaped like the
    certificates), in ``lang`` (``None``: the certificates' language)."""
    if lang is None:
        lang = certs[0].lang if certs else None
    with use_language(lang) as code:
        return _render_index(certs, code)


def _render_index(certs: list[Certificate], lang: str) -> str:
    e = html.escape
    words = {
        "heading": _("Certificates of completion"),
        "name": _("Name"),
        "code": _("Code"),
        "modules": _("Modules"),
        "hours": _("CPD hours"),
        "id": _("Certificate"),
    }
    thead = (
        f"<thead><tr><th>{words['name']}</th><th>{words['code']}</th><th>{words['modules']}</th>"
        f'<th class="num">{words["hours"]}</th>\n'
        f"<th>{words['id']}</th></tr></thead>"
    )
    rows = "\n".join(
        f"<tr><td><a href='{e(c.file)}'>{e(c.name)}</a></td><td>{e(c.participant)}</td>"
        f"<td>{e(', '.join(m['title'] for m in c.modules))}</td>"
        f"<td class='num'>{_hours(c.hours)}</td><td>{e(c.id)}</td></tr>"
        for c in certs
    )
    return f"""<!DOCTYPE html>
<html lang="{e(lang)}">
<head><meta charset="utf-8"><title>{words["heading"]}</title>
<style>{_CSS}</style></head>
<body><main class="sheet">
<p class="course">{e(tr(COURSE))}</p>
<h1>{words["heading"]}</h1>
<table>
{thead}
<tbody>
{rows}
</tbody>
</table>
</main></body></html>
"""


def certificates_table(certs: list[Certificate]) -> pd.DataFrame:
    """One row per certificate: participant, name, modules, hours, issued, id, file."""
    return pd.DataFrame(
        [
            dict(
                participant=c.participant,
                name=c.name,
                modules=", ".join(m["module"] for m in c.modules),
                hours=c.hours,
                issued=c.issued,
                trainer=c.trainer,
                organisation=c.organisation,
                id=c.id,
                file=c.file,
            )
            for c in certs
        ],
        columns=[
            "participant",
            "name",
            "modules",
            "hours",
            "issued",
            "trainer",
            "organisation",
            "id",
            "file",
        ],
    )


def write_certificates(folder: Path, certs: list[Certificate]) -> None:
    """Write each certificate, ``index.html`` and ``certificates.csv`` into ``folder`` (an
    empty folder: :func:`m100model.io.write_results_dir` gives one and puts it in place)."""
    from m100model.io import write_csv

    for c in certs:
        (folder / c.file).write_text(c.html(), encoding="utf-8")
    (folder / "index.html").write_text(render_index(certs), encoding="utf-8")
    write_csv(folder / "certificates.csv", certificates_table(certs))
