"""The built course book works offline.

Every page of ``book/_build/html`` is opened in headless Chromium (Debian's ``chromium``,
installed by ``make chromium``), served from a local HTTP server, with every network request
outside the build folder blocked through the DevTools protocol. Each page must log no console
error or uncaught exception, request nothing from outside, and draw every chart (an SVG or
a canvas in each chart container).

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
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import websocket

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "book" / "_build" / "html"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--window-size=1280,1000",
    "--remote-debugging-port=0",
]
PAGE_TIMEOUT_S = 30.0
CHART_SELECTOR = ".m100-chart"
# The pages with the course's core charts: each must have at least one.
PAGES_WITH_CHARTS = [
    "book/mrv/02_emission_profile.html",
    "book/mrv/03_targets_timeframes.html",
    "book/mrv/04_achievements.html",
    "book/mrv/05_accounting_training.html",
]

pytestmark = pytest.mark.slow


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("Chromium is missing: run `make chromium` (installs Debian's chromium package)")


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


class Browser:
    """Headless Chromium driven over the DevTools protocol: one tab, every request outside
    ``allowed_prefix`` failed before it leaves the browser."""

    def __init__(self, allowed_prefix: str) -> None:
        self.allowed = allowed_prefix
        self.profile = tempfile.TemporaryDirectory(prefix="m100-chromium-")
        self.proc = subprocess.Popen(
            [chromium_path(), *CHROMIUM_FLAGS, f"--user-data-dir={self.profile.name}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.ws = websocket.create_connection(
            self._browser_ws_url(), timeout=PAGE_TIMEOUT_S, suppress_origin=True
        )
        self.next_id = 0
        self.session: str | None = None
        self.reset_page_log()
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for method in ("Page.enable", "Runtime.enable", "Log.enable"):
            self.call(method)
        self.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})

    def _browser_ws_url(self) -> str:
        port_file = Path(self.profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with code {self.proc.returncode}")
            if port_file.exists():
                lines = port_file.read_text().split()
                if len(lines) >= 2:
                    return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            time.sleep(0.1)
        raise RuntimeError("chromium did not open its DevTools port within 30 s")

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.profile.cleanup()

    # -- protocol ------------------------------------------------------------------------
    def send(self, method: str, params: dict | None = None, *, session: bool = True) -> int:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        return self.next_id

    def call(self, method: str, params: dict | None = None) -> dict:
        wanted = self.send(method, params)
        while True:
            msg = self.receive()
            if msg.get("id") == wanted:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def receive(self) -> dict:
        msg = json.loads(self.ws.recv())
        if "method" in msg:
            self.on_event(msg["method"], msg.get("params", {}))
        return msg

    def pump(self, seconds: float) -> None:
        """Handle events for a while (e.g. late console messages)."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.ws.settimeout(left)
            try:
                self.receive()
            except websocket.WebSocketTimeoutException:
                break
        self.ws.settimeout(PAGE_TIMEOUT_S)

    # -- what a page does ----------------------------------------------------------------
    def reset_page_log(self) -> None:
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.loaded = False

    def on_event(self, method: str, p: dict) -> None:
        if method == "Fetch.requestPaused":
            url = p["request"]["url"]
            if url.startswith(self.allowed):
                self.send("Fetch.continueRequest", {"requestId": p["requestId"]})
            else:
                self.blocked.append(url)
                self.send(
                    "Fetch.failRequest",
                    {"requestId": p["requestId"], "errorReason": "BlockedByClient"},
                )
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
            self.errors.append(f"console.{p['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            self.errors.append(
                "uncaught: " + d.get("exception", {}).get("description", d.get("text", ""))
            )
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
            e = p["entry"]
            self.errors.append(f"log ({e.get('source')}): {e.get('text')} {e.get('url', '')}")
        elif method == "Page.loadEventFired":
            self.loaded = True

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

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
    with LocalServer(book_html) as server:
        browser = Browser(server.base)
        try:
            for page in pages:
                seen = browser.open(server.base + page)
                chart_counts[page] = seen["charts"]["total"]
                bad = {
                    k: v
                    for k, v in {
                        "not loaded": not seen["loaded"],
                        "console errors": seen["errors"],
                        "blocked requests": seen["blocked"],
                        "charts not drawn": seen["charts"]["empty"],
                    }.items()
                    if v
                }
                if bad:
                    problems[page] = bad
                if shots:
                    browser.screenshot(Path(shots) / (page.replace("/", "__") + ".png"))
        finally:
            browser.close()
    assert not problems, json.dumps(problems, indent=1)
    for page in PAGES_WITH_CHARTS:
        assert chart_counts[page] >= 1, f"{page} should show at least one chart"
