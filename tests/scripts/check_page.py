#!/usr/bin/python3
"""Loads an HTML page in headless Chromium and checks that it renders cleanly.

Usage: tests/scripts/check_page.py PAGE.html SCREENSHOT.png

Fails (exit 1, the problems on stderr) when the page logs a console error or warning-level
error, throws, fails to load a resource, or has an <img> that did not decode to a non-zero
size. Writes a full-page screenshot either way (when the page loaded).

Drives Debian's /usr/bin/chromium (override with $CHROMIUM) over the DevTools protocol on a
pipe (--remote-debugging-pipe: NUL-separated JSON on file descriptors 3 and 4), so it needs
only the Python standard library and no network.
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

TIMEOUT_S = 90


class Browser:
    def __init__(self, chromium):
        self.to_browser_r, self.to_browser_w = os.pipe()
        self.from_browser_r, self.from_browser_w = os.pipe()
        self.user_dir = tempfile.mkdtemp(prefix="kqsim-chromium-")
        to_r, from_w = self.to_browser_r, self.from_browser_w

        def wire_pipes():
            # Chromium reads commands on fd 3 and writes replies on fd 4.
            a = fcntl.fcntl(to_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        # The flags keep a sandboxed, offline machine quiet: no background connections, no
        # component updates, a fresh profile.
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--hide-scrollbars",
             "--user-data-dir=" + self.user_dir, "--remote-debugging-pipe",
             "--window-size=1400,1000", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire_pipes, pass_fds=(3, 4))
        os.close(self.to_browser_r)
        os.close(self.from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.deadline = time.monotonic() + TIMEOUT_S

    def close(self):
        try:
            self.send("Browser.close", wait=False)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.user_dir, ignore_errors=True)

    def _read_message(self):
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self.from_browser_r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.from_browser_r, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method, params=None, session=None, wait=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_browser_w, json.dumps(msg).encode() + b"\0")
        if not wait:
            return None
        while True:
            reply = self._read_message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method, session):
        for i, e in enumerate(self.events):
            if e.get("method") == method and e.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            e = self._read_message()
            if e.get("method") == method and e.get("sessionId") == session:
                return e
            self.events.append(e)


def problems_in(events, session):
    found = []
    for e in events:
        if e.get("sessionId") != session:
            continue
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
            found.append(f"console.{p['type']}: {text}")
        elif m == "Runtime.exceptionThrown":
            found.append("exception: " + p["exceptionDetails"].get("text", ""))
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            found.append("log error: " + p["entry"].get("text", ""))
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            found.append("failed load: " + p.get("errorText", ""))
    return found


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    page, shot = os.path.abspath(argv[1]), argv[2]
    if not os.path.isfile(page):
        print(f"check_page: {page}: no such file", file=sys.stderr)
        return 2
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        print(f"check_page: {chromium} not found (scripts/setup.sh installs Debian's chromium)",
              file=sys.stderr)
        return 2
    b = Browser(chromium)
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            b.send(domain + ".enable", session=session)
        b.send("Page.navigate", {"url": "file://" + page}, session=session)
        b.wait_event("Page.loadEventFired", session)
        images = b.send("Runtime.evaluate", {
            "expression": "JSON.stringify(Array.from(document.images).map(i => "
                          "[i.alt, i.complete, i.naturalWidth, i.naturalHeight]))",
            "returnByValue": True}, session=session)["result"]["value"]
        images = json.loads(images)
        metrics = b.send("Page.getLayoutMetrics", session=session)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        clip = {"x": 0, "y": 0, "width": min(size["width"], 2000),
                "height": min(size["height"], 12000), "scale": 1}
        png = b.send("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                "captureBeyondViewport": True},
                     session=session)["data"]
        with open(shot, "wb") as f:
            f.write(base64.b64decode(png))
        # Late messages (e.g. a failed image decode) arrive before this round trip returns.
        b.send("Runtime.evaluate", {"expression": "1"}, session=session)
        problems = problems_in(b.events, session)
    finally:
        b.close()
    for alt, complete, w, h in images:
        if not complete or w == 0 or h == 0:
            problems.append(f"image \"{alt}\" did not render ({w}x{h}, complete={complete})")
    print(f"check_page: {page}: {len(images)} images, screenshot {shot} "
          f"({int(clip['width'])}x{int(clip['height'])} px)")
    for p in problems:
        print(f"check_page: {page}: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
