"""Running a build's campaigns on every core: worker processes forked from the build (they
share its loaded campaigns, compiled templates and caches), results taken back in campaign
order, so the output is the same as a serial build's."""
from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading

MIN_JOBS = 8  # below this, forking costs more than it saves
_job = None


def workers(jobs: int) -> int:
    """How many processes to use for `jobs` campaigns: 1 (serial) unless there are several
    cores, enough jobs, and no other thread (forking a threaded process, e.g. `optin serve`'s
    watcher, could copy a held lock)."""
    if jobs < MIN_JOBS or not sys.platform.startswith("linux") or threading.active_count() > 1:
        return 1
    cores = len(os.sched_getaffinity(0))
    return max(1, min(cores, jobs // (MIN_JOBS // 2)))


def _run(index: int):
    try:
        return index, _job(index), False
    except BaseException:  # the build process runs this job again, to raise it as it is
        return index, None, True


def ordered(job, count: int, processes: int):
    """Yield (index, result or None when the job failed) for indices 0..count-1, in order."""
    global _job
    _job = job
    gc.freeze()  # the workers' collections then leave the shared objects' pages alone (no copy-on-write)
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            for index, result, failed in pool.imap(_run, range(count), chunksize=max(1, count // (processes * 8))):
                yield index, None if failed else result
    finally:
        _job = None
        gc.unfreeze()
