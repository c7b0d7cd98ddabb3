"""The `breachdesk` command in a process of its own, for the tests and the benchmarks."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

BREACHDESK = str(Path(sys.executable).parent / "breachdesk")


def wait_until(condition: Callable[[], bool], seconds: float = 30) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` have passed (a bound, never asserted
    as a duration)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@contextmanager
def worker_process(
    env: dict[str, str], cwd: Path, interval: float = 3600
) -> Iterator[tuple[subprocess.Popen, list[str]]]:
    """`breachdesk worker --interval N` in a process of its own, once it has started; yields
    the process and the lines it logs (a list that grows). Ended on the way out."""
    process = subprocess.Popen(
        [BREACHDESK, "worker", "--interval", str(interval)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or []), daemon=True)
    reader.start()
    try:
        assert wait_until(lambda: any("worker_started" in line for line in lines), 60), lines
        yield process, lines
    finally:
        process.terminate()
        process.wait(timeout=60)
        reader.join(timeout=10)
