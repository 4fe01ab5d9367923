"""``leadbot serve`` as a real process on a free port, as an operator runs it.

Tests start it, talk to it over HTTP, and stop it with a signal — SIGTERM for a clean stop,
SIGKILL for a crash. Its stderr (the log) is collected for assertions.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.cli import CONFIG

STARTUP_TIMEOUT = 60  # generous: only guards against a hang, asserts nothing about speed


class Server:
    """A ``leadbot serve --port 0`` subprocess and the stderr lines it printed."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._ended = False
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.url = self._wait_for_address()

    def _pump(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _wait_for_address(self) -> str:
        while True:
            line = self._queue.get(timeout=STARTUP_TIMEOUT)
            if line is None:
                raise AssertionError("serve exited early:\n" + "\n".join(self.lines))
            self.lines.append(line)
            if "serving on " in line:
                return line.split("serving on ")[1].split()[0]

    def stop(self, sig: int) -> int:
        """Send ``sig``, wait for the process to end, collect the rest of its log."""
        self.process.send_signal(sig)
        return self.wait()

    def wait(self) -> int:
        """Wait for the process to end (after signals the test sent); collect the rest of
        its log."""
        code = self.process.wait(timeout=STARTUP_TIMEOUT)
        while not self._ended:
            self._take(self._queue.get(timeout=STARTUP_TIMEOUT))
        return code

    def _take(self, line: str | None) -> None:
        if line is None:
            self._ended = True
        else:
            self.lines.append(line)

    @property
    def output(self) -> str:
        """The log so far (while it runs: what it has printed up to now)."""
        while not self._ended:
            try:
                self._take(self._queue.get_nowait())
            except queue.Empty:
                break
        return "\n".join(self.lines)


@contextmanager
def serve(database_url: str, *args: str, config: Path = CONFIG, **env: str) -> Iterator[Server]:
    """``leadbot --config CONFIG serve --port 0 ARGS`` with only the given LEADBOT_* vars."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LEADBOT_")}
    environ.update(LEADBOT_DATABASE__URL=database_url, PYTHONUNBUFFERED="1", **env)
    command = Path(sys.executable).with_name("leadbot")
    process = subprocess.Popen(
        [str(command), "--config", str(config), "serve", "--port", "0", *args],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield Server(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
