"""Peak memory of a piece of work, as the kernel sees it (Linux /proc): the resident set
(VmHWM, which counts the pages of a memory-mapped input file that were read) and, sampled
every 20 ms by a thread, the anonymous resident memory (RssAnon: what the work allocated)."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

MB = 1024 ** 2


def _status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, val = line.partition(":")
            if val.strip().endswith("kB"):
                out[key] = int(val.split()[0]) * 1024
    return out


def reset_hwm() -> None:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


@contextmanager
def watch(period: float = 0.02):
    """``with watch() as w: ...`` then ``w["peak_rss_mb"]``, ``w["peak_anon_mb"]``,
    ``w["base_anon_mb"]``, ``w["seconds"]`` (wall) and ``w["cpu_seconds"]`` (CPU time of
    this process, all its threads: on a shared machine, the work without the waits)."""
    res: dict[str, float] = {}
    reset_hwm()
    base = _status()
    peak = [base.get("RssAnon", 0)]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _status().get("RssAnon", 0))
            stop.wait(period)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        yield res
    finally:
        res["seconds"] = time.perf_counter() - t0
        res["cpu_seconds"] = time.process_time() - c0
        stop.set()
        th.join()
        st = _status()
        peak[0] = max(peak[0], st.get("RssAnon", 0))
        res["peak_rss_mb"] = st.get("VmHWM", 0) / MB
        res["peak_anon_mb"] = peak[0] / MB
        res["base_anon_mb"] = base.get("RssAnon", 0) / MB
        res["base_rss_mb"] = base.get("VmRSS", 0) / MB
