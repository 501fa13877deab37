"""The built course book works offline.

Every page of ``book/_build/html`` is opened in headless Chromium (Debian's ``chromium``,
installed by ``make chromium``), served from a local HTTP server, with every network request
outside the build folder blocked through the DevTools protocol. Each page must log no console
error or uncaught exception, request nothing from outside, and draw every chart (an SVG or
a canvas in each chart container). On a page with a self-check quiz (``{m100-quiz}``, in both
editions) one question is answered right and one wrong, choices clicked and numbers typed
(with the edition's decimal mark), and the feedback ("Correct" / "Corect", "Not yet" /
"Nu încă") and the explanation must appear.

The book is built by ``make book`` (``make test`` runs it first). Run alone, this test builds
it the same way when it is missing. Set ``M100_BOOK_SCREENSHOTS=<folder>`` to also save a
PNG of every page, to look at them.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
from chromium import Chromium

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "book" / "_build" / "html"
PAGE_TIMEOUT_S = 30.0
CHART_SELECTOR = ".m100-chart"
# The pages with the course's core charts: each must have at least one.
PAGES_WITH_CHARTS = [
    "book/mrv/02_emission_profile.html",
    "book/mrv/03_targets_timeframes.html",
    "book/mrv/04_achievements.html",
    "book/mrv/05_accounting_training.html",
]

# What a quiz says to a right and a wrong answer, by edition (book/_ext/m100_quiz.py).
QUIZ_WORDS = {"en": ("Correct", "Not yet"), "ro": ("Corect", "Nu încă")}
# Answers one choice question right and another wrong, then one numeric question right
# (typed with the edition's decimal mark) and wrong: what each question then shows.
ANSWER_QUIZ = r"""
(() => {
  const quiz = document.querySelector('.m100-quiz');
  if (!quiz) return null;
  const ro = quiz.getAttribute('lang') === 'ro';
  const items = [...quiz.querySelectorAll('.m100-quiz-question')];
  const seen = (item) => ({
    feedback: item.querySelector('.m100-quiz-feedback').textContent,
    live: item.querySelector('.m100-quiz-feedback').getAttribute('aria-live'),
    explained: !item.querySelector('.m100-quiz-explanation').hidden,
  });
  const choices = items.filter((i) => i.dataset.type === 'choice');
  const numbers = items.filter((i) => i.dataset.type === 'numeric');
  const out = {questions: items.length, choice: [], numeric: []};
  const pick = (item, right) => [...item.querySelectorAll('button.m100-quiz-choice')]
    .find((b) => (b.dataset.choice === item.dataset.answer) === right);
  pick(choices[0], true).click();
  out.choice.push(seen(choices[0]));
  pick(choices[1], false).click();
  out.choice.push(seen(choices[1]));
  if (numbers.length) {
    const item = numbers[0];
    const input = item.querySelector('input');
    const typed = (x) => (ro ? String(x).replace('.', ',') : String(x));
    for (const value of [Number(item.dataset.answer), Number(item.dataset.answer) * 3 + 1]) {
      input.value = typed(value);
      item.querySelector('button.m100-quiz-check').click();
      out.numeric.push(Object.assign({typed: input.value}, seen(item)));
    }
  }
  return out;
})()
"""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def book_html() -> Path:
    if not (HTML / "index.html").exists():
        subprocess.run(["make", "book"], cwd=ROOT, check=True)
    return HTML


def book_pages(html: Path) -> list[str]:
    """Every HTML page of the build, as paths relative to the build folder."""
    return sorted(
        p.relative_to(html).as_posix()
        for p in html.rglob("*.html")
        if not any(part.startswith("_") for part in p.relative_to(html).parts)
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class LocalServer:
    """The build folder over HTTP on 127.0.0.1 (a random free port)."""

    def __init__(self, folder: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class Browser(Chromium):
    """Headless Chromium (:class:`chromium.Chromium`) that opens book pages and says what
    each did: loaded, charts drawn, errors, requests blocked."""

    def __init__(self, allowed_prefix: str) -> None:
        super().__init__(allowed_prefix, timeout_s=PAGE_TIMEOUT_S)

    # -- what a page does ----------------------------------------------------------------
    def reset_page_log(self) -> None:
        self.errors, self.blocked, self.loaded = [], [], False

    def open(self, url: str) -> dict:
        """Load a page, wait for its charts, and say what happened."""
        self.reset_page_log()
        self.call("Page.navigate", {"url": url})
        deadline = time.monotonic() + PAGE_TIMEOUT_S
        while not self.loaded and time.monotonic() < deadline:
            self.pump(0.2)
        charts = {"total": 0, "drawn": 0, "empty": []}
        while time.monotonic() < deadline:
            charts = self.evaluate(
                "(() => { const c = [...document.querySelectorAll('" + CHART_SELECTOR + "')];"
                " const empty = c.filter(e => !e.querySelector('svg, canvas')).map(e => e.id);"
                " return {total: c.length, drawn: c.length - empty.length, empty: empty}; })()"
            )
            if charts["drawn"] == charts["total"]:
                break
            self.pump(0.2)
        self.pump(0.5)  # late console messages
        return {
            "loaded": self.loaded,
            "charts": charts,
            "errors": list(self.errors),
            "blocked": list(self.blocked),
        }

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))


def answer_quiz(browser: Browser, lang: str) -> list[str]:
    """Answer a page's quiz right and wrong (:data:`ANSWER_QUIZ`); what went amiss."""
    right, wrong = QUIZ_WORDS[lang]
    got = browser.evaluate(ANSWER_QUIZ)
    browser.pump(0.2)  # errors raised by the click handlers
    if not got:
        return ["no quiz found on the page"]
    problems = []
    expected = [("choice", 0, right), ("choice", 1, wrong)]
    if got["numeric"]:
        expected += [("numeric", 0, right), ("numeric", 1, wrong)]
    for kind, index, word in expected:
        shown = got[kind][index]
        other = wrong if word == right else right
        if word not in shown["feedback"] or other in shown["feedback"]:
            problems.append(f"{kind} answer {index}: feedback {shown['feedback']!r}, not {word!r}")
        if not shown["explained"]:
            problems.append(f"{kind} answer {index}: no explanation shown")
        if shown["live"] != "polite":
            problems.append(f"{kind} answer {index}: the feedback is not aria-live")
    return problems


