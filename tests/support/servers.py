"""The receiver under real production WSGI servers (waitress, gunicorn), started as the operator
guide documents them, on 127.0.0.1 in a subprocess; raw HTTP requests from a chosen local
address (127.0.0.1 plays the proxy, 127.0.0.2 a client reaching the server directly)."""
from __future__ import annotations

import os
import re
import shlex
import socket
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

from support.processes import Process
from support.projects import REPO, example_project

GUIDE = REPO / "docs" / "operator.md"
PROXY = "127.0.0.1"     # the address the reverse proxy connects from
DIRECT = "127.0.0.2"    # a client that reaches the server without the proxy
READY = {"waitress": r"Serving on http://127\.0\.0\.1:(\d+)", "gunicorn": r"Listening at: http://127\.0\.0\.1:(\d+)"}


def documented(server: str) -> tuple[dict, list[str]]:
    """(environment, argv) of the guide's command for `server` behind a proxy ("Behind a
    reverse proxy"), its program run by this Python and its port 0 (any free one)."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## Behind a reverse proxy", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    commands = [c for c in re.sub(r"\\\n\s*", " ", block).splitlines() if c.strip() and not c.startswith("#")]
    words = shlex.split(next(c for c in commands if re.search(rf"\b{server}(-serve)?\b", c)))
    env = {}
    while "=" in words[0] and not words[0].startswith("-"):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    program = words.pop(0)
    assert program in ("waitress-serve", "gunicorn"), program
    argv = [sys.executable, "-m", "waitress" if program == "waitress-serve" else "gunicorn"]
    return env, argv + [w.replace("127.0.0.1:8080", "127.0.0.1:0") for w in words]


class Server(Process):
    """A server process whose output is read in a thread; `url` once it listens."""

    def __init__(self, server: str, folder: Path, extra: list[str] = (), env: dict | None = None,
                 documented_env: bool = True):
        self.project = example_project(folder / "project")
        (self.project.root / "optin.toml").write_text("", encoding="utf-8")
        base_env, argv = documented(server)
        if server == "gunicorn":
            extra = ["--no-control-socket", *extra]  # gunicorn 23+ would make one in $HOME
        path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        child = {**os.environ, **(base_env if documented_env else {}), "PYTHONUNBUFFERED": "1", "PYTHONPATH": path,
                 "OPTIN_CONFIG": str(self.project.root / "optin.toml"), "OPTIN_LEDGER": str(folder / "ledger.sqlite"),
                 **(env or {})}
        child.pop("OPTIN_DATABASE_URL", None)
        self.argv = [*argv[:-1], *extra, argv[-1]] if server == "gunicorn" else [*argv[:-2], *extra, *argv[-2:]]
        super().__init__(self.argv, folder, full_env=child)
        self.port = int(self.until(READY[server]).group(1))
        self.url = f"http://127.0.0.1:{self.port}"

    def post(self, path: str, body: bytes = b"{}", headers: dict | None = None, source: str = PROXY,
             timeout: float = 30) -> tuple[int, bytes]:
        """POST from the local address `source`; (status, body)."""
        conn = HTTPConnection("127.0.0.1", self.port, timeout=timeout, source_address=(source, 0))
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
            res = conn.getresponse()
            return res.status, res.read()
        finally:
            conn.close()

    def raw(self, data: bytes, timeout: float = 30) -> tuple[float, bytes]:
        return raw(self.port, data, timeout)


def raw(port: int, data: bytes, timeout: float = 30) -> tuple[float, bytes]:
    """Send raw bytes to 127.0.0.1:`port`, read until a whole answer, the server closes or
    `timeout`: (seconds taken, answer)."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and _complete(answer):
                    break
        except (TimeoutError, ConnectionResetError):
            pass
    return time.monotonic() - start, answer


def status_of(answer: bytes) -> int | None:
    found = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    return int(found.group(1)) if found else None


def body_of(answer: bytes) -> bytes:
    return answer.partition(b"\r\n\r\n")[2]


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return bool(length) and len(body) >= int(length.group(1))
