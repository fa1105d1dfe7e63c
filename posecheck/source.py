"""Frame sources: a video file or a camera, behind one iterator of timestamped frames."""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

# Reading from a time seeks this much before it, then reads on (seeks land on key frames).
SEEK_BEFORE_S = 2.0

# Frames larger than this on their long side are scaled down as they are decoded: the
# pose model reads a 256-pixel crop, so a 4K phone video gains nothing from its pixels
# and would cost twice the time (and 1.5 GB) to analyse, and give a 4K annotated video.
MAX_SIDE = 1920

# Quarter turns a picture can be given (degrees clockwise), as OpenCV's rotate codes: for
# a camera on its side, or a video whose pixels lie on their side with no rotation tag.
TURNS = {
    0: None,
    90: cv2.ROTATE_90_CLOCKWISE,
    180: cv2.ROTATE_180,
    270: cv2.ROTATE_90_COUNTERCLOCKWISE,
}


def turn_picture(image: np.ndarray, degrees: int) -> np.ndarray:
    """``image`` turned ``degrees`` (0, 90, 180 or 270) clockwise."""
    code = TURNS[degrees]
    return image if code is None else cv2.rotate(image, code)


def _turned_size(size: tuple[int, int], degrees: int) -> tuple[int, int]:
    return (size[1], size[0]) if degrees in (90, 270) else size


def _check_turn(degrees: int) -> int:
    if degrees not in TURNS:
        raise ValueError(f"a picture turns by 0, 90, 180 or 270 degrees, not {degrees}")
    return degrees


