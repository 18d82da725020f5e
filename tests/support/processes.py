"""A child process whose output lines are read in a thread, so a test can wait for one line,
collect what came, and stop it the way an operator would (SIGTERM)."""
from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

from support.projects import REPO


class Process:
    def __init__(self, args: list[str], cwd: Path, env: dict | None = None, full_env: dict | None = None):
        """`env` adds to this environment; `full_env` replaces it. Either way the child imports
        this checkout's generator, whatever cwd is and wherever optin was installed."""
        if full_env is None:
            path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
            full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path, **(env or {})}
        self.args = args
        self.proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=full_env)
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def until(self, pattern: str, timeout: float = 60) -> re.Match:
        """Read lines until one matches; the lines read are kept in `seen`."""
        end = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, end - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None or time.monotonic() > end:
                raise AssertionError(f"no line matching {pattern!r}; output so far:\n" + "\n".join(self.seen))
            self.seen.append(line)
            if found := re.search(pattern, line):
                return found

    def output(self, settle: float = 0.5) -> list[str]:
        """Every line so far (waiting `settle` seconds for stragglers)."""
        end = time.monotonic() + settle
        while (left := end - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
        return self.seen

    def stop(self) -> int:
        """SIGTERM (what `kill` sends), wait, and keep the last lines in `seen`."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(5)
        try:
            for line in iter(lambda: self.lines.get(timeout=5), None):
                self.seen.append(line)
        except queue.Empty:
            pass
        return code
