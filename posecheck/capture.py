"""Live capture that never lags: a thread keeps only the newest frame.

``LatestFrameCamera`` reads a webcam on its own thread; ``RealTimePlayer`` plays a video
file at its real pace, as a camera would deliver it. Both keep one slot: a frame not
taken before the next arrives is dropped (counted), so processing always works on the
newest picture instead of drifting seconds behind.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np

from posecheck.source import CameraSource, VideoFileSource, camera_index


@dataclass(frozen=True)
class LiveFrame:
    """A delivered frame. ``timestamp_s`` is the capture time on the source's clock (the
    file's own time for a played file); ``captured_at`` is ``time.monotonic()`` at
    delivery, for measuring latency."""

    image: np.ndarray
    timestamp_s: float
    index: int
    captured_at: float


class _LatestSlot:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: LiveFrame | None = None
        self._ended = False
        self.delivered = 0
        self.dropped = 0

    def put(self, frame: LiveFrame) -> None:
        with self._cond:
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self.delivered += 1
            self._cond.notify_all()

    def end(self) -> None:
        with self._cond:
            self._ended = True
            self._cond.notify_all()

    def take(self, timeout: float) -> LiveFrame | None:
        """The newest frame, waiting up to ``timeout``; None when none came (or the end)."""
        with self._cond:
            if self._frame is None and not self._ended:
                self._cond.wait(timeout)
            frame, self._frame = self._frame, None
            return frame

    @property
    def ended(self) -> bool:
        with self._cond:
            return self._ended and self._frame is None


class _Threaded:
    def __init__(self) -> None:
        self._slot = _LatestSlot()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def take(self, timeout: float = 1.0) -> LiveFrame | None:
        return self._slot.take(timeout)

    @property
    def ended(self) -> bool:
        return self._slot.ended

    @property
    def dropped(self) -> int:
        return self._slot.dropped

    @property
    def delivered(self) -> int:
        return self._slot.delivered

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def _run(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class LatestFrameCamera(_Threaded):
    """A webcam read continuously on its own thread.

    Raises:
        ValueError: no camera at that index, or it gives no picture (busy).
    """

    is_camera = True

    def __init__(self, index: int = 0, size: tuple[int, int] | None = (1280, 720), rotate: int = 0):
        super().__init__()
        self._camera = CameraSource(index, size, rotate=rotate)
        self.size = self._camera.size
        self.fps = self._camera.fps

    def _run(self) -> None:
        t0 = time.monotonic()
        try:
            for frame in self._camera:
                if self._stop.is_set():
                    break
                now = time.monotonic()
                self._slot.put(LiveFrame(frame.image, now - t0, frame.index, now))
        finally:
            self._camera.release()
            self._slot.end()


class RealTimePlayer(_Threaded):
    """A video file delivered at its real pace, like a camera (frames dropped when the
    consumer falls behind). ``loop`` replays it (timestamps keep increasing)."""

    is_camera = False

    def __init__(self, path: str, loop: bool = False, speed: float = 1.0, rotate: int = 0):
        super().__init__()
        self._source = VideoFileSource(path, rotate=rotate)
        self.size = self._source.size
        self.fps = self._source.fps or 30.0
        self.loop = loop
        self.speed = speed

    def _run(self) -> None:
        start = time.monotonic()
        offset = 0.0
        index = 0
        try:
            while not self._stop.is_set():
                last = 0.0
                for frame in self._source:
                    if self._stop.is_set():
                        break
                    t = offset + frame.timestamp_s
                    delay = start + t / self.speed - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    self._slot.put(LiveFrame(frame.image, t, index, time.monotonic()))
                    index += 1
                    last = frame.timestamp_s
                offset += last + 1.0 / self.fps
                if not self.loop:
                    break
        finally:
            self._slot.end()


def open_live_source(
    camera: str | int, loop: bool = False, rotate: int = 0
) -> LatestFrameCamera | RealTimePlayer:
    """A camera index (``0``) or a video file path, played as a camera; its picture
    turned ``rotate`` degrees clockwise."""
    index = camera_index(camera)
    if index is not None:
        return LatestFrameCamera(index, rotate=rotate)
    return RealTimePlayer(str(camera), loop=loop, rotate=rotate)


def flip(image: np.ndarray) -> np.ndarray:
    return cv2.flip(image, 1)
