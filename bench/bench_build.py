"""Build benchmark: N generated campaigns x 5 locales; prints pages, seconds and pages/second.

    .venv/bin/python bench/bench_build.py [--campaigns 170]   # the venv has optin installed (editable)

170 campaigns give ~5,100 pages. Templates are compiled once per build and each notice's
Markdown is rendered once per campaign and locale (see tests/test_build.py), so the time grows
with the page count, not with pages x notice size.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from generator.pipeline.build import build
from generator.project import Project

EXAMPLES = Path(__file__).resolve().parent.parent / "campaigns"  # read only: the example campaign
TEMPLATE = (EXAMPLES / "nordlys-sko.yaml").read_text(encoding="utf-8")


def make_campaigns(folder: Path, count: int) -> None:
    logo = EXAMPLES / "nordlys-sko-logo.svg"
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
        project = Project(Path(tmp))  # a throwaway project: the built-in locales and themes
        src, out = project.campaigns_dir, project.out_dir
        src.mkdir()
        make_campaigns(src, args.campaigns)
        profiler = cProfile.Profile() if args.profile else None
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        result = build(project, [src], out)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - start
    print(f"{args.campaigns} campaigns, {result.pages} pages in {seconds:.2f} s "
          f"({result.pages / seconds:.0f} pages/s)")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)


if __name__ == "__main__":
    main()
