"""Live latency: play a 30 fps clip as a camera through the live loop, headless.

    python benchmarks/live_latency.py [CLIP] [--exercise bridge] [--minutes 1]

Prints processed fps, dropped frames, capture-to-display latency (median and 95th
percentile) and the process's memory (RSS) over the run. Goals on the 2-core machine with
the default model: >= 25 processed fps, p95 latency < 100 ms, memory flat over 10 minutes.
Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import threading
import time
from pathlib import Path

from posecheck.live import add_arguments, run_live

ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("clip", nargs="?", default=str(ROOT / "sample_videos" / "bridge.mp4"))
    parser.add_argument("--exercise", default="bridge")
    parser.add_argument("--minutes", type=float, default=1.0)
    opts = parser.parse_args()
    samples: list[tuple[float, float]] = []
    stop = threading.Event()
    start = time.monotonic()

    def watch() -> None:
        while not stop.wait(5.0):
            samples.append((time.monotonic() - start, rss_mb()))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    with tempfile.TemporaryDirectory() as tmp:
        live = argparse.ArgumentParser()
        add_arguments(live)
        report_path = Path(tmp) / "live.json"
        args = live.parse_args(
            [
                "--exercise",
                opts.exercise,
                "--camera",
                opts.clip,
                "--loop",
                "--headless",
                "--mute",
                "--max-seconds",
                str(opts.minutes * 60),
                "--report",
                str(report_path),
            ]
        )
        run_live(args)
        stop.set()
        stats = json.loads(report_path.read_text())["live_stats"]
    print(f"clip {opts.clip} played as a camera for {opts.minutes:g} min")
    print(
        f"processed {stats['processed_fps']} fps; delivered {stats['frames_delivered']}, "
        f"processed {stats['frames_processed']}, dropped {stats['frames_dropped']} "
        f"({100 * stats['frames_dropped'] / max(1, stats['frames_delivered']):.1f}%)"
    )
    print(
        f"capture-to-display latency: median {stats['latency_ms_p50']} ms, "
        f"95th percentile {stats['latency_ms_p95']} ms"
    )
    if samples:
        first, last = samples[0][1], samples[-1][1]
        print(
            f"memory (RSS): {first:.0f} MB at {samples[0][0]:.0f} s -> {last:.0f} MB at "
            f"{samples[-1][0]:.0f} s ({last - first:+.0f} MB); max {max(m for _, m in samples):.0f} MB"
        )


if __name__ == "__main__":
    main()
