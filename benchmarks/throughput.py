"""Throughput: bare MediaPipe inference vs. the full ``analyze`` pipeline, on the same frames.

    python benchmarks/throughput.py [VIDEO] [--exercise bridge] [--model PATH]

Prints frames per second for (1) bare inference on frames decoded beforehand (and
without the estimator's turned-frame probes, to show what they cost), (2) ``analyze``
without writing video (then also with the opening read again backwards, as ``analyze``
does by default, to show what that costs), (3) ``analyze`` writing the annotated video,
and the ratio of each to bare inference (these two without the look-back, whose cost is
the length of the opening, not of the video). Goal: the pipeline adds at most 10% over inference.
Figures, not pass/fail: this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from posecheck.analyze import analyze_video
from posecheck.pose import PoseEstimator, PoseOptions
from posecheck.smoothing import LOOK_BACK
from posecheck.source import VideoFileSource

ROOT = Path(__file__).resolve().parent.parent


def bare_fps(video: Path, model: str | None, probe: bool = True) -> tuple[float, int]:
    frames = list(VideoFileSource(video))
    options = PoseOptions() if probe else PoseOptions(probe_every_s=0)
    with PoseEstimator(model, options) as estimator:
        estimator.detect(frames[0].image, 0.0)  # warm-up outside the timing
        start = time.perf_counter()
        for f in frames:
            estimator.detect(f.image, f.timestamp_s + 0.001)
        elapsed = time.perf_counter() - start
    return len(frames) / elapsed, len(frames)


def pipeline_fps(
    video: Path, exercise: str, model: str | None, write_video: bool, look_back: bool = False
) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "annotated.mp4" if write_video else None
        with PoseEstimator(model) as estimator:
            estimator.detect(next(iter(VideoFileSource(video))).image, 0.0)
            start = time.perf_counter()
            report = analyze_video(
                video,
                exercise,
                out_video=out,
                estimator=estimator,
                lookback=LOOK_BACK if look_back else None,
            )
            elapsed = time.perf_counter() - start
    return report["frames_seen"] / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("video", nargs="?", default=str(ROOT / "sample_videos" / "bridge.mp4"))
    parser.add_argument("--exercise", default="bridge")
    parser.add_argument("--model", default=None)
    parser.add_argument("--rounds", type=int, default=3, help="best of N rounds (noise)")
    args = parser.parse_args()
    video = Path(args.video)
    src = VideoFileSource(video)
    print(
        f"video: {video} ({src.size[0]}x{src.size[1]}, {src.frame_count} frames, {src.fps:.1f} fps)"
    )
    # Rounds interleave the runs so that the machine's drift hits them alike.
    bare = unprobed = no_video = with_video = look_back = 0.0
    for _ in range(args.rounds):
        bare = max(bare, bare_fps(video, args.model)[0])
        unprobed = max(unprobed, bare_fps(video, args.model, probe=False)[0])
        no_video = max(no_video, pipeline_fps(video, args.exercise, args.model, False))
        with_video = max(with_video, pipeline_fps(video, args.exercise, args.model, True))
        look_back = max(
            look_back, pipeline_fps(video, args.exercise, args.model, False, look_back=True)
        )
    print(f"bare inference           {bare:7.1f} fps  ({1000 / bare:5.1f} ms/frame)")
    print(
        f"  without turn probes    {unprobed:7.1f} fps  ({1000 / unprobed:5.1f} ms/frame: "
        f"probes add {100 * (unprobed / bare - 1):+5.1f}% time)"
    )
    print(
        f"analyze, no video out    {no_video:7.1f} fps  ratio {no_video / bare:5.2f}  "
        f"(pipeline adds {100 * (bare / no_video - 1):+5.1f}% time)"
    )
    print(
        f"analyze, annotated video {with_video:7.1f} fps  ratio {with_video / bare:5.2f}  "
        f"(pipeline adds {100 * (bare / with_video - 1):+5.1f}% time)"
    )
    print(
        f"  with the look-back     {look_back:7.1f} fps  (reading the first "
        f"{LOOK_BACK.seconds:g} s again adds {100 * (no_video / look_back - 1):+5.1f}% time "
        f"on this {src.frame_count / src.fps:.0f} s clip)"
    )
    # The pipeline's own work, without inference (poses computed once beforehand): a
    # steadier figure than the ratios on a shared machine.
    with PoseEstimator(args.model) as estimator:
        poses = [estimator.detect(f.image, f.timestamp_s) for f in VideoFileSource(video)]
    for label, write in (("no video out", False), ("annotated video", True)):
        best = float("inf")
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "annotated.mp4" if write else None
                start = time.perf_counter()
                analyze_video(video, args.exercise, out_video=out, poses=poses)
                best = min(best, (time.perf_counter() - start) / len(poses))
        print(
            f"pipeline work without inference, {label:15s} {1000 * best:5.2f} ms/frame "
            f"({100 * best * bare:4.1f}% of inference time)"
        )


if __name__ == "__main__":
    main()
