"""Reading many returned files on both cores: a process pool (spawn) that reads while the
caller records, in input order; a broken pool falls back to reading in this process."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from generator.intake.read import read_form

PARALLEL_THRESHOLD = 8
DEFAULT_WORKERS = 2


# Worker state: the plan travels once per process, not once per file.
_WORKER: dict = {}


def _init_worker(plan, period, key, limit_bytes) -> None:
    _WORKER.update(plan=plan, period=period, key=key, limit_bytes=limit_bytes)


def _read_in_worker(path: str):
    submission, found = read_form(path, _WORKER["plan"], _WORKER["period"], _WORKER["key"],
                                  _WORKER["limit_bytes"])
    return submission, found


def read_many(paths, plan, period, key: bytes, workers=None, limit_bytes=None):
    """Read many files; results in input order as (path, submission, findings)."""
    return list(iter_many(paths, plan, period, key, workers, limit_bytes))


def iter_many(paths, plan, period, key: bytes, workers=None, limit_bytes=None):
    """read_many as a stream, in input order, so the caller records one file while the
    pool reads the next. More than PARALLEL_THRESHOLD files go to a process pool
    (2 workers by default)."""
    paths = [Path(p) for p in paths]
    workers = DEFAULT_WORKERS if workers is None else workers
    if len(paths) <= PARALLEL_THRESHOLD or workers <= 1:
        for p in paths:
            yield (p, *read_form(p, plan, period, key, limit_bytes))
        return
    chunk = max(1, min(64, len(paths) // (workers * 4)))
    done = 0
    try:
        # spawn, not fork: forking a process that runs threads (a progress bar, a thread
        # pool) can deadlock, and spawn is what Windows does anyway.
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                 initializer=_init_worker,
                                 initargs=(plan, period, key, limit_bytes)) as pool:
            results = pool.map(_read_in_worker, [str(p) for p in paths], chunksize=chunk)
            for p, (sub, found) in zip(paths, results, strict=True):
                yield p, sub, found
                done += 1
    except Exception:  # a broken pool (killed worker): read the rest in this process
        for p in paths[done:]:
            yield (p, *read_form(p, plan, period, key, limit_bytes))
