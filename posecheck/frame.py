"""The one pose-frame type every stage after the estimator sees."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posecheck.landmarks import NUM_LANDMARKS, Landmark


@dataclass(frozen=True)
class PoseFrame:
    """One person's pose in one video frame.

    Attributes:
        timestamp_s: when the frame was captured, seconds from the start of the source.
        image_size: (width, height) of the frame in pixels.
        xy: (33, 2) float array, landmark pixel coordinates (x right, y down).
        world: (33, 3) float array, metric coordinates centred on the hips
            (MediaPipe world landmarks: x right, y down, z towards the camera is negative).
        visibility: (33,) float array in [0, 1], how likely each landmark is visible
            (in frame and not occluded).
        present: False for the explicit "no person" value (arrays are then NaN / zero).
    """

    timestamp_s: float
    image_size: tuple[int, int]
    xy: np.ndarray = field(repr=False)
    world: np.ndarray = field(repr=False)
    visibility: np.ndarray = field(repr=False)
    present: bool = True

    def __post_init__(self) -> None:
        for name, shape in (
            ("xy", (NUM_LANDMARKS, 2)),
            ("world", (NUM_LANDMARKS, 3)),
            ("visibility", (NUM_LANDMARKS,)),
        ):
            arr = getattr(self, name)
            if not isinstance(arr, np.ndarray) or arr.shape != shape:
                got = getattr(arr, "shape", type(arr).__name__)
                raise ValueError(f"PoseFrame.{name} must be an array of shape {shape}, got {got}")
        w, h = self.image_size
        if w <= 0 or h <= 0:
            raise ValueError(f"PoseFrame.image_size must be positive, got {self.image_size}")

    @classmethod
    def empty(cls, timestamp_s: float, image_size: tuple[int, int]) -> PoseFrame:
        """The "no person in frame" value."""
        return cls(
            timestamp_s=timestamp_s,
            image_size=image_size,
            xy=np.full((NUM_LANDMARKS, 2), np.nan),
            world=np.full((NUM_LANDMARKS, 3), np.nan),
            visibility=np.zeros(NUM_LANDMARKS),
            present=False,
        )

    def in_frame(self, lm: Landmark, margin: float = 0.0) -> bool:
        """True when the landmark's pixel position lies inside the image (less ``margin`` px)."""
        x, y = self.xy[lm]
        w, h = self.image_size
        return bool(margin <= x <= w - margin and margin <= y <= h - margin)

    def with_swapped(self, pairs: list[tuple[Landmark, Landmark]]) -> PoseFrame:
        """The same pose with each pair's landmarks exchanged (labels put right)."""
        idx = np.arange(NUM_LANDMARKS)
        for a, b in pairs:
            idx[a], idx[b] = b, a
        return PoseFrame(
            timestamp_s=self.timestamp_s,
            image_size=self.image_size,
            xy=self.xy[idx],
            world=self.world[idx],
            visibility=self.visibility[idx],
            present=self.present,
        )

    def turned(self, degrees: int) -> PoseFrame:
        """The pose as it reads in the picture turned ``degrees`` (90, 180 or 270)
        clockwise: what a video whose pixels lie on their side would give upright."""
        if degrees == 0:
            return self
        size, xy, world = turn_points(self.xy, self.world, self.image_size, degrees)
        return PoseFrame(
            timestamp_s=self.timestamp_s,
            image_size=size,
            xy=xy,
            world=world,
            visibility=self.visibility,
            present=self.present,
        )


def turn_points(
    xy: np.ndarray, world: np.ndarray, size: tuple[int, int], degrees: int
) -> tuple[tuple[int, int], np.ndarray, np.ndarray]:
    """Points ``xy`` (n, 2) of a picture of ``size`` (width, height), and world vectors
    (n, 3) in its camera's axes, as they are in the picture turned ``degrees`` (90, 180 or
    270) clockwise; with the turned picture's size. ``size`` (1, 1) turns normalised
    coordinates."""
    w, h = size
    x, y = xy[:, 0], xy[:, 1]
    wx, wy, wz = world[:, 0], world[:, 1], world[:, 2]
    if degrees == 90:  # right becomes down, up becomes right
        size, xy, world = (h, w), (h - y, x), (-wy, wx, wz)
    elif degrees == 180:
        size, xy, world = (w, h), (w - x, h - y), (-wx, -wy, wz)
    elif degrees == 270:
        size, xy, world = (h, w), (y, w - x), (wy, -wx, wz)
    else:
        raise ValueError(f"a picture turns by 0, 90, 180 or 270 degrees, not {degrees}")
    return size, np.stack(xy, 1), np.stack(world, 1)
