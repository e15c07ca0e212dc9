"""What every bench step shares: timing samples, reading them, printing one JSON line a figure."""

import http.client
import json
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any


def summary(samples_ms: list[float], elapsed_s: float) -> dict[str, float]:
    """Requests per second over the whole timed run, and the median and 95th percentile."""
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "rps": round(len(ordered) / elapsed_s, 1),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(p95, 2),
    }


def time_calls(call: Callable[[], object], count: int, warmup: int = 3) -> dict[str, float]:
    """Call `count` times one after another (after a warm-up); the summary of the calls."""
    for _ in range(warmup):
        call()
    samples = []
    start = time.perf_counter()
    for _ in range(count):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return summary(samples, time.perf_counter() - start)


def time_interleaved(
    calls: dict[str, tuple[Callable[[], object], int]], *, rounds: int, warmup: int = 3
) -> dict[str, dict[str, float]]:
    """Each call in turn, `rounds` times over, its given number of times a round.

    Measured side by side, a figure and its baseline see the same machine:
    a burst of work from elsewhere slows both rather than one of them.
    """
    for call, _count in calls.values():
        for _ in range(warmup):
            call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, (call, count) in calls.items():
            for _ in range(count):
                began = time.perf_counter()
                call()
                samples[name].append((time.perf_counter() - began) * 1000)
    return {name: summary(taken, sum(taken) / 1000) for name, taken in samples.items()}


def load(
    port: int, paths: dict[str, str], *, rounds: int, requests: int, seconds: float
) -> dict[str, dict[str, float]]:
    """Each of `paths` in turn, `rounds` times over, each turn a fixed share of the load.

    Interleaved, so a page and its baseline see the same machine even when
    something else starts or stops on it halfway through.
    """
    samples: dict[str, list[float]] = {name: [] for name in paths}
    elapsed = dict.fromkeys(paths, 0.0)
    for path in paths.values():
        load_one(port, path, requests=20, concurrency=CONCURRENCY, seconds=seconds)  # warm-up
    for _ in range(rounds):
        for name, path in paths.items():
            got, took = load_one(
                port,
                path,
                requests=requests // rounds,
                concurrency=CONCURRENCY,
                seconds=seconds / rounds,
            )
            samples[name] += got
            elapsed[name] += took
    return {name: summary(samples[name], elapsed[name]) for name in paths}


# As many clients as gunicorn workers: the server is kept busy without
# requests queueing behind one another, so the latency is the page's own.
CONCURRENCY = 2


def load_one(
    port: int, path: str, *, requests: int, concurrency: int, seconds: float
) -> tuple[list[float], float]:
    """GET http://127.0.0.1:port/path from `concurrency` threads, each its own connection.

    Stops after `requests` answers or `seconds`, whichever comes first; any
    answer but 200 stops the bench. The latencies (ms) and the time taken (s).
    """

    def get() -> float:
        began = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", path, headers={"Accept-Language": "en"})
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}")
        return (time.perf_counter() - began) * 1000

    samples: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            while time.perf_counter() < deadline:
                with lock:
                    if len(samples) >= requests:
                        return
                    samples.append(0.0)
                    slot = len(samples) - 1
                samples[slot] = get()
        except BaseException as error:  # reported below, in the main thread
            failures.append(error)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise SystemExit(f"GET {path}: {failures[0]}")
    return samples, elapsed


def emit(figure: str, measured: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Print one figure as a JSON line on stdout (flushed: the runner reads it as it comes)."""
    line = {"figure": figure, **measured, **fields}
    print(json.dumps(line), flush=True)
    return line


def ratio(value: float, baseline: float) -> float:
    return round(value / baseline, 3) if baseline else 0.0
