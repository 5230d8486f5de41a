"""Shared helpers for the benchmarks: cached generated corpora, and timing a command with its peak memory."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
BENCH_DATA = REPO / "bench-data"
BENCH_OUT = REPO / "bench-out"


def machine() -> str:
    mem = psutil.virtual_memory().total / 2**30
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, " \
           f"Python {platform.python_version()}"


def corpus(docs: int, fmt: str = "jsonl", text_only: bool = False, seed: int = 7) -> Path:
    """A generated corpus, written once and reused by later runs."""
    name = f"{fmt}-{docs}-s{seed}{'-text' if text_only else ''}"
    path = BENCH_DATA / name
    marker = path / "_DONE"
    if not marker.exists():
        cmd = [sys.executable, "-m", "corpussieve", "generate", "--output", str(path), "--docs", str(docs),
               "--seed", str(seed), "--format", fmt]
        if text_only:
            cmd.append("--no-html")
        subprocess.run(cmd, check=True, cwd=REPO, env=_env())
        marker.write_text("ok\n")
    return path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO / "lib") + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    return env


def run_measured(cmd: list[str]) -> dict:
    """Run ``cmd``; wall seconds and the peak resident memory of its whole process tree (JVM and Python)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]
    cpu: dict[int, tuple[str, float]] = {}  # pid -> (role, CPU seconds last seen)

    def role(p: psutil.Process, root: psutil.Process) -> str:
        if p.pid == root.pid:
            return "driver"
        return "jvm" if "java" in p.name() else "workers"

    def watch() -> None:
        try:
            root = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while proc.poll() is None:
            try:
                procs = [root, *root.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in procs if p.is_running()))
                for p in procs:
                    with contextlib.suppress(psutil.Error):
                        times = p.cpu_times()
                        cpu[p.pid] = (role(p, root), times.user + times.system)
            except psutil.Error:
                pass
            time.sleep(0.5)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    stdout, stderr = proc.communicate()
    watcher.join(timeout=2)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{stderr[-3000:]}")
    summary = json.loads(stdout[stdout.index("{"):]) if "{" in stdout else {}
    # CPU seconds per role (driver Python, JVM, Python workers), as last sampled: a lower bound
    cpu_seconds: dict[str, float] = {}
    for name, value in cpu.values():
        cpu_seconds[name] = round(cpu_seconds.get(name, 0.0) + value, 1)
    return {"seconds": round(seconds, 2), "peak_rss_gib": round(peak[0] / 2**30, 2), "summary": summary,
            "cpu_seconds": cpu_seconds, "stderr": stderr}


def corpussieve(*args: str) -> list[str]:
    return [sys.executable, "-m", "corpussieve", *args]


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
