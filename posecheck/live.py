"""Live mode: real-time feedback from a webcam (or a video file played as one).

The loop takes the newest frame (``capture``), estimates the pose, feeds the same
``ExerciseSession`` as ``analyze``, draws the same overlay (larger text), speaks through
``voice``, and writes the same report when the session ends: on quit, Ctrl-C, or when
the camera goes away.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from posecheck.analyze import VideoSink
from posecheck.capture import flip, open_live_source
from posecheck.overlay import OverlayStyle, annotate, key_strip, text_screen
from posecheck.pose import PoseEstimator
from posecheck.report import (
    IMAGE_SUFFIXES,
    SAFETY,
    VIDEO_SUFFIXES,
    beside,
    build_report,
    count_line,
    format_summary,
    output_path,
    write_report,
)
from posecheck.session import ExerciseSession
from posecheck.smoothing import PoseSmoother
from posecheck.source import camera_index, quarter_turn
from posecheck.spec import ARTICLE_EXERCISES, ExerciseSpec, load_spec
from posecheck.stopping import frame_step
from posecheck.voice import VOICE_HINT, Coach, Speaker, make_speaker

ROUTINE = ARTICLE_EXERCISES
WINDOW = "posecheck"
KEYS = "q quit  space pause  r reset  n/p next/prev  m mute  f mirror  w full screen"
# The window is made to fit in this (pixels), enlarged to it if the picture is smaller:
# big enough to read from the floor, small enough for a laptop's screen with its panels.
WINDOW_BOX = (1280, 680)
# The key strip's text is never smaller than this (OpenCV font scale: about 8 pixels
# high); on a narrow picture the keys take more lines instead.
KEYS_MIN_SIZE = 0.35
# The end screen (what was done) stays this long unless a key is pressed.
END_SCREEN_S = 20.0


# Options that take a number: (the smallest allowed, whether it must be above it, what).
NUMBER_OPTIONS = {
    "rest_s": (0.0, False, "seconds, 0 or more"),
    "text_scale": (0.0, True, "a size above 0"),
    "max_seconds": (0.0, True, "seconds above 0"),
}


def check_numbers(args: argparse.Namespace) -> None:
    """Each number option within its range, and finite; else one line (ValueError)."""
    for name, (low, above, what) in NUMBER_OPTIONS.items():
        value = getattr(args, name)
        if value is None:
            continue
        if not math.isfinite(value) or value < low or (above and value == low):
            option = "--" + name.replace("_", "-")
            raise ValueError(f"{option} {value:g}: give {what}")


def display_problem(environ=os.environ, platform: str = sys.platform) -> str | None:
    """Why no window can be opened here (Linux without a display), or None. The windowing
    library aborts the whole program on a display it cannot reach, so this is checked
    first."""
    if not platform.startswith("linux"):
        return None
    display = environ.get("DISPLAY", "")
    if not display:
        return None if environ.get("WAYLAND_DISPLAY") else "no display (DISPLAY is not set)"
    local = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display)
    if local and not os.path.exists(f"/tmp/.X11-unix/X{local.group(1)}"):
        return f"no display is running at DISPLAY={display}"
    return None


def window_size(picture: tuple[int, int], box: tuple[int, int] = WINDOW_BOX) -> tuple[int, int]:
    """The window for a picture of ``picture`` (width, height): as large as fits ``box``."""
    w, h = picture
    k = min(box[0] / w, box[1] / h)
    return max(1, round(w * k)), max(1, round(h * k))


def _enlarged(image: np.ndarray) -> np.ndarray:
    """``image`` made as large as the window, if smaller: large enough to read from the
    floor (a larger one is left to the window to scale down)."""
    size = window_size((image.shape[1], image.shape[0]))
    if size[0] > image.shape[1]:
        return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    return image


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--exercise", "-e", help="the exercise: its id or name (see 'posecheck exercises')"
    )
    p.add_argument(
        "--routine",
        nargs="?",
        const="all",
        metavar="IDS",
        help="the article's eight exercises in order, or the ones listed (comma-separated, "
        "e.g. knee_to_chest,bridge)",
    )
    p.add_argument(
        "--camera", default="0", help="camera index (default 0), or a video file played as a camera"
    )
    p.add_argument(
        "--rotate",
        default="0",
        metavar="DEGREES",
        help="turn the picture this far clockwise (90, 180, 270): a camera on its side",
    )
    mirror = p.add_mutually_exclusive_group()
    mirror.add_argument(
        "--mirror",
        dest="mirror",
        action="store_true",
        default=None,
        help="mirror the picture (default for a camera)",
    )
    mirror.add_argument("--no-mirror", dest="mirror", action="store_false")
    p.add_argument("--mute", action="store_true", help="no spoken cues")
    p.add_argument(
        "--report",
        "-r",
        help="the session report (JSON) or a folder for it (default: live_report_TIME.json, "
        "beside the --record video when that is given)",
    )
    p.add_argument("--record", help="also write the annotated video here (.mp4, or a folder)")
    p.add_argument("--model", help="a pose_landmarker_{lite,full,heavy}.task (default: built in)")
    p.add_argument("--headless", action="store_true", help="no window (tests, benchmarks)")
    p.add_argument("--fullscreen", action="store_true", help="start in full screen (key w toggles)")
    p.add_argument(
        "--rest-s", type=float, default=20.0, help="seconds of rest between routine exercises"
    )
    p.add_argument(
        "--text-scale", type=float, default=1.4, help="overlay text size (1.4 reads from 2-3 m)"
    )
    p.add_argument(
        "--snapshot",
        help="save the last shown frame to this PNG (or a folder) when the session ends",
    )
    p.add_argument("--max-seconds", type=float, help="stop after this long (tests, benchmarks)")
    p.add_argument("--loop", action="store_true", help="with a video file: play it over and over")


@dataclass
class LiveStats:
    """Timing of the loop: for the latency benchmark and the report."""

    processed: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def summary(self, dropped: int, delivered: int, seconds: float) -> dict:
        lat = self.latencies_ms

        def pct(q: float) -> float | None:  # None when no frame was processed
            return round(float(np.percentile(lat, q)), 1) if lat else None

        return {
            "frames_delivered": delivered,
            "frames_processed": self.processed,
            "frames_dropped": dropped,
            "processed_fps": round(self.processed / seconds, 2) if seconds > 0 else 0.0,
            "latency_ms_p50": pct(50),
            "latency_ms_p95": pct(95),
        }


class Exercise:
    """One exercise of a live session: its spec, session and bookkeeping."""

    def __init__(self, spec: ExerciseSpec):
        self.spec = spec
        self.session = ExerciseSession(spec)
        self.smoother = PoseSmoother(follow_swaps=spec.follow_swapped_legs)
        self.started = time.monotonic()
        self.done = False


def _window_closed() -> bool:
    """Whether the person closed the window (its close button, alt+F4)."""
    return cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1


def _end_screen(
    why: str, reports: list[dict], picture: np.ndarray | None, style: OverlayStyle, saved: Path
) -> None:
    """What was done, on the screen, for a person who ended the session away from the
    keyboard (the video or camera stopped, the routine finished): until a key is pressed,
    the window is closed, or END_SCREEN_S have passed."""
    if picture is None:
        picture = np.zeros((480, 640, 3), np.uint8)
    lines = [why]
    for r in reports:
        reset = " (before a reset)" if r.get("ended_by_reset") else ""
        lines.append(f"{r['exercise_name']}{reset}: {count_line(r)}")
    lines.append(f"Report: {saved.absolute()}")
    shown = _enlarged(text_screen(picture, [*lines, "Press any key to close"], style))
    until = time.monotonic() + END_SCREEN_S
    while time.monotonic() < until:
        cv2.imshow(WINDOW, shown)
        if cv2.waitKey(100) & 0xFF != 255 or _window_closed():
            break


def _key_texts(speaker: Speaker, mirrored: bool) -> list[str]:
    """The keys, and what is off: the voice (muted, or no speech engine found, which a
    person on the floor would not read on the terminal) and the mirror."""
    keys = KEYS.split("  ")
    if speaker.muted:
        keys.append("[muted]")
    elif speaker.backend is None:
        keys.append(f"[no voice: {VOICE_HINT}]")
    if mirrored:
        keys.append("[mirrored]")
    return keys


def _key_help(image: np.ndarray, speaker: Speaker, mirrored: bool) -> np.ndarray:
    """The keys, on a strip of their own under the picture (nothing of it is covered)."""
    return key_strip(image, _key_texts(speaker, mirrored), KEYS_MIN_SIZE)


def session_report(reports: list[dict], routine: bool, live: dict) -> dict:
    """The report file of a live session, from its parts' reports: a routine lists them;
    one exercise is the part since its last reset, with the parts before it."""
    if routine:
        return {"routine": reports, "live_stats": live}
    if len(reports) > 1:
        return dict(reports[-1], before_reset=reports[:-1])
    return reports[0]


def _exercise_ids(args: argparse.Namespace) -> list[str]:
    """The exercises asked for: ``--exercise``, or the ``--routine``'s."""
    if not args.routine and not args.exercise:
        raise ValueError("give --exercise ID (see 'posecheck exercises') or --routine")
    if args.routine and args.exercise:
        raise ValueError("give --exercise or --routine, not both")
    if args.routine and args.routine.strip().lower() == "all":
        return list(ROUTINE)
    if args.routine:
        ids = [i for i in args.routine.split(",") if i.strip()]
        if not ids:
            raise ValueError("--routine: name the exercises (e.g. knee_to_chest,bridge)")
        return ids
    return [args.exercise]


