"""Work per file in worker processes, each file bounded in memory and time.

Every returned file is read (and every feedback workbook written) in a worker process
(spawn) under a memory limit (RLIMIT_AS above what the worker holds after start-up, where
the system has one) and a time limit the parent keeps. A file that kills its worker or
outlasts its time becomes that file's Failed result (intake turns it into finding F016)
and the other files go on in a fresh worker. Workers exit when the parent dies, kill -9
included. What libraries print in a worker (a Rust panic message from calamine, openpyxl's
warnings) goes to the worker's log, which reaches the `baocao` logger at DEBUG level
(the log file with --debug), never the terminal.

Results come back in input order, as a stream: the caller records one file while the
workers read the next ones.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from multiprocessing import connection, get_context, parent_process
from pathlib import Path

from generator import findings as F
from generator.errors import BaocaoError
from generator.excel import system_temp_prefix
from generator.intake.read import read_form
from generator.model import Packed
from generator.text import fmt_int, fmt_num

try:
    import resource
except ImportError:  # pragma: no cover - Windows: the time limit still holds
    resource = None

DEFAULT_WORKERS = 2
MEMORY_MB = 1536  # per file, above what a worker holds after start-up (about 200 MB)
SECONDS = 60  # per file; a form reads in milliseconds
IN_FLIGHT = 2  # files queued per worker, so it starts the next while the parent records
START_ATTEMPTS = 3
log = logging.getLogger("baocao.workers")


@dataclass(frozen=True)
class Limits:
    memory_mb: int = MEMORY_MB
    seconds: float = SECONDS


def limits(workspace) -> Limits:
    """The limits from [intake] memory_mb and seconds_per_file of baocao.toml."""
    section = workspace.section("intake")
    try:
        return Limits(int(section.get("memory_mb", MEMORY_MB)),
                      float(section.get("seconds_per_file", SECONDS)))
    except (TypeError, ValueError):
        return Limits()


@dataclass(frozen=True)
class Failed:
    """A task whose worker died or ran out of time: why (in words for F016), and what
    the worker printed last (for the log)."""

    reason: str
    detail: str = ""

    def finding(self, file_name: str) -> F.Finding:
        return F.finding("F016", file_name, reason=self.reason)


# --------------------------------------------------------------------------- reading

_WORKER: dict = {}  # the plan travels once per worker process, not once per file


def _init_reader(plan, period, key, limit_bytes) -> None:
    _WORKER.update(plan=plan, period=period, key=key, limit_bytes=limit_bytes)


def _read_in_worker(path: str):
    return read_form(path, _WORKER["plan"], _WORKER["period"], _WORKER["key"],
                     _WORKER["limit_bytes"])


def _read_packed_in_worker(path: str):
    submission, found = _read_in_worker(path)
    return (Packed(submission) if submission is not None else None), found


def read_many(paths, plan, period, key: bytes, workers=None, limit_bytes=None, limits=None):
    """Read many files; results in input order as (path, submission, findings)."""
    return list(iter_many(paths, plan, period, key, workers, limit_bytes, limits))


def iter_many(paths, plan, period, key: bytes, workers=None, limit_bytes=None, limits=None,
              pool: WorkerPool | None = None, packed: bool = False):
    """read_many as a stream, in input order. A file whose reading killed its worker or
    ran out of time comes back rejected with finding F016. pool: the run's workers, if
    the caller keeps them for more work (collect's feedback). packed: submissions come
    as model.Packed, ready for the ledger (for a caller that only records them)."""
    paths = [Path(p) for p in paths]
    func = _read_packed_in_worker if packed else _read_in_worker
    results = run_each(func, [str(p) for p in paths], workers, limits,
                       setup=_init_reader, setup_args=(plan, period, key, limit_bytes),
                       pool=pool)
    for index, outcome in results:
        if isinstance(outcome, Failed):
            yield paths[index], None, [outcome.finding(paths[index].name)]
        else:
            yield (paths[index], *outcome)


# --------------------------------------------------------------------------- the pool

def run_each(func, items, workers=None, limits=None, setup=None, setup_args=(),
             in_flight: int = IN_FLIGHT, pool: WorkerPool | None = None):
    """Call func(item) for every item in worker processes; yield (index, result) in input
    order, result being func's return value or a Failed. func and setup must be
    module-level functions (they travel by name). in_flight=1 for large items: a task is
    then sent only to an idle worker, so sending never waits on a busy one. Without a
    pool, one is made for these items alone."""
    items = list(items)
    if not items:
        return
    limits = limits or Limits()
    if pool is not None:
        yield from pool.run(func, items, limits.seconds, (setup, setup_args), in_flight)
        return
    with WorkerPool(workers, limits.memory_mb) as own:
        yield from own.run(func, items, limits.seconds, (setup, setup_args), in_flight)


class WorkerPool:
    """Worker processes kept for a whole run (reading, then feedback), so each starts
    once: starting one costs a second or more on a busy machine. The memory limit is
    set when a worker starts; the time limit comes with each run()."""

    def __init__(self, workers=None, memory_mb: int = MEMORY_MB):
        self.size = max(1, DEFAULT_WORKERS if workers is None else workers)
        self.memory_mb = memory_mb
        self.ctx = get_context("spawn")  # not fork: forking a threaded process can deadlock
        self.logs = Path(tempfile.mkdtemp(prefix=system_temp_prefix("log")))
        self.workers: list[_Worker] = []
        self.started = self.failed_starts = self.batches = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def run(self, func, items, seconds: float, setup=(None, ()), in_flight: int = IN_FLIGHT):
        self.batches += 1
        while len(self.workers) < min(self.size, len(items)):
            self.workers.append(self.start())
        yield from _Batch(self, self.batches, func, items, seconds, setup, in_flight).results()

    def start(self) -> _Worker:
        self.started += 1
        return _Worker(self.ctx, self.logs / f"worker-{self.started}.log", self.memory_mb)

    def replace(self, worker: _Worker, kill: bool) -> None:
        if not worker.ready:
            self.failed_starts += 1
            if self.failed_starts >= START_ATTEMPTS:
                raise BaocaoError(f"Không khởi động được tiến trình đọc tệp: "
                                  f"{worker.last_words()[-300:] or worker.process.exitcode}")
        worker.stop(kill=kill)
        self.workers[self.workers.index(worker)] = self.start()

    def close(self) -> None:
        for worker in self.workers:  # all told first, so they wind down together
            worker.tell_stop()
        for worker in self.workers:
            worker.stop()
        self.workers = []
        shutil.rmtree(self.logs, ignore_errors=True)


class _Worker:
    def __init__(self, ctx, log_path: Path, memory_mb: int):
        self.log = log_path
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, daemon=True,
                                   args=(child, memory_mb, str(log_path), os.getpid()))
        self.process.start()
        child.close()
        self.ready = False
        self.batch = 0  # the run whose function and setup it holds
        self.tasks: deque[int] = deque()  # sent, not yet answered; the head is running
        self.since = 0.0  # when the head task started

    def send(self, index: int, item) -> None:
        if not self.tasks:
            self.since = time.monotonic()
        self.tasks.append(index)
        self.conn.send(("task", index, item))

    def last_words(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-2000:]
        except OSError:
            return ""

    def tell_stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)

    def stop(self, kill: bool = False) -> None:
        if kill and self.process.is_alive():
            self.process.kill()
        else:
            self.tell_stop()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()
        text = self.last_words().strip()
        if text:
            log.debug("tiến trình đọc %s:\n%s", self.process.pid, text)


class _Batch:
    """One run() over the pool's workers: its tasks, their results, their deadlines."""

    def __init__(self, pool: WorkerPool, number: int, func, items, seconds: float, setup,
                 in_flight: int):
        self.pool, self.number, self.func, self.items = pool, number, func, items
        self.seconds, self.setup, self.in_flight = seconds, setup, max(1, in_flight)
        self.pending = deque(range(len(items)))
        self.done: dict[int, object] = {}

    def results(self):
        upcoming = 0
        while upcoming < len(self.items):
            self._dispatch()
            self._wait()
            while upcoming in self.done:
                yield upcoming, self.done.pop(upcoming)
                upcoming += 1

    def _dispatch(self) -> None:
        for worker in self.pool.workers:
            if worker.ready and self.pending and worker.batch != self.number:
                worker.conn.send(("batch", self.func, self.setup))
                worker.batch = self.number
            while worker.ready and self.pending and len(worker.tasks) < self.in_flight:
                index = self.pending.popleft()
                worker.send(index, self.items[index])

    def _wait(self) -> None:
        workers = self.pool.workers
        deadlines = [w.since + self.seconds for w in workers if w.tasks]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        connection.wait([w.conn for w in workers] + [w.process.sentinel for w in workers],
                        timeout)
        for worker in list(workers):
            self._drain(worker)
            if not worker.process.is_alive() or worker.conn.closed:
                self._fail(worker, self._death(worker))
            elif worker.tasks and time.monotonic() - worker.since > self.seconds:
                self._fail(worker, Failed(f"quá thời gian {fmt_num(self.seconds)} giây dành "
                                          "cho một tệp"), kill=True)

    def _drain(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                message = worker.conn.recv()
                if message == "ready":
                    worker.ready, self.pool.failed_starts = True, 0
                    continue
                index, result = message
                self.done[index] = result
                worker.tasks.popleft()
                worker.since = time.monotonic()
        except (EOFError, OSError):
            worker.conn.close()

    def _death(self, worker: _Worker) -> Failed:
        words = worker.last_words()
        code = worker.process.exitcode
        if "memory allocation" in words or "MemoryError" in words or code == -signal.SIGABRT:
            return Failed(f"vượt giới hạn bộ nhớ {fmt_int(self.pool.memory_mb)} MB dành "
                          "cho một tệp", words)
        return Failed(f"tiến trình đọc dừng bất thường (mã {code})", words)

    def _fail(self, worker: _Worker, failure: Failed, kill: bool = False) -> None:
        """The worker's running task fails; its queued ones go back to the front; a fresh
        worker takes its place."""
        if worker.tasks:
            self.done[worker.tasks.popleft()] = failure
            self.pending.extendleft(reversed(worker.tasks))
            worker.tasks.clear()
        self.pool.replace(worker, kill)


# --------------------------------------------------------------------------- the worker

def _serve(conn, memory_mb: int, log_path: str, parent: int) -> None:
    """A worker's life: quiet its output, follow its parent, then take messages until
    told to stop (None) or the parent is gone: ("batch", func, setup) sets the function
    (and calls setup), ("task", index, item) calls it under the memory limit."""
    # Numerical libraries that openpyxl pulls in reserve memory per thread; none is needed.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    _quiet(log_path)
    _follow_parent(parent)
    conn.send("ready")
    func = None
    while True:
        try:
            message = conn.recv()  # unbounded: unpickling imports the function's module
        except (EOFError, OSError):
            _leave()
        if message is None:
            _leave()
        if message[0] == "batch":
            func, (setup, args) = message[1], message[2]
            if setup is not None:
                setup(*args)
            continue
        _kind, index, item = message
        with _memory_limit(memory_mb):
            result = _call(func, item, memory_mb)
        conn.send((index, result))


def _leave() -> None:
    """Exit at once: the interpreter's orderly shutdown (freeing every cached text and
    plan object) costs a worker most of a second, and the parent waits for it."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def _call(func, item, memory_mb: int):
    try:
        return func(item)
    except MemoryError:
        return Failed(f"vượt giới hạn bộ nhớ {fmt_int(memory_mb)} MB dành cho một tệp")
    except Exception:  # noqa: BLE001 - one file's failure is that file's result
        return Failed("lỗi khi xử lý tệp", traceback.format_exc())


def _quiet(log_path: str) -> None:
    """Both output streams to the worker's log: a library writing to stdout would spoil
    --json, one writing to stderr (a Rust panic) would reach the terminal."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    for stream in (1, 2):
        os.dup2(fd, stream)
    os.close(fd)
    logging.captureWarnings(True)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)


def _follow_parent(parent: int) -> None:
    """Exit when the parent dies: the kernel's parent-death signal on Linux (works even
    while a library holds the GIL), and a thread watching the parent elsewhere."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)
    watched = parent_process()
    if watched is not None:
        threading.Thread(target=lambda: (watched.join(), os._exit(1)), daemon=True).start()


@contextlib.contextmanager
def _memory_limit(memory_mb: int):
    """RLIMIT_AS for one task: what the worker holds when it starts plus the per-file
    budget; an allocation past it fails (MemoryError in Python, an abort in calamine's
    Rust) and that is the file's result. Lifted again after the task (only the soft
    limit is set, so the worker may raise it back)."""
    if resource is None or not memory_mb:
        yield
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _held() + memory_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def _held() -> int:
    """The worker's address space now, in bytes."""
    try:
        with open("/proc/self/statm") as stream:
            return int(stream.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 512 * 1024 * 1024
