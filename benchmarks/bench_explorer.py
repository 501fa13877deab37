"""Responsiveness of the scenario explorer in JupyterLab, measured in the browser.

Run from the repository root::

    .venv/bin/python benchmarks/bench_explorer.py [--repeat N] [--burst K]
        [--debounce S] [--coalesce | --no-coalesce] [--renderer svg|canvas] [--kernel-only]

Prints one JSON document. What it does:

1. starts JupyterLab from this virtualenv on 127.0.0.1 (a free port, a random token, a
   temporary notebook folder, settings, workspace and runtime folder; no browser of its own);
2. drives Debian's Chromium headless over the DevTools protocol, every request outside the
   JupyterLab server failed before it leaves the browser (as ``tests/test_book_offline.py``
   does);
3. opens a notebook that builds ``ScenarioExplorer("data/scenarios/workshop.yaml")`` (the
   workshop city) and runs it;
4. moves the *reduction* slider one step with the keyboard (ArrowRight / ArrowLeft on the
   slider's handle, as a user would), ``repeat`` times after two warm-up moves, and times in
   the page, from the key press to the charts redrawn with the answer. A MutationObserver
   watches the status line, which shows the answer's number, the settings it answers and
   its time in the kernel (``data-answer``, ``data-settings``, ``data-kernel-ms``,
   ``data-timing``); the charts' redraws are seen by a MutationObserver (SVG) or a hook on
   the canvas drawing calls (canvas, the explorer's choice). A move is done when the status
   line answers the slider's position with its carbon price and the charts have been
   quiet for 0.3 s. Its time is that of the last redraw of a chart or of the status line
   showing the answer's number (the answer); the answer's shadow price, which the explorer
   reads after sending the charts, is timed apart (``browser_price_ms_median``);
5. stops the browser, the kernel and JupyterLab, and removes the temporary folders.

The browser time is measured from the last key press, so it includes any wait of the
explorer's (``debounce_s``: none by default, the explorer coalesces), the trip to the kernel
and back, the solve and the redraw. ``--burst K`` presses the key K times 30 ms apart (a short
drag: K steps up, then K steps down in the next move); ``--debounce``, ``--coalesce`` and
``--renderer`` build the explorer with other settings than its defaults.

Figures (milliseconds): ``browser_ms_median``, ``browser_ms_p25``, ``browser_ms_p75``: key
press to charts redrawn; ``browser_price_ms_median``: key press to the carbon price shown;
``kernel_ms_median``: the update in the kernel (apply, solve,
read-out and chart data sent: ``ScenarioExplorer.timing.total_s``), and
``kernel_charts_ms_median`` its chart part; ``outside_kernel_ms_median``: the rest (browser
time minus kernel time of each move: the explorer's wait, messages, redraw); ``n`` moves
timed. :func:`kernel_side` (``--kernel-only``) measures the chart part in the kernel alone,
without a browser: time and bytes of the chart messages.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))
from chromium import Chromium, JupyterLab  # noqa: E402  (the kit's DevTools client and lab)

SLIDER_LABEL = "Reduction below the base year"
STARTUP_TIMEOUT_S = 240.0
MOVE_TIMEOUT_S = 60.0
QUIET_MS = 300
WARMUP = 2

# Before the page loads: a canvas draw (when a chart draws to a canvas, which no
# MutationObserver sees) is reported to the page side below.
CANVAS_HOOK = r"""
(() => {
  const P = CanvasRenderingContext2D.prototype;
  for (const name of ['fill', 'stroke', 'fillRect', 'strokeRect', 'fillText', 'drawImage']) {
    const f = P[name];
    P[name] = function (...args) {
      const r = f.apply(this, args);
      const m = window.__m100;
      if (m && m.onCanvas) { m.onCanvas(this.canvas); }
      return r;
    };
  }
})();
"""
# The page side: observers on the charts and the status line, and a wait for an answer.
PAGE_SETUP = r"""
(() => {
  const m = window.__m100 = {t0: null, charts: [], tStatus: null, tAnswer: null, tPrice: null,
                            answer: null, text: null};
  const status = () => [...document.querySelectorAll('.widget-html-content')]
      .find(e => e.textContent.includes('answered in'));
  m.read = () => {
    const s = status(), a = s && s.querySelector('.m100-answer');
    const ms = s && /answered in ([\d,.]+) ms/.exec(s.textContent);
    return {answer: a ? Number(a.dataset.answer) : null, text: s ? s.textContent : null,
            settings: a && a.dataset.settings ? JSON.parse(a.dataset.settings) : null,
            timing: a && a.dataset.timing ? JSON.parse(a.dataset.timing) : null,
            kernel_ms: a ? Number(a.dataset.kernelMs)
                         : ms ? Number(ms[1].replace(/,/g, '')) : null};
  };
  const views = [...document.querySelectorAll('.vega-embed')];
  m.onCanvas = c => {
    const i = views.findIndex(v => v.contains(c));
    if (i >= 0) { m.charts[i] = performance.now(); }
  };
  views.forEach((el, i) => {
    m.charts[i] = null;
    new MutationObserver(() => { m.charts[i] = performance.now(); })
      .observe(el, {subtree: true, childList: true, attributes: true, characterData: true});
  });
  const s = status();
  new MutationObserver(() => {
    const r = m.read(), now = performance.now();
    if (r.answer !== m.answer || r.text !== m.text) { m.tStatus = now; }
    // The answer (its number) comes with the charts; its shadow price a moment later.
    if (r.answer !== m.answer && m.tAnswer === null) { m.tAnswer = now; }
    if (r.answer !== m.answer && r.text && !r.text.includes('being computed')) {
      m.tPrice = now;
    }
  }).observe(s, {subtree: true, childList: true, characterData: true});
  document.addEventListener('keydown', () => { m.t0 = performance.now(); }, true);
  m.arm = () => {
    const r = m.read();
    m.answer = r.answer; m.text = r.text; m.t0 = null; m.tStatus = null;
    m.tAnswer = null; m.tPrice = null;
    m.charts = m.charts.map(() => null);
  };
  const slider = () => [...document.querySelectorAll('.widget-slider')]
      .find(e => e.textContent.includes('__LABEL__'));
  // The answer is for the slider's position (when the status line says which settings).
  m.current = () => {
    const r = m.read();
    if (!r.settings) { return true; }
    const shown = parseFloat(slider().querySelector('.widget-readout').textContent);
    return Math.round(100 * r.settings.reduction) === Math.round(shown);
  };
  m.handle = () => {
    const h = slider().querySelector('.noUi-handle');
    if (h) { h.focus(); }
    return !!h && document.activeElement === h;
  };
  m.wait = async (timeoutMs, quietMs) => {
    const start = performance.now();
    const sleep = ms => new Promise(r => setTimeout(r, ms));
    while (m.tStatus === null || !m.current()) {
      if (performance.now() - start > timeoutMs) {
        const readout = slider().querySelector('.widget-readout').textContent;
        return {error: `no answer for the slider at ${readout}: ${JSON.stringify(m.read())}`};
      }
      await sleep(5);
    }
    while (m.tPrice === null && performance.now() - start < timeoutMs) { await sleep(5); }
    const last = () => Math.max(m.tStatus, ...m.charts.filter(t => t !== null));
    while (performance.now() - last() < quietMs) { await sleep(20); }
    return {t0: m.t0, tStatus: m.tStatus, tAnswer: m.tAnswer, tPrice: m.tPrice,
            charts: m.charts, ...m.read()};
  };
  const kinds = views.map(v => v.querySelector('canvas') ? 'canvas' : 'svg');
  return {views: views.length, renderer: [...new Set(kinds)].join('+')};
})()
""".replace("__LABEL__", SLIDER_LABEL)


def _notebook(
    debounce_s: float | None = None, coalesce: bool | None = None, renderer: str | None = None
) -> dict:
    arg = "" if debounce_s is None else f", debounce_s={debounce_s!r}"
    arg += "" if coalesce is None else f", coalesce={coalesce!r}"
    source = (
        "from m100model import widgets\n"
        "from m100model.widgets import ScenarioExplorer\n\n"
        + ("" if renderer is None else f'widgets.EMBED_OPTIONS["renderer"] = {renderer!r}\n')
        + f'explorer = ScenarioExplorer("data/scenarios/workshop.yaml"{arg})\n'
        + "explorer"
    )
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "explorer",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


class Browser(Chromium):
    """Headless Chromium (``tests/chromium.py``) that waits for a page state and presses
    keys."""

    def __init__(self, allowed_prefix: str) -> None:
        super().__init__(allowed_prefix, timeout_s=MOVE_TIMEOUT_S, window="1400,1200")

    def wait_for(self, expression: str, timeout_s: float, what: str):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            self.pump(0.25)
        page = self.evaluate(
            "[...document.querySelectorAll('.jp-Cell')].map(e => e.textContent.slice(0, 300))"
        )
        raise RuntimeError(
            f"timed out after {timeout_s:.0f} s waiting for {what}; page errors "
            f"{self.errors[:3]}; cells {page}"
        )

    def key(self, key: str, code: int) -> None:
        for kind in ("keyDown", "keyUp"):
            self.call(
                "Input.dispatchKeyEvent",
                {
                    "type": kind,
                    "key": key,
                    "code": key,
                    "windowsVirtualKeyCode": code,
                    "nativeVirtualKeyCode": code,
                },
            )


def _moves(n: int, burst: int = 1) -> list[list[tuple[str, int]]]:
    """The key presses of ``n`` moves. One press a move: up six steps and back down, over
    and over. A burst of presses: ``burst`` steps up, then as many down."""
    right, left = ("ArrowRight", 39), ("ArrowLeft", 37)
    period = 6 if burst == 1 else 1
    return [[right if (i // period) % 2 == 0 else left] * burst for i in range(n)]


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[1], q[2]


def run(
    repeat: int = 15,
    *,
    debounce_s: float | None = None,
    coalesce: bool | None = None,
    renderer: str | None = None,
    burst: int = 1,
) -> dict:
    """Time ``repeat`` moves of the reduction slider in JupyterLab in headless Chromium, key
    press to charts redrawn (see the module docstring); milliseconds."""
    if not 1 <= burst <= 10:
        raise ValueError("burst: 1 to 10 presses (the slider has 20 steps)")
    lab = JupyterLab({"explorer.ipynb": _notebook(debounce_s, coalesce, renderer)}, cwd=ROOT)
    browser = None
    try:
        browser = Browser(lab.base)
        browser.call("Page.addScriptToEvaluateOnNewDocument", {"source": CANVAS_HOOK})
        url = lab.url("explorer.ipynb")
        browser.call("Page.navigate", {"url": url})
        browser.wait_for(
            "!!(window.jupyterapp && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
            ".connectionStatus === 'connected'"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
            ".status === 'idle')",
            STARTUP_TIMEOUT_S,
            "JupyterLab and the notebook's kernel",
        )
        browser.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        browser.wait_for(
            "document.querySelectorAll('.vega-embed svg, .vega-embed canvas').length >= 3"
            " && [...document.querySelectorAll('.widget-html-content')]"
            ".some(e => e.textContent.includes('answered in'))",
            STARTUP_TIMEOUT_S,
            "the explorer's three charts",
        )
        browser.pump(1.0)
        page = browser.evaluate(PAGE_SETUP)
        if page["views"] != 3:
            raise RuntimeError(f"expected three chart views in the page, found {page['views']}")
        if not browser.evaluate("window.__m100.handle()"):
            raise RuntimeError(f"could not focus the '{SLIDER_LABEL}' slider")
        samples = []
        for i, presses in enumerate(_moves(WARMUP + repeat, burst)):
            browser.evaluate("window.__m100.arm()")
            for j, (key, code) in enumerate(presses):
                if j:
                    time.sleep(0.03)
                browser.key(key, code)
            seen = browser.evaluate(
                f"window.__m100.wait({MOVE_TIMEOUT_S * 1000:.0f}, {QUIET_MS})", await_promise=True
            )
            if "error" in seen:
                raise RuntimeError(
                    f"move {i}: {seen['error']}\nJupyterLab's log ends:\n{lab.log_text()[-3000:]}"
                )
            if seen["t0"] is None or seen["charts"][0] is None:
                raise RuntimeError(f"move {i}: the key press or the pathway redraw was missed")
            if i < WARMUP:
                continue
            last_chart = max(t for t in seen["charts"] if t is not None)
            answered = seen["tAnswer"] if seen["tAnswer"] is not None else seen["tStatus"]
            samples.append(
                {
                    # Key press to the charts redrawn and the status line showing the answer.
                    "browser_ms": max(last_chart, answered) - seen["t0"],
                    # ... and to the answer's carbon price in the status line.
                    "price_ms": (seen["tPrice"] or math.nan) - seen["t0"],
                    "kernel_ms": seen["kernel_ms"],
                    "charts_ms": (seen["timing"] or {}).get("charts_ms", math.nan),
                }
            )
        if browser.blocked:
            print(f"blocked requests: {browser.blocked[:5]}", file=sys.stderr)
        times = [s["browser_ms"] for s in samples]
        p25, p50, p75 = _quartiles(times)
        return {
            "browser_ms_median": round(p50, 1),
            "browser_ms_p25": round(p25, 1),
            "browser_ms_p75": round(p75, 1),
            "kernel_ms_median": round(statistics.median(s["kernel_ms"] for s in samples), 1),
            "outside_kernel_ms_median": round(
                statistics.median(s["browser_ms"] - s["kernel_ms"] for s in samples), 1
            ),
            "kernel_charts_ms_median": _median_or_none([s["charts_ms"] for s in samples]),
            "browser_price_ms_median": _median_or_none([s["price_ms"] for s in samples]),
            "n": len(samples),
            **_pacing(debounce_s, coalesce),
            "renderer": page["renderer"],
            "burst": burst,
            "includes_debounce": True,
            "page_errors": browser.errors[:5],
        }
    finally:
        try:
            if browser is not None:
                browser.close()
        finally:
            lab.close()


def _median_or_none(values: list[float]) -> float | None:
    known = [v for v in values if not math.isnan(v)]
    return round(statistics.median(known), 1) if known else None


def _pacing(debounce_s: float | None, coalesce: bool | None) -> dict:
    """The explorer's settings in the run: those asked for, else its defaults."""
    import inspect

    from m100model import widgets

    defaults = {
        name: p.default
        for name, p in inspect.signature(widgets.ScenarioExplorer).parameters.items()
    }
    return {
        "debounce_s": defaults.get("debounce_s") if debounce_s is None else debounce_s,
        "coalesce": defaults.get("coalesce", False) if coalesce is None else coalesce,
    }


