"""Where each Python process's time goes during a phase: py-spy sampling every service process.

`Profiles.start` attaches `py-spy record` (raw, collapsed stacks) to each process; `stop` ends the
recordings and returns, for each process, the functions that most samples were in (self time), and
the flame-graph-ready `.txt` files stay in the folder. Needs the `py-spy` tool (a dev dependency)
and leave to trace the processes (root, or ptrace allowed); without them it says so and records
nothing.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

RATE = 200  # samples a second


class Profiles:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        beside = Path(sys.executable).parent  # the venv's bin, when not on PATH
        self.tool = shutil.which("py-spy") or shutil.which("py-spy", path=str(beside))

    def start(self, processes: dict[str, int], phase: str) -> None:
        if self.tool is None:
            print("profile: py-spy not found, nothing recorded")
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, pid in processes.items():
            if name == "broker":  # not Python
                continue
            output = self.folder / f"{phase}-{name}.txt"
            command = [self.tool, "record", "--pid", str(pid), "--rate", str(RATE), "--format", "raw"]
            self.running[name] = subprocess.Popen(
                [*command, "--nonblocking", "--output", str(output)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def stop(self, phase: str, most: int = 6) -> dict[str, list[str]]:
        """Each process's `most` functions by share of its samples (where the CPU was, not who called)."""
        for recording in self.running.values():
            recording.send_signal(signal.SIGINT)
        tops: dict[str, list[str]] = {}
        for name, recording in self.running.items():
            try:
                recording.wait(timeout=60)
            except subprocess.TimeoutExpired:
                recording.kill()
            tops[name] = top_functions(self.folder / f"{phase}-{name}.txt", most)
        self.running.clear()
        return tops


OURS = ("registers/", "alerts/", "casework/", "notifications/", "attendance_common/")
ENTRY = ("<module> ", "main ", "run_worker ")  # under every sample of a worker: says nothing


def _function(frame: str) -> str:
    """`name (path:line)` without the line: samples anywhere in a function count together."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if where else frame


def top_functions(collapsed: Path, most: int) -> list[str]:
    """From py-spy's raw output (`frame;frame;... count` a line): the leaf functions' shares (where
    the CPU was), then our own functions' inclusive shares (which of our steps it was under)."""
    if not collapsed.exists():
        return ["no samples (py-spy could not attach?)"]
    leaves: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_function(frame) for frame in stack.split(";")]
        leaves[frames[-1]] += int(count)
        for frame in set(frames):
            if any(part in frame for part in OURS) and not frame.startswith(ENTRY):
                ours[frame] += int(count)
    total = sum(leaves.values()) or 1
    share = lambda n: f"{100 * n / total:5.1f}%"  # noqa: E731
    return [f"self {share(n)} {frame[:110]}" for frame, n in leaves.most_common(most)] + [
        f"incl {share(n)} {frame[:110]}" for frame, n in ours.most_common(most)
    ]