def quarter_turn(text: str | int, option: str = "--rotate") -> int:
    """Degrees clockwise as a person writes them ("90", "-90", "270"): 0, 90, 180 or 270."""
    try:
        degrees = int(str(text).strip().rstrip("°"))
    except ValueError:
        degrees = None
    if degrees is None or degrees % 90:
        raise ValueError(
            f"{option} {text}: give the degrees to turn the picture clockwise, 90, 180 or 270 "
            "(-90 for a quarter turn the other way)"
        )
    return degrees % 360


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame.

    Attributes:
        image: BGR pixels, (height, width, 3) uint8.
        timestamp_s: seconds from the start of the source (the file's own presentation
            time, or the capture time for a camera).
        index: frame number in the source (counting dropped ones, for a camera).
    """

    image: np.ndarray
    timestamp_s: float
    index: int


class VideoFileSource:
    """Frames of a video file, decoded on a background thread (decoding overlaps inference).

    Timestamps come from the file's presentation times, not from an assumed frame rate;
    frames are turned upright as players show them (the rotation tag phones write), and
    turned a further ``rotate`` degrees clockwise when asked (pixels on their side with no
    tag), and scaled to at most ``max_side`` pixels on their long side (``size``;
    ``video_size`` is the file's own). ``start_s`` and ``end_s`` read only that part of
    the video (its frames keep the video's own times).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not a video OpenCV can decode, or has no frames.
    """

    def __init__(
        self,
        path: str | Path,
        prefetch: int = 8,
        max_side: int | None = MAX_SIDE,
        start_s: float | None = None,
        end_s: float | None = None,
        rotate: int = 0,
    ):
        self.path = Path(path)
        self.rotate = _check_turn(rotate)
        if not self.path.exists():
            raise FileNotFoundError(f"video not found: {self.path}")
        if self.path.is_dir():
            raise ValueError(f"{self.path} is a folder, not a video file")
        cap = _open_upright(self.path)
        ok = cap.isOpened()
        first = cap.read()[1] if ok else None
        if not ok or first is None:
            cap.release()
            if self.path.stat().st_size == 0:
                raise ValueError(f"{self.path} is empty (0 bytes)")
            raise ValueError(
                f"{self.path} is not a video that can be decoded (damaged, truncated or "
                "not a video file)"
            )
        self.fps = float(cap.get(cv2.CAP_PROP_FPS)) or 0.0
        self.frame_count = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        # Where the first frame sits on the container's clock, in frames (0 for most files;
        # a cut or remuxed file can start later).
        pts = cap.get(cv2.CAP_PROP_PTS)
        self.first_frame_at = max(int(pts), 0) if np.isfinite(pts) else 0
        self.video_size = (first.shape[1], first.shape[0])
        self.size = _fit(_turned_size(self.video_size, rotate), max_side)
        cap.release()
        self.prefetch = prefetch
        self.frames_decoded = 0
        if start_s is not None and end_s is not None and end_s <= start_s:
            raise ValueError(
                f"the part to read ends ({end_s:g} s) before it starts ({start_s:g} s)"
            )
        length = self.duration_s
        if start_s and length and start_s >= length:
            raise ValueError(f"{self.path} is {length:.1f} s long: nothing after {start_s:g} s")
        self.start_s, self.end_s = start_s or None, end_s
        self.stopped_at_end = False  # reading ended at end_s, before the video did

    @property
    def shown_size(self) -> tuple[int, int]:
        """The picture's width and height as analysed: as players show it, turned by
        ``rotate``, before any scaling down."""
        return _turned_size(self.video_size, self.rotate)

    @property
    def duration_s(self) -> float | None:
        """Declared duration (frame count / fps), None when the container does not say."""
        if self.fps > 0 and self.frames_expected > 0:
            return self.frames_expected / self.fps
        return None

    @property
    def frames_expected(self) -> int:
        """The frames the file is expected to hold (0: unknown), less those a WebM's
        estimate counts before its first frame (see :meth:`ended_early`)."""
        return max(self.frame_count - self.first_frame_at, 0)

    @property
    def frames_to_read(self) -> int:
        """The frames expected in the part read (0: unknown)."""
        n = self.frames_expected
        if not n or self.fps <= 0:
            return n
        start = self.start_s or 0.0
        if self.end_s is None or self.end_s * self.fps >= n - 1:  # to the video's end
            return max(n - math.ceil(start * self.fps - 1e-6), 0)
        # both ends included
        return max(
            math.floor(self.end_s * self.fps + 1e-6) - math.ceil(start * self.fps - 1e-6) + 1, 0
        )

    def ended_early(self, last_t: float) -> bool:
        """The frames read, the last at ``last_t`` seconds, stop well short of the length
        the file declares (a truncated file). Judged by time, not by frames: a variable
        frame rate has fewer frames than its length at the nominal rate. Matroska/WebM
        files declare no count: OpenCV estimates it from their duration, which runs from
        the container's zero, so a file whose first frame comes later is declared that
        much longer; it is taken off before judging."""
        if not self.frame_count or self.fps <= 0:
            return False
        declared = self.frames_expected / self.fps
        if self.end_s is not None:
            declared = min(declared, self.end_s)  # only that part was to be read
        return last_t + 1 / self.fps < 0.9 * declared - 1 / self.fps

    def __iter__(self) -> Iterator[VideoFrame]:
        frames: queue.Queue = queue.Queue(maxsize=self.prefetch)
        stop = threading.Event()
        errors: list[BaseException] = []

        def decode() -> None:
            cap = _open_upright(self.path)
            try:
                index = 0
                last_t = -1.0
                if self.start_s:
                    # Seek a little before the start (a seek may land on a later key
                    # frame), then read on to it.
                    cap.set(cv2.CAP_PROP_POS_MSEC, max(self.start_s - SEEK_BEFORE_S, 0) * 1000)
                    index = max(int(cap.get(cv2.CAP_PROP_POS_FRAMES)), 0)
                while not stop.is_set():
                    ok, image = cap.read()
                    if not ok or image is None:
                        break
                    t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                    if not np.isfinite(t) or t <= last_t:
                        # No usable presentation time: fall back on the nominal rate.
                        t = index / self.fps if self.fps > 0 else last_t + 1 / 30
                    last_t = t
                    if self.start_s and t < self.start_s - 1e-6:
                        index += 1
                        continue
                    if self.end_s is not None and t > self.end_s + 1e-6:
                        self.stopped_at_end = True
                        break
                    image = turn_picture(image, self.rotate)
                    if (image.shape[1], image.shape[0]) != self.size:
                        image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
                    frame = VideoFrame(image=image, timestamp_s=t, index=index)
                    while not stop.is_set():
                        try:
                            frames.put(frame, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    index += 1
            except BaseException as err:  # reported on the consumer's thread
                errors.append(err)
            finally:
                cap.release()
                frames.put(None)

        worker = threading.Thread(target=decode, name="posecheck-decode", daemon=True)
        worker.start()
        try:
            while True:
                frame = frames.get()
                if frame is None:
                    break
                self.frames_decoded += 1
                yield frame
            if errors:
                raise errors[0]
        finally:
            stop.set()
            # Drain so that the decoder is not blocked on a full queue.
            while worker.is_alive():
                with contextlib.suppress(queue.Empty):
                    frames.get(timeout=0.05)
            worker.join(timeout=1.0)


def _fit(size: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """``size`` (width, height) scaled to at most ``max_side`` on its long side."""
    if not max_side or max(size) <= max_side:
        return size
    k = max_side / max(size)
    return (max(1, round(size[0] * k)), max(1, round(size[1] * k)))


def _open_upright(path: Path) -> cv2.VideoCapture:
    """Open a video file with its frames turned as players show them: a phone stores a
    portrait or upside-down recording as turned pixels plus a rotation tag, which OpenCV
    does not apply unless asked (some builds do by default)."""
    cap = cv2.VideoCapture(str(path))
    if cap.isOpened():
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return cap


class CameraSource:
    """Frames from a camera, timestamped at capture (seconds since the source opened),
    turned ``rotate`` degrees clockwise when the camera is mounted on its side.

    Raises:
        ValueError: no camera at that index, or it delivers no frames (busy).
    """

    def __init__(self, index: int = 0, size: tuple[int, int] | None = (1280, 720), rotate: int = 0):
        self.index = index
        self.rotate = _check_turn(rotate)
        level = cv2.getLogLevel()
        cv2.setLogLevel(0)  # OpenCV's own warnings for a missing camera would add nothing
        try:
            self._cap = cv2.VideoCapture(index)
        finally:
            cv2.setLogLevel(level)
        if not self._cap.isOpened():
            self._cap.release()
            hint = (
                "is a webcam connected, and not in use by another app? A second camera is "
                "--camera 1"
                if index == 0
                else "try --camera 0 (the built-in webcam)"
            )
            raise ValueError(f"no camera at index {index}; {hint}, or pass a video file")
        if size:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        ok, first = self._cap.read()
        if not ok or first is None:
            self._cap.release()
            raise ValueError(
                f"camera {index} opened but gives no picture: is another program using it?"
            )
        self.size = _turned_size((first.shape[1], first.shape[0]), rotate)
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS)) or 30.0
        self.frame_count = 0
        self.duration_s = None
        self._t0 = time.monotonic()

    def __iter__(self) -> Iterator[VideoFrame]:
        index = 0
        try:
            while True:
                ok, image = self._cap.read()
                if not ok or image is None:
                    return  # the camera went away: the caller ends the session cleanly
                t = time.monotonic() - self._t0
                yield VideoFrame(image=turn_picture(image, self.rotate), timestamp_s=t, index=index)
                index += 1
        finally:
            self.release()

    def release(self) -> None:
        self._cap.release()


def camera_index(spec: str | int | Path) -> int | None:
    """The camera an integer (or a string of digits) names; None for a video file."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return int(spec)
    return None
