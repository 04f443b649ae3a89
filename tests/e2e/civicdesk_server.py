"""`civicdesk serve` as a real process for the end-to-end tests: started as an operator starts it
(`python -m api.cli serve --port N`, configured only by `CIVICDESK_*` environment variables) on
a free port, with the `civicdesk` command line beside it. Waiting for it polls /ready (as a load
balancer would: the read models have caught up with the log) in a loop bounded by a time limit;
nothing sleeps to wait for a deadline."""

from __future__ import annotations

import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from infrastructure.settings import Settings
from tests.command_line import ROOT, environment

START_LIMIT_SECONDS = 60.0
STOP_LIMIT_SECONDS = 20.0
# uvicorn re-raises the signal it stopped on once the shutdown hooks have run.
CLEAN_EXITS = {0, -signal.SIGTERM}
SHUTDOWN_COMPLETE = "Application shutdown complete."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServerProcess:
    """One `civicdesk serve` process, its log, and the tokens its secret signs."""

    def __init__(self, env: dict[str, str], log_path: Path, *options: str,
                 serve_arguments: tuple[str, ...] = ()) -> None:
        self.env = env
        self.serve_arguments = serve_arguments
        self.log_path = log_path
        self.options = options  # for `serve` and `token`, such as --dev
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *arguments: str) -> str:
        """`civicdesk ARGUMENTS…` with the server's settings; what it printed (it must succeed)."""
        result = subprocess.run([sys.executable, "-m", "api.cli", *arguments], env=self.env,
                                cwd=ROOT, capture_output=True, text=True, timeout=60,
                                check=False)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def token(self, role: str, sub: str, *departments: str) -> dict[str, str]:
        flags = [item for department in departments for item in ("--department", department)]
        token = self.cli("token", "--role", role, "--sub", sub, *flags, *self.options)
        return {"Authorization": f"Bearer {token}"}

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port),
                 *self.options, *self.serve_arguments],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        limit = time.monotonic() + START_LIMIT_SECONDS
        while time.monotonic() < limit:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/ready", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.1)  # polling interval, not a deadline
        self.kill()
        pytest.fail(f"not ready (/ready) within {START_LIMIT_SECONDS}s:\n{self.log()}")

    def stop(self) -> None:
        """SIGTERM, as an orchestrator stops it: the shutdown hooks run, then the process ends."""
        assert self.process is not None
        self.process.terminate()
        try:
            status = self.process.wait(timeout=STOP_LIMIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"the server did not stop within {STOP_LIMIT_SECONDS}s:\n{self.log()}")
        log = self.log()
        assert status in CLEAN_EXITS and SHUTDOWN_COMPLETE in log, f"exit {status}:\n{log}"

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_LIMIT_SECONDS)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def serving(settings: Settings, log_path: Path, serve_arguments: tuple[str, ...] = (), *,
            dev: bool = False, **extra: str) -> Iterator[ServerProcess]:
    """`civicdesk serve SERVE_ARGUMENTS` on the database of `settings` (and `extra`
    variables), with a fresh signing secret (or, with `dev`, none and --dev), until the block
    ends; then killed if it still runs."""
    if dev:
        server = ServerProcess(environment(settings, **extra), log_path, "--dev",
                               serve_arguments=serve_arguments)
    else:
        server = ServerProcess(
            environment(settings, CIVICDESK_JWT_SECRET=secrets.token_urlsafe(32), **extra),
            log_path, serve_arguments=serve_arguments)
    try:
        server.start()
        yield server
    finally:
        server.kill()
