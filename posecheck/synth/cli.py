"""``posecheck synth``: render the sample clips or the full synthetic suite."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import time
from pathlib import Path

from posecheck.synth.clips import (
    EXERCISES,
    PART_SUFFIX,
    SAMPLES,
    VIEWS,
    ClipSpec,
    render_clip,
    suite_specs,
)


def default_suite_dir() -> Path:
    from posecheck.pose import cache_dir

    return cache_dir() / "synth_suite"


def _render(args: tuple[ClipSpec, str]) -> tuple[str, float, float]:
    spec, out = args
    start = time.perf_counter()
    gt = render_clip(spec, out)
    return spec.stem, gt["usable"][0][1], time.perf_counter() - start


def _worker_start() -> None:
    """Workers leave stopping to the main process, which ends them and tidies up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def render_all(specs: list[ClipSpec], out: Path, jobs: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    total_video = total_time = 0.0
    started = time.perf_counter()
    work = [(s, str(out)) for s in specs]
    if jobs > 1:
        pool = multiprocessing.Pool(jobs, initializer=_worker_start)
        try:
            for i, (stem, dur, took) in enumerate(pool.imap(_render, work)):
                total_video += dur
                total_time += took
                print(
                    f"[{i + 1}/{len(specs)}] {stem}: {dur:.1f} s of video in {took:.1f} s",
                    flush=True,
                )
            pool.close()
        except BaseException:  # Ctrl-C or kill: the clips being rendered are dropped
            pool.terminate()
            raise
        finally:
            pool.join()
            for part in out.glob(f".*{PART_SUFFIX}"):  # of workers ended mid-clip
                part.unlink(missing_ok=True)
    else:
        for i, w in enumerate(work):
            stem, dur, took = _render(w)
            total_video += dur
            total_time += took
            print(
                f"[{i + 1}/{len(specs)}] {stem}: {dur:.1f} s of video in {took:.1f} s", flush=True
            )
    wall = time.perf_counter() - started
    print(
        f"{len(specs)} clips, {total_video:.0f} s of video, rendered at "
        f"{total_video / total_time:.2f}x real time per process, {wall:.0f} s wall; in {out}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="posecheck synth",
        description="Render the sample clips or the full synthetic suite, each with its truth.",
    )
    sub = parser.add_subparsers(dest="what", required=True, metavar="{samples,suite}")
    s = sub.add_parser("samples", help="the short sample clips (one per exercise) with truth")
    s.add_argument("--out", default="sample_videos")
    u = sub.add_parser("suite", help="every exercise x view x side x clean/faulty, and negatives")
    u.add_argument("--out", default=None, help="folder (default: the cache's synth_suite)")
    u.add_argument("--exercise", choices=EXERCISES)
    u.add_argument("--seed", type=int, default=0)
    u.add_argument(
        "--view",
        choices=VIEWS,
        help="film every exercise (or --exercise) from this view only, e.g. a view the "
        "suite leaves out (no negatives)",
    )
    for p in (s, u):
        p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args(argv)
    if args.what == "samples":
        render_all(SAMPLES, Path(args.out), args.jobs)
    else:
        out = Path(args.out) if args.out else default_suite_dir()
        render_all(suite_specs(args.exercise, args.seed, args.view), out, args.jobs)
    return 0
