"""A PostgreSQL server of our own (initdb, pg_ctl) on a free port, for tests that restart it and
benchmarks that tune it: neither disturbs the machine's shared server."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from attendance_common.broker import free_port

TOOLS = ("initdb", "pg_ctl", "postgres")


def server_bin() -> Path | None:
    """The folder holding the server's tools: on PATH, where `pg_config` says, or Debian's newest."""
    candidates: list[Path] = []
    if found := shutil.which("initdb"):
        candidates.append(Path(found).parent)
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        bindir = subprocess.run(["pg_config", "--bindir"], check=True, capture_output=True, text=True)
        candidates.append(Path(bindir.stdout.strip()))
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    candidates += [Path(p) for p in reversed(debian)]
    return next((c for c in candidates if all((c / tool).exists() for tool in TOOLS)), None)


class PrivatePostgres:
    """One server in `root`, started with `settings` (`-c name=value`) on top of initdb's defaults."""

    def __init__(self, root: Path, settings: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.settings = {"listen_addresses": "127.0.0.1", **(settings or {})}
        self.bin = server_bin()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @classmethod
    def available(cls) -> bool:
        return server_bin() is not None

    def _run(self, tool: str, *arguments: str) -> None:
        if self.bin is None:
            raise RuntimeError("PostgreSQL's server tools (initdb, pg_ctl) were not found")
        # initdb refuses to run as root: run the server as the `postgres` user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*prefix, str(self.bin / tool), *arguments], check=True, capture_output=True, timeout=120
        )

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} " + " ".join(
            f"-c {k}={v}" for k, v in self.settings.items()
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, down_for: float) -> None:
        """Stop (immediate: like a crash), stay down for a while, start again."""
        self.stop("immediate")
        time.sleep(down_for)
        self.start()


@contextlib.contextmanager
def private_postgres(settings: Mapping[str, str] | None = None) -> Iterator[PrivatePostgres]:
    """A fresh server for the block, removed after. Its folder is straight under /tmp: pytest's are
    private to root, which the server (run as `postgres`) cannot use."""
    server = PrivatePostgres(Path(tempfile.mkdtemp(prefix="private-postgres-")), settings)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
