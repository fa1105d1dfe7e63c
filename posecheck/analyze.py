"""The recorded-video pipeline: source -> pose -> smoothing -> session -> overlay -> sink."""

from __future__ import annotations

import contextlib
import glob
import os
import queue
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posecheck import geometry as g
from posecheck.frame import PoseFrame
from posecheck.landmarks import Landmark
from posecheck.overlay import OverlayStyle, annotate
from posecheck.pose import Opening, PoseEstimator, read_backwards
from posecheck.report import build_report, publish
from posecheck.session import ExerciseSession
from posecheck.smoothing import LOOK_BACK, LookBack, PoseSmoother, join_opening
from posecheck.source import VideoFileSource
from posecheck.spec import ExerciseSpec, load_spec
from posecheck.stopping import frame_step


class VideoSink:
    """Writes frames to an mp4 file on a background thread (encoding overlaps the rest).

    The frames go to a hidden part file beside ``path``, renamed to ``path`` on close: a
    video being written never stands in for a finished one, and two runs given the same
    name each leave a whole video (the last one closed) rather than one garbled file.

    Frames given their time are placed on the file's fixed frame rate: one shown longer
    (a variable-rate recording, a live loop slower than the camera) is repeated, one due
    in the same slot as the last is dropped, so the video plays in step with the clock."""

    # The longest a frame is repeated to fill a gap (a longer gap is a broken timestamp).
    MAX_GAP_S = 10.0
    # A part file of the same name untouched this long was left by a run that was killed
    # outright (kill -9, a power cut): removed when the next run writes that name. One
    # being written is touched every frame.
    STALE_PART_S = 3600.0

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int], queue_size: int = 16):
        self.path = Path(path)
        if self.path.is_symlink():  # written through, as reports are
            self.path = self.path.resolve()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        prefix, suffix = f".{self.path.stem[:200]}.", f".part{self.path.suffix}"
        self._remove_stale_parts(prefix, suffix)
        fd, part = tempfile.mkstemp(dir=self.path.parent, prefix=prefix, suffix=suffix)
        os.close(fd)  # the name is reserved; the writer opens it anew
        self._part = Path(part)
        self.fps = fps if fps > 0 else 30.0
        self._writer = cv2.VideoWriter(
            str(self._part), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, size
        )
        if not self._writer.isOpened():
            self._part.unlink(missing_ok=True)
            raise ValueError(f"cannot write a video to {self.path} (is the folder writable?)")
        self.size = size
        self._t0: float | None = None  # the first frame's time
        self._slots = 0  # frames written so far
        self._last: np.ndarray | None = None  # the last frame given
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._thread = threading.Thread(target=self._run, name="posecheck-sink", daemon=True)
        self._thread.start()

    def _remove_stale_parts(self, prefix: str, suffix: str) -> None:
        # the names mkstemp gives: prefix, 8 random characters, suffix (not another
        # output's, whose name only begins the same)
        ours = re.compile(re.escape(prefix) + r"[a-z0-9_]{8}" + re.escape(suffix))
        now = time.time()
        for old in self.path.parent.glob(f"{glob.escape(prefix)}*{glob.escape(suffix)}"):
            with contextlib.suppress(OSError):  # gone meanwhile, or not ours to remove
                if ours.fullmatch(old.name) and now - old.stat().st_mtime > self.STALE_PART_S:
                    old.unlink()

    def _run(self) -> None:
        while True:
            frame = self._queue.get()
            if frame is None:
                break
            self._writer.write(frame)

    def write(self, frame: np.ndarray, t_s: float | None = None) -> None:
        """Add a frame; with its time ``t_s`` (seconds), as often as keeps the video in step."""
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = cv2.resize(frame, self.size)
        if t_s is not None:
            if self._t0 is None:
                self._t0 = t_s
            slot = round((t_s - self._t0) * self.fps)  # the slot this frame's time falls in
            if slot - self._slots > self.MAX_GAP_S * self.fps:  # the clock jumped: go on
                self._t0, slot = t_s - self._slots / self.fps, self._slots
            if slot < self._slots:  # that slot is filled already
                self._last = frame
                return
            for _ in range(slot - self._slots):  # the last frame stays on until this one
                self._queue.put(self._last)
            self._slots = slot
        self._queue.put(frame)
        self._last = frame
        self._slots += 1

    def close(self, keep: bool = True) -> None:
        """Finish the video and put it in place; ``keep`` False drops it (a failed run)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._writer.release()
        if not self._part.exists():
            return
        if keep:
            publish(self._part, self.path)
        else:
            self._part.unlink()

    def __enter__(self) -> VideoSink:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class Progress:
    done: int
    total: int
    fps: float
    final: bool = False  # the last call: every frame read


class _Ticker:
    """Calls ``progress`` with the frames done about once a second."""

    def __init__(self, progress: Callable[[Progress], None] | None, total: int):
        self.progress, self.total = progress, total
        self.started = self.last = time.perf_counter()

    def __call__(self, done: int) -> None:
        now = time.perf_counter()
        if self.progress is not None and now - self.last >= 1.0:
            self.last = now
            self.progress(Progress(done, self.total, done / (now - self.started)))

    def finish(self, done: int) -> None:
        if self.progress is not None and done:
            now = time.perf_counter()
            self.progress(Progress(done, self.total, done / max(now - self.started, 1e-6), True))


# The poses of a video in which nothing was counted are tried turned a quarter (its pixels
# may lie on their side with no rotation tag). The poses kept for that are at most this
# many a second, and of the first this many seconds.
TURN_CHECK_FPS = 15.0
TURN_CHECK_MAX_S = 5 * 60.0
# A torso this close to the picture's vertical reads as upright.
UPRIGHT_WITHIN_DEG = 35.0


class TurnCheck:
    """Poses kept to tell, when nothing was counted, whether the picture turned a quarter
    shows the exercise (see :func:`turned_view`)."""

    def __init__(self) -> None:
        self.poses: list[PoseFrame] = []
        self._next_t = -np.inf

    @classmethod
    def of(cls, poses: Iterable[PoseFrame]) -> TurnCheck:
        check = cls()
        for pose in poses:
            check.add(pose)
        return check

    def add(self, pose: PoseFrame) -> None:
        t = pose.timestamp_s
        if t < self._next_t or (self.poses and t - self.poses[0].timestamp_s > TURN_CHECK_MAX_S):
            return
        self.poses.append(pose)
        self._next_t = t + 1.0 / TURN_CHECK_FPS


def replay(spec: ExerciseSpec, poses: Iterable[PoseFrame]) -> ExerciseSession:
    """The finished session of ``poses`` read as :func:`analyze_video` reads a video's
    (smoothed, then counted), without decoding or drawing."""
    session = ExerciseSession(spec)
    smoother = PoseSmoother(follow_swaps=spec.follow_swapped_legs)
    for pose in poses:
        session.update(smoother.update(pose))
    session.finish()
    return session


def _upright(pose: PoseFrame) -> bool:
    """The torso (shoulders' middle to hips' middle) within 35 degrees of the picture's
    vertical: standing or sitting, or lying in a picture on its side."""
    xy = pose.xy
    shoulders = g.midpoint(xy[Landmark.LEFT_SHOULDER], xy[Landmark.RIGHT_SHOULDER])
    hips = g.midpoint(xy[Landmark.LEFT_HIP], xy[Landmark.RIGHT_HIP])
    return bool(g.inclination_deg(hips, shoulders) > 90 - UPRIGHT_WITHIN_DEG)


def turned_view(spec: ExerciseSpec, poses: Sequence[PoseFrame], rotate: int = 0) -> dict | None:
    """The turn under which ``poses`` (of a video in which nothing was counted) show the
    exercise: its starting position reached and a rep counted (a hold, for a held
    exercise). ``rotate`` is the turn the picture was given already; the turn returned
    (``rotate``, degrees clockwise) is from the picture as the file has it, so 0 means
    "no --rotate". None when nobody was in view most of the time, or no turn shows it.

    A quarter turn either way is tried when the person reads as upright most of the
    time, as a person lying down does in a picture on its side; both may show it (a
    picture upside down can read as the exercise too), and the one that shows more,
    then sooner, is taken. Upside down is tried only when the picture was turned a
    quarter already (the other way round): from a picture as it came, a child's pose
    upside down reads as a bridge, and a cobra as a knee hug."""
    seen = [p for p in poses if p.present]
    if len(seen) < 0.5 * len(poses):
        return None
    turns = [180] if rotate in (90, 270) else []
    if sum(map(_upright, seen)) >= 0.5 * len(seen):
        turns += [90, 270]
    found = []
    for degrees in turns:
        session = replay(spec, (pose.turned(degrees) for pose in poses))
        counted = len(session.reps) if spec.count_kind == "reps" else len(session.holds)
        if session.setup_passed_s is not None and counted:
            found.append((-counted, session.setup_passed_s, degrees, session))
    if not found:
        return None
    _, _, degrees, session = min(found, key=lambda f: f[:3])
    return {
        "rotate": (rotate + degrees) % 360,
        "reps": len(session.reps),
        "holds": len(session.holds),
    }


def in_spans(t: float, spans: Sequence[tuple[float, float]] | None) -> bool:
    """``t`` inside one of ``spans`` (None: no spans given, so inside)."""
    return spans is None or any(a <= t <= b for a, b in spans)


def _read_opening(
    source: VideoFileSource,
    estimator: PoseEstimator,
    lookback: LookBack,
    tick: _Ticker,
) -> tuple[list[PoseFrame], bool]:
    """The poses of the video's first ``lookback.seconds``: read forward by ``estimator``,
    which goes on tracking from there, and again backwards (see :class:`LookBack`).
    Also whether Ctrl-C stopped it (the forward poses so far come back then)."""
    opening = Opening(lookback.seconds)
    forward: list[PoseFrame] = []
    try:
        for frame in source:
            if not opening.add(frame.image, frame.timestamp_s):
                break
            forward.append(estimator.detect(frame.image, frame.timestamp_s))
            tick(len(forward))
        if not forward:
            return [], False
        return join_opening(forward, read_backwards(opening, estimator), lookback)[0], False
    except KeyboardInterrupt:
        return forward, True


def analyze_video(
    video: str | Path,
    exercise: str | ExerciseSpec,
    *,
    out_video: str | Path | None = None,
    model: str | Path | None = None,
    spans: Sequence[tuple[float, float]] | None = None,
    progress: Callable[[Progress], None] | None = None,
    estimator: PoseEstimator | None = None,
    poses: Sequence[PoseFrame] | None = None,
    lookback: LookBack | None = LOOK_BACK,
    start_s: float | None = None,
    end_s: float | None = None,
    rotate: int = 0,
) -> dict:
    """Analyse a recorded video and return its report (see README, "Report").

    Args:
        video: the video file.
        exercise: an exercise id or a loaded spec.
        out_video: where to write the annotated video (None: no video).
        model: a ``pose_landmarker_*.task`` (None: the default model).
        spans: only frames inside these (start, end) seconds are used; others count as
            "nobody in view" (for evaluation on footage with title cards and cuts).
        progress: called about once a second.
        estimator: an open estimator to reuse (its model is then used).
        poses: precomputed poses, one per frame, instead of running the estimator.
        lookback: how the opening is read again backwards (None: not at all).
        start_s, end_s: analyse only this part of the video (None: from its start, to its
            end); times in the report stay the video's own.
        rotate: turn the picture this many degrees clockwise (0, 90, 180, 270): a video
            whose pixels lie on their side with no rotation tag.

    Ctrl-C stops the analysis early: the report so far comes back with ``partial`` true.
    """
    spec = exercise if isinstance(exercise, ExerciseSpec) else load_spec(exercise)
    part_asked = bool(start_s) or end_s is not None
    if poses is not None and part_asked:
        raise ValueError("precomputed poses are of the whole video: give no start or end")
    if rotate and poses is not None:
        raise ValueError("precomputed poses are of the picture as it is: give no rotate")
    source = VideoFileSource(video, start_s=start_s, end_s=end_s, rotate=rotate)
    session = ExerciseSession(spec)
    smoother = PoseSmoother(follow_swaps=spec.follow_swapped_legs)
    own_estimator = estimator is None and poses is None
    if own_estimator:
        estimator = PoseEstimator(model)
        estimator.open()
    sink = VideoSink(out_video, source.fps, source.size) if out_video else None
    style = OverlayStyle(clock=True)
    started = time.perf_counter()
    tick = _Ticker(progress, source.frames_to_read)
    partial = False
    frames = 0
    first_t = last_t = 0.0
    precomputed = poses is not None
    opening: list[PoseFrame] = []
    turn_check = TurnCheck()
    failed = True  # until the frames are all read, or the user stops the run
    try:
        if not precomputed and lookback is not None:
            opening, partial = _read_opening(source, estimator, lookback, tick)
        for frame in source:
            if (precomputed and frames >= len(poses)) or (partial and frames >= len(opening)):
                break
            with frame_step():  # a stop waits for the frame to be written
                if not in_spans(frame.timestamp_s, spans):
                    raw = PoseFrame.empty(frame.timestamp_s, source.size)
                elif precomputed:
                    raw = poses[frames]
                elif frames < len(opening):
                    raw = opening[frames]
                else:
                    raw = estimator.detect(frame.image, frame.timestamp_s)
                turn_check.add(raw)
                pose = smoother.update(raw)
                state = session.update(pose)
                if sink is not None:
                    sink.write(annotate(frame.image, state, spec, style), frame.timestamp_s)
                if not frames:
                    first_t = frame.timestamp_s
                frames += 1
                last_t = frame.timestamp_s
                if frames > len(opening):  # the opening's frames were counted as they were read
                    tick(frames)
        tick.finish(frames)
        failed = not frames and part_asked  # an empty part: an error
    except KeyboardInterrupt:
        partial, failed = True, False
    finally:
        if sink is not None:
            sink.close(keep=not failed)  # a run that failed leaves no half video in place
        if own_estimator:
            estimator.close()
    elapsed = time.perf_counter() - started
    if not frames and not partial and part_asked:
        bounds = [f"from {start_s:g} s"] if start_s else []
        bounds += [f"to {end_s:g} s"] if end_s is not None else []
        where = " ".join(bounds)
        raise ValueError(
            f"{video} has no frame {where} (it is {source.duration_s or 0:.1f} s long, or "
            "less if it was cut short)"
        )
    session.finish()
    report = build_report(
        session,
        video=str(video),
        partial=partial,
        duration_s=round(last_t - first_t + (1.0 / source.fps if source.fps else 0.0), 3)
        if frames
        else 0.0,
        video_fps=source.fps,
        frame_size=source.shown_size,
        frames=frames,
        model=estimator.model_name if estimator is not None else "precomputed poses",
        elapsed_s=elapsed,
        annotated_video=out_video,
        part_s=(first_t, last_t) if frames and (start_s or source.stopped_at_end) else None,
        rotate=rotate,
        turned_view=None  # a run stopped early is not kept waiting for it
        if partial or session.reps or session.holds
        else turned_view(spec, turn_check.poses, rotate),
    )
    report["truncated"] = bool(not partial and frames and source.ended_early(last_t))
    return report


def print_progress(p: Progress) -> None:
    """Progress on stderr: a rewritten line on a terminal, a line every ~10 s otherwise."""
    total = f"/{p.total}" if p.total else ""
    pct = f" {100 * p.done / p.total:3.0f}%" if p.total else ""
    text = f"analysing:{pct} frame {p.done}{total} at {p.fps:.1f} fps"
    if sys.stderr is None:  # started with stderr closed
        return
    try:
        if sys.stderr.isatty():
            sys.stderr.write("\r" + text + "   ")
        elif p.final or p.done % max(1, int(10 * max(p.fps, 1))) < max(1, int(p.fps)):
            sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # nobody reads it any more: the run goes on
        pass
