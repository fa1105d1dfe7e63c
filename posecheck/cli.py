"""The command line: a thin shell over the pipeline.

Every expected failure (missing file, bad video, unknown exercise, malformed spec, bad
model) becomes one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import textwrap
from pathlib import Path

from posecheck import __version__

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # as a shell reports a command ended by SIGPIPE


def _output_stem(video: str, exercise_id: str) -> str:
    """The video's name, with the exercise added unless the name says it already: one
    recording analysed as two exercises gives two reports, not one overwritten."""
    from posecheck.spec import normalize_id

    stem = Path(video).stem
    return stem if exercise_id in normalize_id(stem) else f"{stem}_{exercise_id}"


def clock_time(text: str, option: str = "time") -> float:
    """A time in a video as a person writes it: 95, 95.5, 1:35 or 1:02:05 (seconds).

    Raises:
        ValueError: not such a time (the message names ``option``).
    """
    parts = text.strip().split(":")
    try:
        if len(parts) > 3 or any(not p.strip() for p in parts):
            raise ValueError
        values = [float(p) for p in parts]
        if not all(math.isfinite(v) for v in values):
            raise ValueError
    except ValueError:
        raise ValueError(
            f"{option} {text!r} is not a time: write seconds (95), minutes:seconds (1:35) or "
            "hours:minutes:seconds (1:02:05)"
        ) from None
    if any(v < 0 for v in values):
        raise ValueError(f"{option} {text!r}: a time in the video is not negative")
    if any(v >= 60 for v in values[1:]):
        raise ValueError(f"{option} {text!r}: after a colon, minutes and seconds run to 59")
    total = 0.0
    for v in values:
        total = total * 60 + v
    return total


def cmd_analyze(args: argparse.Namespace) -> int:
    from posecheck.report import SAFETY, VIDEO_SUFFIXES, beside, output_path, taken_as_folder
    from posecheck.source import quarter_turn
    from posecheck.spec import load_spec

    spec = load_spec(args.exercise)  # fail on a bad id or output before opening anything
    args.start = None if args.start is None else clock_time(args.start, "--from")
    args.end = None if args.end is None else clock_time(args.end, "--to")
    args.rotate = quarter_turn(args.rotate)
    if args.end is not None and args.end <= (args.start or 0.0):
        since = f"--from {args.start:g} s" if args.start is not None else "the start (0 s)"
        raise ValueError(f"--to {args.end:g} s must come after {since}")
    several = len(args.video) > 1
    for option, given, suffixes in (
        ("--out", args.out, VIDEO_SUFFIXES),
        ("--report", args.report, ()),
    ):
        if several and given and not taken_as_folder(given, suffixes):
            raise ValueError(
                f"{option} {given}: with several videos, give a folder (a name without a "
                "file type, or ending in /)"
            )
    plans = []  # every output is checked before the first video is read
    for video in args.video:
        stem = _output_stem(video, spec.id)
        out = None
        if not args.no_video:
            out = output_path(
                args.out,
                f"{stem}_annotated.mp4",
                option="--out",
                suffixes=VIDEO_SUFFIXES,
                not_over=args.video,  # nor another video of the list, read after it
            )
        report = output_path(
            args.report or beside(out, args.out),
            f"{stem}_report.json",
            option="--report",
            not_over=args.video,
        )
        plans.append((video, out, report))
    written = [p.absolute() for _, out, report in plans for p in (out, report) if p]
    clash = next((p for p in written if written.count(p) > 1), None)
    if clash is not None:
        raise ValueError(f"two videos would both write {clash}: give them different names")
    if args.model and not Path(args.model).is_file():
        raise FileNotFoundError(f"model file not found: {args.model}")  # once, not per video
    worst = 0
    for i, (video, out, report) in enumerate(plans):
        try:
            code = _analyze_one(args, spec, video, out, report, first=i == 0)
        except (ValueError, FileNotFoundError, IsADirectoryError, PermissionError) as err:
            if not several:
                raise
            print(f"posecheck: error: {err}", file=sys.stderr)  # the others go on
            code = EXIT_USAGE
        if code == EXIT_INTERRUPTED:
            left = len(plans) - i - 1
            if left:
                print(f"posecheck: {left} more video(s) not analysed", file=sys.stderr)
            return code
        worst = max(worst, code)
    print(f"  {SAFETY}")
    return worst


def _analyze_one(
    args: argparse.Namespace, spec, video: str, out, report_path, first: bool = True
) -> int:
    from posecheck.analyze import analyze_video, print_progress
    from posecheck.report import SAFETY, format_summary, write_report

    report = analyze_video(
        video,
        spec,
        out_video=out,
        model=args.model,
        progress=None if args.quiet else print_progress,
        start_s=args.start,
        end_s=args.end,
        rotate=args.rotate,
    )
    if not args.quiet and sys.stderr is not None and sys.stderr.isatty():
        sys.stderr.write("\n")  # after the progress line
    write_report(report, report_path)
    if not first:
        print()  # a line between the videos' summaries
    print(format_summary(report))
    print(f"  Report: {report_path}" + (f"   Annotated video: {out}" if out else ""))
    if report["partial"]:
        print(f"  {SAFETY}")
        print(
            "posecheck: interrupted; the report covers the video up to that point", file=sys.stderr
        )
        return EXIT_INTERRUPTED
    if report["truncated"]:
        print(
            f"posecheck: error: {video} ended before its declared length (truncated file?)",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_exercises(args: argparse.Namespace) -> int:
    from posecheck.spec import list_specs

    for spec in list_specs():
        kind = "holds" if spec.count_kind == "hold" else "reps"
        sides = ", each side" if spec.has_sides else ""
        print(f"{spec.id:<18} {spec.name:<20} {kind}{sides}")
        lines = [f"target: {spec.targets.text}"] if spec.targets.text else []
        lines.append(f"camera: {spec.view_note or spec.view + ' view'}")
        for text in lines:
            for line in textwrap.wrap(text, width=70, subsequent_indent="        "):
                print(f"{'':<18} {line}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from posecheck.evaluate import cross_folder, evaluate_folder, format_cross, format_table

    def progress(i: int, n: int, name: str) -> None:
        print(f"[{i + 1}/{n}] {name}", file=sys.stderr, flush=True)

    if args.cross:
        if args.check:
            raise ValueError("--check sets no target for --cross: run them one at a time")
        results = cross_folder(
            args.folder,
            use_cache=not args.no_cache,
            verbose=args.verbose,
            progress=None if args.quiet else progress,
            exercise=args.exercise,
        )
        print(format_cross(results))
        return 0
    scores = evaluate_folder(
        args.folder,
        exercise=args.exercise,
        use_cache=not args.no_cache,
        verbose=args.verbose,
        progress=None if args.quiet else progress,
    )
    print(format_table(scores))
    if args.check:
        from posecheck.evaluate import FOOTAGE_TARGETS, SYNTHETIC_TARGETS, check

        targets = FOOTAGE_TARGETS if args.check == "footage" else SYNTHETIC_TARGETS
        failures = check(scores, targets)
        for line in failures:
            print(f"below target: {line}")
        if failures:
            return 1
        print(f"all {args.check} targets met")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from posecheck.synth.cli import main as synth_main

    return synth_main(args.synth_args)


def cmd_live(args: argparse.Namespace) -> int:
    from posecheck.live import main as live_main

    return live_main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posecheck",
        description="Checks your form in back-pain stretches and counts reps and holds.",
    )
    parser.add_argument("--version", action="version", version=f"posecheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser("analyze", help="analyse a recorded video")
    a.add_argument("video", nargs="+", help="the video file (or several: one report each)")
    a.add_argument(
        "--exercise",
        "-e",
        required=True,
        help="the exercise: its id or name (see 'posecheck exercises')",
    )
    a.add_argument(
        "--out",
        "-o",
        help="annotated video (.mp4) or a folder for it (default: NAME_annotated.mp4 in the "
        "current folder; NAME is the video's, with the exercise added if it is not in it)",
    )
    a.add_argument(
        "--report",
        "-r",
        help="JSON report or a folder for it (default: NAME_report.json beside the annotated "
        "video when --out is given, else in the current folder)",
    )
    a.add_argument("--model", help="a pose_landmarker_{lite,full,heavy}.task (default: built in)")
    a.add_argument(
        "--from",
        dest="start",
        metavar="TIME",
        help="analyse from this time in the video (seconds as 95, minutes:seconds as 1:35, or "
        "hours:minutes:seconds): one exercise of a longer recording",
    )
    a.add_argument("--to", dest="end", metavar="TIME", help="... and up to this time")
    a.add_argument(
        "--rotate",
        default="0",
        metavar="DEGREES",
        help="turn the picture this far clockwise (90, 180, 270): a video that lies on its "
        "side in a player",
    )
    a.add_argument("--no-video", action="store_true", help="do not write the annotated video")
    a.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    a.set_defaults(func=cmd_analyze)

    e = sub.add_parser("exercises", help="list the exercises")
    e.set_defaults(func=cmd_exercises)

    ev = sub.add_parser("evaluate", help="score the analyser on clips with ground truth")
    ev.add_argument("folder", help="a folder of clip.mp4 + clip.json, or one with labels.json")
    ev.add_argument("--exercise", "-e", help="only this exercise")
    ev.add_argument("--no-cache", action="store_true", help="recompute poses (not cached)")
    ev.add_argument("--verbose", "-v", action="store_true", help="one line per clip")
    ev.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    ev.add_argument(
        "--cross",
        action="store_true",
        help="analyse every clip as each exercise it does not show: what gets counted",
    )
    ev.add_argument(
        "--check",
        choices=("synthetic", "footage"),
        help="exit 1 when below the issue's targets for synthetic clips or real footage",
    )
    ev.set_defaults(func=cmd_evaluate)

    s = sub.add_parser(
        "synth", help="render synthetic footage (samples, test suite)", add_help=False
    )
    s.add_argument("synth_args", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_synth)

    from posecheck.live import add_arguments as add_live_arguments  # its options: ~0.2 s

    lv = sub.add_parser("live", help="live feedback from a webcam")
    add_live_arguments(lv)
    lv.set_defaults(func=cmd_live)
    return parser


def main(argv: list[str] | None = None) -> int:
    from posecheck.spec import SpecError

    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["synth"]:
        # handed over whole: argparse would keep a leading --help for itself
        args = argparse.Namespace(func=cmd_synth, synth_args=argv[1:])
    else:
        args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    from posecheck.stopping import stop_signals

    try:
        with stop_signals():  # kill or a closed terminal stops as Ctrl-C does
            code = args.func(args)
        sys.stdout.flush()  # a reader gone before the output left its buffer is caught here
        return code
    except KeyboardInterrupt:
        print("posecheck: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # output piped into something that stopped reading (`| head`): not an error to
        # report; point stdout at nothing so that the flush at exit stays quiet too
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (SpecError, ValueError, FileNotFoundError, IsADirectoryError, PermissionError) as err:
        print(f"posecheck: error: {error_text(err)}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:
        print(f"posecheck: error: {error_text(err)}", file=sys.stderr)
        return 1


def error_text(err: Exception) -> str:
    """An error in words: a system error as "PATH: what went wrong", not "[Errno 2] ..."."""
    if isinstance(err, OSError) and err.strerror:
        what = err.strerror[0].lower() + err.strerror[1:]
        return f"{err.filename}: {what}" if err.filename else what
    return str(err)


if __name__ == "__main__":
    sys.exit(main())