def test_built_pages_reference_nothing_outside(book_html: Path) -> None:
    """No page names a script, stylesheet or font on another host."""
    pattern = re.compile(r"<(?:script|link|img)\b[^>]*?(?:src|href)=\"(?:https?:)?//", re.I)
    offenders = [
        page
        for page in book_pages(book_html)
        if pattern.search((book_html / page).read_text(encoding="utf-8"))
    ]
    assert not offenders, f"pages loading from another host: {offenders}"


def test_every_page_works_offline_in_chromium(book_html: Path) -> None:
    pages = book_pages(book_html)
    assert len(pages) >= 15, f"expected the whole course, found {len(pages)} pages"
    for page in PAGES_WITH_CHARTS:
        assert page in pages, f"missing page {page}"
    shots = os.environ.get("M100_BOOK_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
    problems: dict[str, dict] = {}
    chart_counts: dict[str, int] = {}
    quiz_pages: list[str] = []
    with LocalServer(book_html) as server:
        browser = Browser(server.base)
        try:
            for page in pages:
                seen = browser.open(server.base + page)
                chart_counts[page] = seen["charts"]["total"]
                quiz_problems = []
                if 'class="m100-quiz"' in (book_html / page).read_text(encoding="utf-8"):
                    quiz_problems = answer_quiz(browser, "ro" if page.startswith("ro/") else "en")
                    quiz_pages.append(page)
                bad = {
                    k: v
                    for k, v in {
                        "not loaded": not seen["loaded"],
                        "console errors": seen["errors"] + browser.errors[len(seen["errors"]) :],
                        "blocked requests": seen["blocked"],
                        "charts not drawn": seen["charts"]["empty"],
                        "quiz": quiz_problems,
                    }.items()
                    if v
                }
                if bad:
                    problems[page] = bad
                if shots:
                    browser.screenshot(Path(shots) / (page.replace("/", "__") + ".png"))
        finally:
            browser.close()
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
    # Six CPD modules, the MRV module and its four unit pages (their own questions), in both
    # editions.
    assert len(quiz_pages) == 22, quiz_pages
    for page in PAGES_WITH_CHARTS:
        assert chart_counts[page] >= 1, f"{page} should show at least one chart"
