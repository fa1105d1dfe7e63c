"""Landmark smoothing: a One Euro filter over whole pose frames (pure numpy).

The MediaPipe Tasks API does no landmark smoothing, and its jitter shows in angles. The
One Euro filter (Casiez et al., CHI 2012) smooths hard when a joint is still and follows
quickly when it moves: the cut-off frequency rises with the joint's speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from posecheck.frame import PoseFrame


@dataclass(frozen=True)
class OneEuroSettings:
    """Filter settings.

    Attributes:
        min_cutoff_hz: cut-off frequency when still; lower = smoother, more lag at rest.
        beta: how fast the cut-off rises with speed (per unit of speed); higher = less lag.
        d_cutoff_hz: cut-off of the speed estimate itself.
    """

    min_cutoff_hz: float = 1.5
    beta: float = 0.05
    d_cutoff_hz: float = 1.0


def _alpha(cutoff_hz: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One Euro filter over an array of any shape, one independent filter per element.

    ``beta`` acts on the speed in the array's own units per second.
    """

    def __init__(self, settings: OneEuroSettings, speed_scale: float = 1.0):
        self.settings = settings
        self.speed_scale = speed_scale
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self._x is None or self._t is None or t <= self._t or self._x.shape != x.shape:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        s = self.settings
        dx = (x - self._x) / dt
        dx = np.where(np.isfinite(dx), dx, 0.0)
        a_d = _alpha(s.d_cutoff_hz, dt)
        dx_hat = a_d * dx + (1 - a_d) * self._dx
        cutoff = s.min_cutoff_hz + s.beta * np.abs(dx_hat) / self.speed_scale
        a = _alpha(cutoff, dt)
        x_hat = np.where(np.isfinite(self._x), a * x + (1 - a) * self._x, x)
        self._x, self._dx, self._t = x_hat, dx_hat, t
        return x_hat.copy()


class PoseSmoother:
    """Smooths the landmarks of successive :class:`PoseFrame` values.

    Pixel coordinates are filtered with speeds measured in image heights per second, so
    one setting suits 480p and 1080p alike. A frame with no person resets the filter.
    """

    def __init__(self, settings: OneEuroSettings | None = None):
        self.settings = settings or OneEuroSettings()
        self._xy = OneEuroFilter(self.settings)
        self._world = OneEuroFilter(self.settings)
        self._vis = OneEuroFilter(OneEuroSettings(min_cutoff_hz=3.0, beta=0.0))

    def reset(self) -> None:
        for f in (self._xy, self._world, self._vis):
            f.reset()

    def update(self, pose: PoseFrame) -> PoseFrame:
        if not pose.present:
            self.reset()
            return pose
        self._xy.speed_scale = float(pose.image_size[1])
        t = pose.timestamp_s
        return replace(
            pose,
            xy=self._xy(pose.xy, t),
            world=self._world(pose.world, t),
            visibility=np.clip(self._vis(pose.visibility, t), 0.0, 1.0),
        )
