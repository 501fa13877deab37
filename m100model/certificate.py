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

COURSE = "M100 climate-neutral cities course kit"


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
def completions(cohort: Cohort, *, pass_score: float = PASS_SCORE) -> pd.DataFrame:
    """One row per participant and module of the cohort: the evidence
    (``before``/``after`` submitted, ``right_after`` of ``asked``, ``exercises``, the
    participant's own ``hours_recorded``), ``completed`` and, when not, ``why_not``."""
    if not 0 < pass_score <= 1:
        raise ValueError("pass_score must lie in (0, 1]")
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
            reasons.append("no self-assessment before the module")
        if not after:
            reasons.append("no self-assessment after the module")
        elif r["score_after"] + 1e-12 < pass_score:
            reasons.append(
                f"quiz after the module {int(r['right_after'])}/{r['asked']} right, "
                f"below {pass_score:.0%}"
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
) -> list[Certificate]:
    """A certificate for every participant who completed at least one module (see
    :func:`completions`), in participant order. ``names`` maps participant codes to the
    names to print (the code is printed where there is none). Bad text (an empty or too long
    trainer or organisation, a date that is not YYYY-MM-DD) raises an
    :class:`~m100model.errors.InputError`."""
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
                    title=MODULES.get(r["module"], r["module"]),
                    hours=MODULE_HOURS.get(r["module"], 0.0),
                    completed_on=r["completed_on"] or "",
                    right_after=r["right_after"],
                    asked=r["asked"],
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
        )
        cert.file = _file_name(str(p), used)
        certs.append(cert)
    return certs


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
    return f"{h:g}"


def render_html(cert: Certificate) -> str:
    """The certificate as one self-contained, printable HTML page. Every text from a file
    or an option (name, code, trainer, organisation) is HTML-escaped."""
    e = html.escape
    rows = []
    for m in cert.modules:
        evidence = [
            "self-assessment before and after",
            f"quiz after: {m['right_after']}/{m['asked']} right",
        ]
        if m["exercises"]:
            evidence.append(f"{m['exercises']} exercise{'s' if m['exercises'] != 1 else ''}")
        if m["hours_recorded"] is not None:
            evidence.append(f"{_hours(m['hours_recorded'])} h recorded by the participant")
        rows.append(
            "<tr>"
            f"<td>{e(m['title'])}</td>"
            f"<td class='num'>{_hours(m['hours'])}</td>"
            f"<td class='date'>{e(str(m['completed_on']))}</td>"
            f"<td>{e('; '.join(evidence))}</td>"
            "</tr>"
        )
    plural = "s" if len(cert.modules) != 1 else ""
    code = (
        f"<p class='code'>Participant code {e(cert.participant)}</p>"
        if cert.name != cert.participant
        else ""
    )
    statement = (
        f"<strong>What this certifies.</strong> The participant submitted the self-assessment "
        f"of each module listed before and after the module and answered at least "
        f"{cert.pass_score:.0%} of its quiz right afterwards. The hours are the module's "
        f"continuing professional development (CPD) hours as designed in the course book "
        f"(reading, worked examples and exercises, facilitated session), not hours measured "
        f"by the trainer. <strong>This is not an accreditation by a professional body.</strong> "
        f"It is not a credit of the Order of Architects of Romania (OAR), the Register of Urban "
        f"Planners of Romania (RUR) or any other professional body unless that body has "
        f"accredited or recognised this course; ask the body whether and how it counts these "
        f"hours."
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Certificate of completion: {e(cert.name)}</title>
<style>{_CSS}</style>
</head>
<body>
<main class="sheet">
<p class="course">{e(COURSE)}</p>
<h1>Certificate of completion</h1>
<p class="lead">This certifies that</p>
<p class="name">{e(cert.name)}</p>
{code}
<p class="lead">has completed the following module{plural} of the course:</p>
<table>
<thead><tr><th>Module</th><th class="num">CPD hours</th><th class="date">Completed on</th>
<th>Evidence of learning</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
<tfoot><tr><td>Total</td><td class="num">{_hours(cert.hours)}</td><td></td><td></td></tr></tfoot>
</table>
<p class="statement">{statement}</p>
<div class="signatures">
<div>Trainer: {e(cert.trainer)}</div>
<div>Organisation: {e(cert.organisation)}</div>
<div>Date of issue: {e(cert.issued)}</div>
</div>
<p class="id">Certificate {e(cert.id)}</p>
</main>
</body>
</html>
"""


def render_index(certs: list[Certificate]) -> str:
    """A page listing the certificates of a cohort, with links (escaped like the
    certificates)."""
    e = html.escape
    rows = "\n".join(
        f"<tr><td><a href='{e(c.file)}'>{e(c.name)}</a></td><td>{e(c.participant)}</td>"
        f"<td>{e(', '.join(m['title'] for m in c.modules))}</td>"
        f"<td class='num'>{_hours(c.hours)}</td><td>{e(c.id)}</td></tr>"
        for c in certs
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Certificates of completion</title>
<style>{_CSS}</style></head>
<body><main class="sheet">
<p class="course">{e(COURSE)}</p>
<h1>Certificates of completion</h1>
<table>
<thead><tr><th>Name</th><th>Code</th><th>Modules</th><th class="num">CPD hours</th>
<th>Certificate</th></tr></thead>
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
