"""Build benchmark: optin and (when `hugo` is installed) its Hugo twin, side by side, whole processes.

    .venv/bin/python bench/bench_build.py [--campaigns 200] [--runs 3] [--profile]

N copies of the nordlys-sko example under new ids and brand names are built by `optin build`
in a fresh process; the Hugo twin (bench/hugo_twin.py: same campaigns x locales x pages, the
real notice texts) is built by `hugo` the same way. Prints for each: pages, median wall and CPU
seconds, pages/s, peak memory; the ratio of optin's time per page to Hugo's (target ≤ 0.5);
an incremental rebuild after editing one campaign, in a new process (`optin build`) and in the
live preview's (`optin serve` rebuilding on save; target ≤ 0.3 s); `optin check` of the site (target: faster
than its clean build); and the largest page's transfer size
(HTML + its CSS and JS, gzipped; budget 14 KB).

optin runs as installed: with its modules' bytecode compiled (pip does that on install), in a
cache of the bench's own (PYTHONPYCACHEPREFIX), filled by one untimed warm-up build first.
`--no-bytecode` times it compiling every module on each run instead (what a checkout gives
with PYTHONDONTWRITEBYTECODE set).
"""
from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hugo_twin import make_twin

REPO = Path(__file__).resolve().parent.parent
ASSET = re.compile(r'(?:href|src)="([^"]+\.(?:css|js))"')


def make_campaigns(folder: Path, count: int) -> None:
    examples = REPO / "campaigns"  # read only
    template = (examples / "nordlys-sko.yaml").read_text(encoding="utf-8")
    for logo in examples.glob("nordlys-sko-*.svg"):
        shutil.copy(logo, folder / logo.name)
    for i in range(count):
        text = template.replace("id: nordlys-sko", f"id: bench-{i:04d}").replace(
            "name: Nordlys Sko\n", f"name: Shop {i}\n")
        (folder / f"bench-{i:04d}.yaml").write_text(text, encoding="utf-8")


ENV = dict(os.environ)  # optin's environment (main sets the bytecode cache)


