"""Headless Chromium driven through the DevTools protocol (a websocket, spoken with
aiohttp, which the plugin depends on already): load a page, wait for a condition,
evaluate JavaScript, take a screenshot. For the index page's browser tests and its
benchmark; no Selenium, no Playwright.

`find_browser()` finds Debian's ``chromium`` (scripts/install_browser.sh installs it);
`browser_or_fail()` is what tests call: without a browser they fail under CI=true and
are skipped elsewhere.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


def find_browser() -> str | None:
    override = os.environ.get("OMERO_NGFF_BROWSER")
    if override:
        return override if shutil.which(override) else None
    return next((path for path in map(shutil.which, BINARIES) if path), None)


def browser_or_fail() -> str:
    """The browser's path; under CI=true a missing browser fails the test."""
    import pytest

    path = find_browser()
    if path is None:
        message = ("no headless Chromium (run scripts/install_browser.sh as root, or set "
                   "OMERO_NGFF_BROWSER)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


class Browser:
    """One headless Chromium with one page."""

    def __init__(self, binary: str, width: int = 1400, height: int = 900) -> None:
        self.profile = tempfile.mkdtemp(prefix="omero-ngff-chromium-")
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars",
             f"--window-size={width},{height}", "--remote-debugging-port=0",
             f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.loop = asyncio.new_event_loop()
        self._ids = itertools.count(1)
        self.ws: Any = None
        self.session: Any = None
        try:
            self.loop.run_until_complete(self._connect(self._browser_url()))
        except BaseException:
            self.close()
            raise

    def _browser_url(self, timeout: float = 30.0) -> str:
        assert self.proc.stderr is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                break
            found = _LISTENING.search(line)
            if found:       # then drain it, so that a chatty browser never blocks
                threading.Thread(target=self.proc.stderr.read, daemon=True).start()
                return found.group(1)
        raise RuntimeError("Chromium did not start its DevTools endpoint")

    async def _connect(self, browser_ws: str) -> None:
        import aiohttp

        port = int(re.search(r":(\d+)/", browser_ws).group(1))   # type: ignore[union-attr]
        self.session = aiohttp.ClientSession()
        async with self.session.get(f"http://127.0.0.1:{port}/json/list") as r:
            pages = [t for t in await r.json() if t.get("type") == "page"]
        self.ws = await self.session.ws_connect(pages[0]["webSocketDebuggerUrl"],
                                                max_msg_size=0)
        await self._send("Page.enable")
        await self._send("Runtime.enable")

    async def _send(self, method: str, **params: Any) -> dict[str, Any]:
        call = next(self._ids)
        await self.ws.send_str(json.dumps({"id": call, "method": method, "params": params}))
        while True:
            msg = json.loads((await self.ws.receive()).data)
            if msg.get("id") == call:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return self.loop.run_until_complete(self._send(method, **params))

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def load(self, url: str, until: str = "document.body && "
             "document.body.dataset.state && document.body.dataset.state !== 'loading'",
             timeout: float = 30.0) -> dict[str, str]:
        """Open ``url`` and wait until ``until`` is true: the body's data-* attributes."""
        self.call("Page.navigate", url=url)
        self.wait(until, timeout)
        return self.dataset()

    def wait(self, condition: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.evaluate(f"!!({condition})"):
                    return
            except RuntimeError:
                pass                  # the page is between documents
            time.sleep(0.02)
        raise TimeoutError(f"the page did not reach: {condition}")

    def dataset(self) -> dict[str, str]:
        return dict(self.evaluate("Object.assign({}, document.body.dataset)") or {})

    def screenshot(self, path: Path) -> Path:
        shot = self.call("Page.captureScreenshot", format="png")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        async def shut() -> None:
            if self.ws is not None:
                await self.ws.close()
            if self.session is not None:
                await self.session.close()

        try:
            self.loop.run_until_complete(shut())
        finally:
            self.loop.close()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            if self.proc.stderr is not None:
                self.proc.stderr.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
