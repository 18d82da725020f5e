"""Build benchmark: N generated campaigns x 5 locales; prints pages, seconds and pages/second.

    .venv/bin/python bench/bench_build.py [--campaigns 170]

170 campaigns give ~5,100 pages. Templates are compiled once per build and each notice's
Markdown is rendered once per campaign and locale (see tests/test_build.py), so the time grows
with the page count, not with pages x notice size.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.build import build  # noqa: E402

TEMPLATE = (ROOT / "campaigns" / "nordlys-sko.yaml").read_text(encoding="utf-8")


def make_campaigns(folder: Path, count: int) -> None:
    logo = ROOT / "campaigns" / "nordlys-sko-logo.svg"
    (folder / logo.name).write_bytes(logo.read_bytes())
    for i in range(count):
        text = TEMPLATE.replace("id: nordlys-sko", f"id: bench-{i:04d}").replace("name: Nordlys Sko\n", f"name: Shop {i}\n")
        (folder / f"bench-{i:04d}.yaml").write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, default=170)
    parser.add_argument("--profile", action="store_true", help="print the 15 most expensive functions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "campaigns", Path(tmp) / "site"
        src.mkdir()
        make_campaigns(src, args.campaigns)
        profiler = cProfile.Profile() if args.profile else None
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        result = build([src], out)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - start
    print(f"{args.campaigns} campaigns, {result.pages} pages in {seconds:.2f} s "
          f"({result.pages / seconds:.0f} pages/s)")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)


if __name__ == "__main__":
    main()