def timed(command: list[str], cwd: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, its worker processes included) and peak RSS in
    MB of one whole process."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: 200 campaigns' warnings fill a pipe
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors, env=ENV)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            sys.exit(f"{command[0]} failed:\n{errors.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def median_run(command: list[str], cwd: Path, runs: int, before=None) -> tuple[float, float, float]:
    results = []
    for _ in range(runs):
        if before:
            before()
        results.append(timed(command, cwd))
    return tuple(statistics.median(r[i] for r in results) for i in range(3))


def largest_page(site: Path) -> tuple[int, str]:
    """The biggest gzipped transfer of one page: its HTML plus the CSS and JS it links."""
    def gz(path: Path) -> int:
        return len(gzip.compress(path.read_bytes(), 9))
    best = (0, "")
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        size = gz(page)
        for ref in set(ASSET.findall(html)):
            target = (site / ref.lstrip("/")) if ref.startswith("/") else (page.parent / ref)
            if target.is_file():
                size += gz(target)
        best = max(best, (size, str(page.relative_to(site))))
    return best


def row(name: str, pages: int, wall: float, cpu: float, rss: float) -> str:
    return f"{name:<22} {pages:>6} {wall:>7.2f} {cpu:>7.2f} {pages / wall:>8.0f} {rss:>7.0f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile one optin build (pyinstrument or cProfile)")
    parser.add_argument("--no-bytecode", action="store_true", help="no compiled modules: each run compiles them")
    args = parser.parse_args()
    optin = shutil.which("optin", path=str(Path(sys.executable).parent)) or "optin"
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        (project / "campaigns").mkdir(parents=True)
        (project / "optin.toml").write_text("", encoding="utf-8")
        make_campaigns(project / "campaigns", args.campaigns)
        def clean() -> None:  # the output and the build cache beside it: a cold build
            for folder in ("site", ".site.tmp-cache"):
                shutil.rmtree(project / folder, ignore_errors=True)
        build = [optin, "build", "--quiet"] if _has_quiet(optin) else [optin, "build"]
        if not args.no_bytecode:
            warm_up(build, Path(tmp))
        wall, cpu, rss = median_run(build, project, args.runs, before=clean)
        pages = sum(1 for _ in (project / "site").rglob("*.html"))
        print(f"{'':<22} {'pages':>6} {'wall s':>7} {'cpu s':>7} {'pages/s':>8} {'peak MB':>7}")
        print(row("optin build (clean)", pages, wall, cpu, rss))
        edited = project / "campaigns" / "bench-0000.yaml"
        edits = iter(range(10**6))
        def touch_one() -> None:  # a real change each run: the brand name gets a new number
            text = re.sub(r"name: Shop 0[^\n]*\n", f"name: Shop 0 v{next(edits)}\n", edited.read_text(encoding="utf-8"))
            edited.write_text(text, encoding="utf-8")
        inc = median_run(build, project, args.runs, before=touch_one)
        print(row("optin build (1 edit)", pages, *inc))
        live = live_rebuild(project, args.runs)
        print(f"{'optin serve (1 edit)':<22} {pages:>6} {live:>7.2f}   (a rebuild in the live preview's process; target ≤ 0.3 s)")
        checked = median_run([optin, "check"], project, args.runs)
        print(row("optin check", pages, *checked))
        print(f"check time / clean build time: {checked[0] / wall:.2f} (target < 1)")
        ratio = None
        if shutil.which("hugo"):
            twin = Path(tmp) / "hugo"
            twin.mkdir()
            make_twin(twin, args.campaigns, REPO / "locales")
            hclean = lambda: shutil.rmtree(twin / "public", ignore_errors=True)
            hwall, hcpu, hrss = median_run(["hugo", "--quiet"], twin, args.runs, before=hclean)
            hpages = sum(1 for _ in (twin / "public").rglob("*.html"))
            print(row("hugo (clean)", hpages, hwall, hcpu, hrss))
            ratio = (wall / pages) / (hwall / hpages)
            print(f"optin time per page / Hugo's: {ratio:.2f} (target ≤ 0.5); "
                  f"CPU time per page: {(cpu / pages) / (hcpu / hpages):.2f}")
        else:
            print("hugo not installed (apt-get install hugo): no side-by-side figure")
        size, page = largest_page(project / "site")
        print(f"largest page transfer: {size / 1024:.1f} KB gzipped ({page}; budget 14 KB)")
        if args.profile:
            clean()
            subprocess.run([sys.executable, "-m", "cProfile", "-s", "cumulative", optin, "build"],
                           cwd=project, check=True, stdout=sys.stdout)


LIVE = """
import re, statistics, sys, time
from pathlib import Path
from generator.project import Project
from generator.pipeline.serve import LocalServer
server = LocalServer(Project.find(Path.cwd()))  # builds once, as `optin serve` does on start
edited, times = Path("campaigns/bench-0000.yaml"), []
try:
    for i in range(int(sys.argv[1])):
        edited.write_text(re.sub(r"name: Shop 0[^\\n]*\\n", f"name: Shop 0 live {i}\\n", edited.read_text()))
        start = time.perf_counter()
        server.rebuild([edited])
        times.append(time.perf_counter() - start)
finally:
    server.close()
print(statistics.median(times))
"""


def live_rebuild(project: Path, runs: int) -> float:
    """Median wall seconds of the live preview's rebuild after one campaign edit: `optin serve`
    keeps its process (imports, caches) between saves, so this is what a marketer waits for."""
    out = subprocess.run([sys.executable, "-c", LIVE, str(runs)], cwd=project, env=ENV, check=True,
                         capture_output=True, text=True)
    return float(out.stdout.split()[-1])


def warm_up(build: list[str], tmp: Path) -> None:
    """Compile optin's modules (and its libraries') into a bytecode cache of this run: a build
    and a rebuild of one campaign, untimed."""
    ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    ENV["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    project = tmp / "warm-up"
    (project / "campaigns").mkdir(parents=True)
    (project / "optin.toml").write_text("", encoding="utf-8")
    make_campaigns(project / "campaigns", 1)
    for _ in range(2):
        timed(build, project)
        edited = project / "campaigns" / "bench-0000.yaml"
        edited.write_text(edited.read_text(encoding="utf-8").replace("name: Shop 0", "name: Shop 0 again"),
                          encoding="utf-8")


def _has_quiet(optin: str) -> bool:
    return "--quiet" in subprocess.run([optin, "build", "--help"], check=True, capture_output=True, text=True).stdout


if __name__ == "__main__":
    main()
