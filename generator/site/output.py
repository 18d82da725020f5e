"""Putting a rebuild's output in place when it reused campaigns (site/cache.py): their folders
stay where they are, everything else the staging folder holds replaces what the output had."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def commit(staged: Path, out_dir: Path, kept: list[str]) -> None:
    """Make `out_dir` what a clean build would write: the `kept` folders (relative, one or two
    levels deep: `<id>`, `assets/<id>`) stay, everything else is replaced by `staged`'s files.
    Entry by entry, each a rename; an error on the way puts back what was moved."""
    trash = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-old-", dir=out_dir.parent))
    kept_set, moves = set(kept), []  # (from, to), done in order; undone in reverse

    def move(src: Path, dst: Path) -> None:
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.rename(src, dst)
        moves.append((src, dst))

    try:
        nested = {k.split("/", 1)[0] for k in kept_set if "/" in k}  # folders holding kept folders
        for entry in sorted(os.listdir(out_dir)):
            if entry in kept_set:
                continue
            if entry in nested and (out_dir / entry).is_dir():
                for sub in sorted(os.listdir(out_dir / entry)):
                    if f"{entry}/{sub}" not in kept_set:
                        move(out_dir / entry / sub, trash / entry / sub)
            else:
                move(out_dir / entry, trash / entry)
        for entry in sorted(os.listdir(staged)):
            if entry in nested and (staged / entry).is_dir() and (out_dir / entry).is_dir():
                for sub in sorted(os.listdir(staged / entry)):
                    move(staged / entry / sub, out_dir / entry / sub)
            else:
                move(staged / entry, out_dir / entry)
    except BaseException:
        for src, dst in reversed(moves):
            os.rename(dst, src)
        raise
    finally:
        shutil.rmtree(trash, ignore_errors=True)
