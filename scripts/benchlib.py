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


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``cmd``; wall seconds and the peak resident memory of its whole process tree (JVM and Python).

    ``env`` replaces the environment (default: this one with corpussieve's ``lib`` on PYTHONPATH), for
    commands that run another virtualenv's interpreter. The summary is the JSON object the command prints
    last on stdout, or {} when it prints none.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env if env is not None else _env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
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
    summary = _last_json(stdout)
    # CPU seconds per role (driver Python, JVM, Python workers), as last sampled: a lower bound
    cpu_seconds: dict[str, float] = {}
    for name, value in cpu.values():
        cpu_seconds[name] = round(cpu_seconds.get(name, 0.0) + value, 1)
    return {"seconds": round(seconds, 2), "peak_rss_gib": round(peak[0] / 2**30, 2), "summary": summary,
            "cpu_seconds": cpu_seconds, "stderr": stderr}


def _last_json(stdout: str) -> dict:
    """The JSON object a command printed: all of stdout from its first brace, else its last line that is one."""
    if "{" not in stdout:
        return {}
    try:
        return json.loads(stdout[stdout.index("{"):])
    except json.JSONDecodeError:
        # other output came first (a library's logging on stdout): the summary is the last line
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        return json.loads(lines[-1]) if lines else {}


def corpussieve(*args: str) -> list[str]:
    return [sys.executable, "-m", "corpussieve", *args]


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
