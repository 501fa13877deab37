"""Headless Chromium driven over the DevTools protocol, with the network blocked: the one
client used by the book's offline test (``tests/test_book_offline.py``), the explorer's
browser test (``tests/test_explorer_browser.py``) and the explorer benchmark
(``benchmarks/bench_explorer.py``). :class:`JupyterLab` runs a JupyterLab server for a page
to open.

One tab; every request whose URL does not start with ``allowed_prefix`` is failed before it
leaves the browser (and listed in :attr:`Chromium.blocked`); console errors, uncaught
exceptions and error log entries are collected in :attr:`Chromium.errors`. Chromium runs in
a process group of its own, so its helper processes stop with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

FLAGS = [
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
    "--remote-debugging-port=0",
]


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("Chromium is missing: run `make chromium` (Debian's chromium package)")


def stop_group(proc: subprocess.Popen, *, timeout_s: float) -> None:
    """Stop a process started in a session of its own and what it started (its process
    group): SIGTERM, then SIGKILL for what is left after ``timeout_s``."""

    def group_alive() -> bool:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return False
        return True

    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout_s)
    deadline = time.monotonic() + 5  # the rest of the group may outlive the leader a moment
    while proc.poll() is not None and group_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if proc.poll() is None or group_alive():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


class Chromium:
    """One headless tab; see the module docstring."""

    def __init__(
        self, allowed_prefix: str, *, timeout_s: float = 30.0, window: str = "1280,1000"
    ) -> None:
        self.allowed = allowed_prefix
        self.timeout_s = timeout_s
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.loaded = False
        self.ws = None
        self.profile = tempfile.TemporaryDirectory(
            prefix="m100-chromium-", ignore_cleanup_errors=True
        )
        self.proc = subprocess.Popen(
            [
                chromium_path(),
                *FLAGS,
                f"--window-size={window}",
                f"--user-data-dir={self.profile.name}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its helper processes are in its process group
        )
        try:
            self.ws = websocket.create_connection(
                self._browser_ws_url(), timeout=timeout_s, suppress_origin=True
            )
            self.next_id = 0
            self.session: str | None = None
            target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self.call(
                "Target.attachToTarget", {"targetId": target, "flatten": True}
            )["sessionId"]
            for method in ("Page.enable", "Runtime.enable", "Log.enable"):
                self.call(method)
            self.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})
        except BaseException:
            self.close()
            raise

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
            if self.ws is not None:
                self.ws.close()
        finally:
            stop_group(self.proc, timeout_s=10)
            # Helper processes may still be writing to the profile for a moment.
            for _ in range(20):
                self.profile.cleanup()
                if not Path(self.profile.name).exists():
                    break
                time.sleep(0.1)

    # -- protocol ------------------------------------------------------------------------
    def send(self, method: str, params: dict | None = None) -> int:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session:
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
        self.ws.settimeout(self.timeout_s)

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

    def evaluate(self, expression: str, *, await_promise: bool = False):
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": await_promise},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")


# ---------------------------------------------------------------------------------------
# JupyterLab, for the tests that drive widgets in a real page
# ---------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """JupyterLab from this virtualenv on 127.0.0.1: a free port, a random token, and a
    temporary folder for the notebooks given (``{name: notebook dict}``), its settings,
    workspaces and runtime files; no browser of its own, no news or update checks. The
    server and its kernels run in a process group of their own, stopped by :meth:`close`
    (and the folder removed)."""

    def __init__(self, notebooks: dict[str, dict], *, cwd: Path, timeout_s: float = 60) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="m100-lab-", ignore_cleanup_errors=True)
        base = Path(self.tmp.name)
        self.root = base / "notebooks"
        self.root.mkdir()
        for name, nb in notebooks.items():
            (self.root / name).write_text(json.dumps(nb), encoding="utf-8")
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}/"
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(base / "config"),
            "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
            "IPYTHONDIR": str(base / "ipython"),
        }
        self.log = open(base / "lab.log", "wb")  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "jupyter"),
                "lab",
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={self.root}",
                "--LabApp.expose_app_in_browser=True",
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.extension_manager=readonly",
                *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
            ],
            cwd=cwd,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its kernels are in its process group
        )
        try:
            self._wait_ready(timeout_s)
        except BaseException:
            self.close()
            raise

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(
            f"{self.base}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited: {self.log_text()[-2000:]}")
            try:
                self.api("api/status")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"jupyter lab did not answer within {timeout_s:.0f} s")

    def url(self, notebook: str) -> str:
        return f"{self.base}lab/tree/{notebook}?token={self.token}"

    def log_text(self) -> str:
        self.log.flush()
        return (Path(self.tmp.name) / "lab.log").read_text(errors="replace")

    def close(self) -> None:
        try:
            for k in self.api("api/kernels") or []:
                self.api(f"api/kernels/{k['id']}", method="DELETE")
        except OSError:
            pass
        try:
            stop_group(self.proc, timeout_s=15)
        finally:
            self.log.close()
            self.tmp.cleanup()
