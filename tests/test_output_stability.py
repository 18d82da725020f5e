"""What every build promises about its output, whatever the machine: the same bytes from the same
inputs in any process, and each page small enough for a slow phone connection."""
from __future__ import annotations

import gzip
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

from support import projects

# One round trip of TCP slow start (10 segments of ~1.4 KB): a page that fits arrives at once.
BUDGET = 14 * 1024
ASSET = re.compile(r'<(?:link|script)\b[^>]*?(?:href|src)="([^"]+\.(?:css|js))"')


def tree_digest(site: Path) -> dict[str, str]:
    return {str(p.relative_to(site)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()}


def build_in_process(project: Path, out: Path, seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run([sys.executable, "-m", "generator", "build", "--out", str(out)], cwd=project, env=env,
                   check=True, capture_output=True, timeout=300)


def test_separate_processes_with_different_hash_seeds_write_identical_bytes(tmp_path):
    """Set and dict orders change with PYTHONHASHSEED; nothing in the output may depend on them."""
    project = projects.example_project(tmp_path / "project").root
    build_in_process(project, tmp_path / "one", "1")
    build_in_process(project, tmp_path / "two", "2")
    one, two = tree_digest(tmp_path / "one"), tree_digest(tmp_path / "two")
    assert len(one) > 50
    assert one == two, sorted(k for k in one.keys() | two.keys() if one.get(k) != two.get(k))


def transfer_size(site: Path, page: Path) -> int:
    """Bytes on the wire for a first visit: the page and the CSS and JS it links, gzipped."""
    html = page.read_text(encoding="utf-8")
    size = len(gzip.compress(page.read_bytes(), 9))
    for ref in sorted(set(ASSET.findall(html))):
        target = site / ref.lstrip("/") if ref.startswith("/") else page.parent / ref
        assert target.is_file(), f"{page.relative_to(site)} links a missing asset {ref}"
        size += len(gzip.compress(target.read_bytes(), 9))
    return size


def test_every_page_fits_the_transfer_budget(example_site):
    sizes = {str(p.relative_to(example_site)): transfer_size(example_site, p) for p in example_site.rglob("*.html")}
    assert len(sizes) > 50
    # The measure must see the stylesheets: a signup page without them would be suspiciously small.
    assert min(sizes.values()) > 2 * 1024
    over = {page: size for page, size in sizes.items() if size > BUDGET}
    assert not over, f"pages over {BUDGET} bytes gzipped (HTML + CSS + JS): {over}"
