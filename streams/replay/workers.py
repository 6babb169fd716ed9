"""A Faust worker in a child process: used by ``demo``, the end-to-end tests and the benchmarks."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from streams.replay.errors import WorkerExited
from streams.settings import home


class WorkerProcess:
    def __init__(self, bootstrap: str, *, log_path: Path | None = None, env: dict | None = None):
        self.bootstrap = bootstrap
        self.log_path = log_path or home() / "logs" / "worker.log"
        self.env = env or {}
        self.proc: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env, "WIRESTREAM_BROKER": self.bootstrap}
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker", "--loglevel", "info"],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: the crash case, no chance to commit or clean up."""
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 30.0) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc is not None:
            self._log.close()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def error_line(self) -> str | None:
        """The last ERROR line of the log: after a crash the log ends with shutdown chatter."""
        errors = [line for line in self.log_tail(400).splitlines() if "[ERROR]" in line]
        return errors[-1].strip() if errors else None

    def exit_report(self) -> str:
        code = self.proc.returncode if self.proc is not None else None
        error = self.error_line()
        return (f"the worker (pid {self.proc.pid if self.proc else '?'}) exited with code {code}"
                + (f": {error}" if error else "") + f"; last lines of {self.log_path}:\n{self.log_tail()}")

    def __enter__(self) -> "WorkerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


async def while_alive(coro, workers: list[WorkerProcess], every: float = 0.5):
    """Await ``coro``, but fail at once (WorkerExited, with the worker's last log lines) if one of
    ``workers`` exits first: a dead worker would otherwise leave the caller waiting for its timeout."""
    task = asyncio.ensure_future(coro)
    try:
        while not task.done():
            dead = [w for w in workers if not w.alive()]
            if dead:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                raise WorkerExited(dead[0].exit_report())
            await asyncio.wait({task}, timeout=every)
        return task.result()
    finally:
        if not task.done():
            task.cancel()