def _outputs(args: argparse.Namespace) -> tuple[Path | None, Path, Path | None]:
    """Where the recording, the report and the snapshot go: checked before the camera
    opens, so a name that cannot be written fails at once."""
    stamp = f"{datetime.now():%Y%m%d_%H%M%S}"
    played = [args.camera] if camera_index(args.camera) is None else []  # a file as a camera
    record = snapshot = None
    if args.record:
        record = output_path(
            args.record,
            f"live_{stamp}.mp4",
            option="--record",
            suffixes=VIDEO_SUFFIXES,
            not_over=played,
        )
    report_path = output_path(
        args.report or beside(record, args.record),
        f"live_report_{stamp}.json",
        option="--report",
        not_over=played,
    )
    if args.snapshot:
        snapshot = output_path(
            args.snapshot, f"live_{stamp}.png", option="--snapshot", suffixes=IMAGE_SUFFIXES
        )
    return record, report_path, snapshot


def _print_summary(reports: list[dict], live: dict, report_path: Path, record: Path | None) -> None:
    """The session's results on the terminal, as ``analyze`` prints them."""
    for r in reports:
        print(format_summary(r))
        if r.get("ended_by_reset"):
            print("  Reset (key r): counted afresh from here.")
    latency = (
        f"latency p50 {live['latency_ms_p50']} ms, p95 {live['latency_ms_p95']} ms"
        if live["latency_ms_p50"] is not None
        else "no frame processed"
    )
    print(
        f"  Live: {live['processed_fps']} fps processed, {live['frames_dropped']} frames dropped, "
        + latency
    )
    print(f"  Report: {report_path}" + (f"   Recording: {record}" if record else ""))
    print(f"  {SAFETY}")