def kernel_side(repeat: int = 15) -> dict:
    """The chart part of an update in the kernel alone, without a browser: the explorer's
    comms record what ipykernel would send (``json_clean`` and the session's JSON packer
    included). Time (ms) from the end of the solve to the last chart message packed, its
    share of the whole update, and the bytes of the chart messages per update."""
    import comm
    from comm.base_comm import BaseComm
    from ipykernel.jsonutil import json_clean
    from jupyter_client.session import json_packer

    sent: list[tuple[str, int]] = []

    class RecordingComm(BaseComm):
        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            content = json_clean(dict(data=data or {}, comm_id=self.comm_id, **keys))
            sent.append((self.comm_id, len(json_packer(content))))

    create = comm.create_comm
    comm.create_comm = lambda *a, **k: RecordingComm(*a, **k)
    try:
        from m100model.widgets import ScenarioExplorer

        ex = ScenarioExplorer("data/scenarios/workshop.yaml", debounce_s=0, offline=False)
        rows = []
        values = [0.5, 0.55, 0.6, 0.65, 0.6, 0.55]
        for i in range(WARMUP + repeat):
            sent.clear()
            ex.controls["reduction"].value = values[i % len(values)]
            views = {v.comm.comm_id for v in ex.views.values()}
            if i >= WARMUP:
                rows.append(
                    (
                        ex.timing.charts_s * 1000,
                        ex.timing.total_s * 1000,
                        sum(n for c, n in sent if c in views),
                    )
                )
        return {
            "charts_ms_median": round(statistics.median(r[0] for r in rows), 1),
            "update_ms_median": round(statistics.median(r[1] for r in rows), 1),
            "chart_bytes_median": statistics.median(r[2] for r in rows),
            "n": len(rows),
        }
    finally:
        comm.create_comm = create


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--debounce", type=float, default=None, help="the explorer's debounce_s")
    ap.add_argument(
        "--coalesce", action=argparse.BooleanOptionalAction, help="the explorer's coalesce"
    )
    ap.add_argument("--renderer", choices=["svg", "canvas"], help="the charts' Vega renderer")
    ap.add_argument("--burst", type=int, default=1, help="key presses per move, 30 ms apart")
    ap.add_argument(
        "--kernel-only", action="store_true", help="only the kernel-side chart measurement"
    )
    args = ap.parse_args()
    if args.kernel_only:
        result = {"kernel_side": kernel_side(args.repeat)}
    else:
        result = run(
            args.repeat,
            debounce_s=args.debounce,
            coalesce=args.coalesce,
            renderer=args.renderer,
            burst=args.burst,
        )
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
