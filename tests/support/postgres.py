"""A real PostgreSQL server for the tests and the benchmark, from Debian's binaries
(/usr/lib/postgresql/*/bin; scripts/test.sh installs the `postgresql` package).

`initdb` in a temporary folder, `pg_ctl start` on a free port of 127.0.0.1 with the unix
socket in that folder, trust authentication for the one superuser `optin`, stopped (and the
folder removed) at the end. PostgreSQL refuses to run as root: then the server runs as the
`postgres` user of the Debian package (else `nobody`), and the folder is made theirs.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

USER = "optin"


def bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def _run_as() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and there is neither a `postgres` nor a `nobody` user")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`with Server() as pg: pg.url` (the `postgres` database); `pg.new_database()` -> URL."""

    def __init__(self, durable: bool = False):
        self.bin = bin_dir()
        if self.bin is None:
            raise FileNotFoundError("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin "
                                    "(apt-get install postgresql)")
        self.durable = durable  # False: fsync off (a test server: PostgreSQL itself is not killed)
        self.folder = Path(tempfile.mkdtemp(prefix="optin-pg-"))
        self.data = self.folder / "data"
        self.user = _run_as()
        self.port = 0

    def _cmd(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        kwargs = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "HOME": str(self.folder)}
        return subprocess.run([str(self.bin / args[0]), *args[1:]], capture_output=True, text=True, env=env,
                              stdin=subprocess.DEVNULL, start_new_session=True,
                              cwd=self.folder, timeout=120, check=check, **kwargs)

    def start(self) -> "Server":
        if self.user is not None:
            os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
        self._cmd("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -k {self.folder} -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c full_page_writes=off"
        for _ in range(5):  # a free port can be taken by someone else before the server binds it
            self.port = free_port()
            done = self._cmd("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l",
                             str(self.folder / "server.log"), "-o", f"-p {self.port} {options}", check=False)
            if done.returncode == 0:
                return self
        log = (self.folder / "server.log").read_text(errors="replace") if (self.folder / "server.log").exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {done.stdout}{done.stderr}\n{log[-2000:]}")

    def stop(self) -> None:
        if self.data.exists():
            self._cmd("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w", check=False)
        for _ in range(50):  # backends still exiting may write a last file while it is removed
            shutil.rmtree(self.folder, ignore_errors=True)
            if not self.folder.exists():
                return
            time.sleep(0.1)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def url_of(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        return self.url_of("postgres")

    def new_database(self) -> str:
        """A fresh, empty database on this server; its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url_of(name)


# -- for the tests: one server per test process, started on first use ------------------------
BACKENDS = ("sqlite", "postgresql")
_server: Server | None = None


def server() -> Server:
    """This process's server (each pytest-xdist worker starts its own), stopped at exit. Without
    the binaries the test skips, or fails where the tools must be there (scripts/test.sh, CI)."""
    global _server
    if _server is None:
        import atexit

        import pytest

        if bin_dir() is None:
            message = "PostgreSQL is not installed (apt-get install postgresql; scripts/test.sh does)"
            if os.environ.get("CI") or os.environ.get("OPTIN_REQUIRE_TOOLS"):
                pytest.fail(message)
            pytest.skip(message)
        _server = Server().start()
        atexit.register(_server.stop)
    return _server


def target(backend: str, tmp_path: Path, name: str = "ledger.sqlite") -> Path | str:
    """Where a test's ledger lives: a file in tmp_path, or a fresh PostgreSQL database."""
    return tmp_path / name if backend == "sqlite" else server().new_database()


def raw(ledger):
    """A connection to the ledger's storage that bypasses the Ledger (as an attacker or an
    auditor would), in autocommit: sqlite3 for a file, psycopg for PostgreSQL."""
    if ledger.backend.name == "sqlite":
        db = sqlite3.connect(ledger.path)
        db.isolation_level = None
        return db
    import psycopg

    return psycopg.connect(ledger.backend.url, autocommit=True)


def run(db, sql: str, *args):
    """Execute `sql` (with ? placeholders) on a raw() connection; the cursor."""
    if not isinstance(db, sqlite3.Connection):
        sql = sql.replace("?", "%s")
    return db.execute(sql, args or None) if args else db.execute(sql)


def drop_trigger(db, name: str, table: str) -> None:
    db.execute(f"DROP TRIGGER {name}" if isinstance(db, sqlite3.Connection) else f"DROP TRIGGER {name} ON {table}")


def db_errors() -> tuple[type, ...]:
    """What a refused statement raises, on either backend."""
    try:
        import psycopg
    except ImportError:
        return (sqlite3.DatabaseError,)
    return (sqlite3.DatabaseError, psycopg.Error)