def run_live(args: argparse.Namespace) -> int:
    check_numbers(args)
    specs = [load_spec(i) for i in _exercise_ids(args)]
    rotate = quarter_turn(args.rotate)
    no_window = None if args.headless else display_problem()
    if no_window:
        raise ValueError(f"cannot open a window: {no_window}; use --headless")
    record, report_path, snapshot = _outputs(args)
    source = open_live_source(args.camera, loop=args.loop, rotate=rotate)
    mirror = source.is_camera if args.mirror is None else args.mirror
    speaker = make_speaker(args.mute)
    coach = Coach(speaker)
    style = OverlayStyle(text_scale=args.text_scale, mirrored=mirror)
    sink: VideoSink | None = None  # opened once the model is loaded
    stats = LiveStats()
    reports: list[dict] = []
    current = 0
    ex = Exercise(specs[current])
    paused = False
    rest_until: float | None = None
    rest_left = 0.0  # of a paused rest
    interrupted = False
    failed: cv2.error | None = None  # an OpenCV error that stopped the session
    ended = None  # why the session ended by itself (the end screen says it)
    last_shown = last_frame = None
    started = time.monotonic()
    window = not args.headless
    fullscreen = bool(args.fullscreen)
    if window:
        # No toolbar; large from the start: the screen is read from the floor, 2-3 m away.
        cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL | cv2.WINDOW_GUI_NORMAL)
        cv2.resizeWindow(WINDOW, *window_size(source.size))
        if fullscreen:
            cv2.setWindowProperty(WINDOW, cv2.WND_PROP_FULLSCREEN, cv2.WINDOW_FULLSCREEN)

    def close_exercise(last: bool = False, how: str | None = None) -> None:
        """The exercise's report, marked ``how`` it was left (a report key set true):
        ``ended_by_reset`` (key r) or ``moved_on`` (n or p before it was done)."""
        if not ex.session.frames and (reports or not last):
            return  # passed over (n, p) before it began: nothing to report
        ex.session.finish()
        reports.append(
            build_report(
                ex.session,
                video=str(args.camera),
                partial=False,
                duration_s=ex.session.last_t - (ex.session.first_t or 0.0),
                video_fps=source.fps,
                frame_size=source.size,
                frames=ex.session.frames,
                model=estimator.model_name,
                elapsed_s=time.monotonic() - ex.started,
                annotated_video=record,
                rotate=rotate,
                live=True,
            )
        )
        if how:
            reports[-1][how] = True

    with PoseEstimator(args.model) as estimator:
        source.start()
        # The session (and --max-seconds) runs from here: loading the model took a second
        # or more, and on a busy machine long enough that a short session showed nothing.
        started = ex.started = time.monotonic()
        try:
            if record:
                sink = VideoSink(record, source.fps, source.size)
            while True:
                if args.max_seconds and time.monotonic() - started > args.max_seconds:
                    break
                frame = source.take(timeout=1.0)
                if frame is None:
                    if source.ended:
                        ended = "The camera stopped" if source.is_camera else "The video ended"
                        break  # the camera went away or the file ended
                    continue
                with frame_step():  # a stop waits for the frame to be recorded
                    now = time.monotonic()
                    view = flip(frame.image) if mirror else frame.image
                    processed = False
                    if paused or rest_until is not None:
                        speaker.tick()  # with no session frames: "Rest. Next: ..." said now
                    if paused:  # a rest too: its countdown waits
                        resting = [f"Next: {specs[current].name}"] if rest_until is not None else []
                        shown = text_screen(
                            view, ["Paused", *resting, "press space to go on"], style
                        )
                    elif rest_until is not None:
                        left = int(np.ceil(rest_until - now))
                        shown = text_screen(
                            view,
                            [
                                "Rest",
                                f"Next: {specs[current].name} in {left} s",
                                specs[current].summary,
                                "n: start now",
                            ],
                            style,
                        )
                        if now >= rest_until:
                            rest_until = None
                            ex.started = time.monotonic()  # its speed leaves the rest out
                    else:
                        raw = estimator.detect(frame.image, frame.timestamp_s)
                        state = ex.session.update(ex.smoother.update(raw))
                        coach.update(state)
                        shown = annotate(view, state, ex.spec, style)
                        if any(e.kind == "done" for e in state.events) and args.routine:
                            ex.done = True
                        stats.processed += 1
                        processed = True
                    last_frame = view
                    if sink is not None:
                        sink.write(shown, frame.timestamp_s)  # as annotated, without the key help
                    if window:
                        shown = _enlarged(_key_help(shown, speaker, mirror))
                        cv2.imshow(WINDOW, shown)
                        key = cv2.waitKey(1) & 0xFF
                        if _window_closed():
                            key = ord("q")  # as quitting
                    else:
                        key = 255
                if processed:  # a paused or resting frame is shown at once: not timed
                    stats.latencies_ms.append((time.monotonic() - frame.captured_at) * 1000.0)
                last_shown = shown
                step = 0
                if key in (ord("q"), 27):
                    break
                if key == ord(" "):
                    paused = not paused
                    if rest_until is not None:  # the rest left is kept while paused
                        if paused:
                            rest_left = rest_until - time.monotonic()
                        else:
                            rest_until = time.monotonic() + rest_left
                elif key == ord("r"):
                    close_exercise(how="ended_by_reset")  # what was done is a part of its own
                    ex = Exercise(ex.spec)
                elif key == ord("m"):
                    speaker.toggle_mute()
                elif key == ord("f"):
                    mirror = not mirror
                    style = OverlayStyle(text_scale=args.text_scale, mirrored=mirror)
                elif key == ord("w") and window:
                    fullscreen = not fullscreen
                    mode = cv2.WINDOW_FULLSCREEN if fullscreen else cv2.WINDOW_NORMAL
                    cv2.setWindowProperty(WINDOW, cv2.WND_PROP_FULLSCREEN, mode)
                elif key == ord("n") and rest_until is not None:
                    rest_until, paused = None, False  # the rest cut short: the next begins now
                    ex.started = time.monotonic()
                elif key == ord("n"):
                    step = 1
                elif key == ord("p"):
                    step = -1
                if ex.done and rest_until is None:
                    step = 1
                if step and (0 <= current + step < len(specs)):
                    close_exercise(how=None if ex.done else "moved_on")
                    current += step
                    ex = Exercise(specs[current])
                    rest_until = (
                        time.monotonic() + args.rest_s if step > 0 and args.routine else None
                    )
                    paused = False  # a pause was the last exercise's
                    said = "Rest. Next" if rest_until is not None else "Now"
                    speaker.say(f"{said}: {specs[current].name}", 1, f"next{current}")
                elif step and ex.done:
                    ended = "Routine complete: well done"
                    break  # the routine is complete
        except KeyboardInterrupt:
            interrupted = True
        except cv2.error as err:  # e.g. the window lost to the desktop: keep what was done
            interrupted, failed = True, err
        finally:
            source.close()
            close_exercise(last=True)  # a report even for a session that saw nothing
            if sink is not None:
                sink.close()
            # the end screen is not part of the session, and points to a report on disk
            live = stats.summary(source.dropped, source.delivered, time.monotonic() - started)
            for r in reports:
                r["partial"] = interrupted
                r["live_stats"] = live
            write_report(session_report(reports, bool(args.routine), live), report_path)
            if window and ended and not interrupted:
                _end_screen(ended, reports, last_frame, style, report_path)
            if window:
                cv2.destroyAllWindows()
    if snapshot and last_shown is not None:
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(snapshot), last_shown)
    elif snapshot:
        print(
            f"posecheck: no frame was shown, so no snapshot was written to {snapshot}",
            file=sys.stderr,
        )
    _print_summary(reports, live, report_path, record)
    if failed is not None:
        print(f"posecheck: error: the session stopped: {_cv2_message(failed)}", file=sys.stderr)
        return 1
    return 130 if interrupted else 0


def _cv2_message(err: cv2.error) -> str:
    return (getattr(err, "msg", None) or str(err)).strip()


def main(args: argparse.Namespace) -> int:
    try:
        return run_live(args)
    except cv2.error as err:
        # e.g. no display for the window
        print(
            f"posecheck: error: cannot open a window ({_cv2_message(err)}); "
            "use --headless, or run under a desktop",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    sys.exit(main(parser.parse_args()))
