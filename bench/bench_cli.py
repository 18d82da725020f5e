"""How fast `optin --help` answers (only click and the command modules load; the stages import
when a command runs). Target on the project's 2-core machine: ≤ 0.15 s.

    .venv/bin/python bench/bench_cli.py [RUNS]
"""
from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main(runs: int = 15) -> None:
    optin = shutil.which("optin", path=str(Path(sys.executable).parent)) or "optin"
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([optin, "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    print(f"optin --help: median {statistics.median(times) * 1000:.0f} ms, best {min(times) * 1000:.0f} ms "
          f"over {runs} runs (target 150 ms)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
