"""Time the officer's status page (`baocao serve`) for the default plan, 181 units, with a
collected period (target: under 300 ms).

    python bench/bench_serve.py [--dir DEMO_WORKSPACE] [--repeat 30]

Without --dir the demo cycle runs first into a temporary folder (181 forms, simulated
returns, collect: a minute or two); with --dir, a copy of that demo workspace is used. The page is served by the real server (werkzeug, in a
thread, 127.0.0.1) and fetched over HTTP; printed: the first request of a fresh server
(the plan read, the period's submissions decoded), the first after the ledger changed
(submissions decoded again), and the median and slowest of the warm ones.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.demo.run import run_demo  # noqa: E402
from generator.ledger.store import Ledger  # noqa: E402
from generator.plan.periods import parse_period  # noqa: E402
from generator.web.app import make  # noqa: E402
from generator.workspace import find_workspace  # noqa: E402

TARGET_MS = 300
PERIOD = parse_period("2022-Q3")


def get_ms(url: str) -> tuple[float, int]:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        body = response.read()
        assert response.status == 200
    return (time.perf_counter() - start) * 1000, len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="a demo workspace (baocao demo DIR)")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    holder = tempfile.TemporaryDirectory(prefix="baocao-bench-serve-")
    root = Path(holder.name) / "demo"
    if args.dir is not None:  # a copy: the bench writes to the ledger
        shutil.copytree(args.dir, root, symlinks=True)
    else:
        start = time.perf_counter()
        run_demo(root, PERIOD)
        print(f"Demo cycle (181 units, collected): {time.perf_counter() - start:.1f} s")
    server = make(root, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.port}/ky/{PERIOD.id}/nop"
    try:
        cold, size = get_ms(url)
        changed = [changed_ms(root, url) for _ in range(5)]
        warm = [get_ms(url)[0] for _ in range(args.repeat)]
    finally:
        server.shutdown()
        server.server_close()
        holder.cleanup()
    median, after = statistics.median(warm), statistics.median(changed)
    print(f"Status page {PERIOD.id}, 181 units ({size / 1024:.0f} KB of HTML):")
    print(f"  first request of a new server: {cold:.0f} ms")
    print(f"  first request after the ledger changed (5 times): median {after:.0f} ms, "
          f"slowest {max(changed):.0f} ms")
    print(f"  warm ({args.repeat} requests): median {median:.0f} ms, slowest {max(warm):.0f} ms")
    verdict = "met" if max(after, median) < TARGET_MS else "NOT met"
    print(f"Target < {TARGET_MS} ms (medians, after a change and warm): {verdict}.")


def changed_ms(root: Path, url: str) -> float:
    """The first request after a command wrote to the ledger (the page reads it again)."""
    with Ledger(find_workspace(explicit=root)) as ledger:
        ledger.record_mail(f"bench/{time.time_ns()}", PERIOD.id, "bench")
    return get_ms(url)[0]


if __name__ == "__main__":
    main()
