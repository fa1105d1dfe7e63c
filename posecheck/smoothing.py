"""Landmark smoothing: a One Euro filter over whole pose frames (pure numpy).

The MediaPipe Tasks API smooths one tracked person's landmarks in video mode (which
costs it about 0.1 s of lag on a fast move), but their jitter still shows in angles. The
One Euro filter (Casiez et al., CHI 2012) smooths hard when a joint is still and follows
quickly when it moves: the cut-off frequency rises with the joint's speed.

The model sometimes hands a leg joint to the other side from one frame to the next (a
hugged knee labelled left, then right, as it passes the other knee in the picture). By
default the smoother follows the model's labels and swaps the two joints' filter states
with them, so that the two legs are not averaged into one half-way between both for a
few frames; a spec can ask for the plain filter instead (``smoothing.swapped_legs``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from posecheck.frame import PoseFrame
from posecheck.geometry import distance, torso_length_px
from posecheck.landmarks import LIMBS, Landmark, sided


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


@dataclass(frozen=True)
class RelabelSettings:
    """When a left-right pair of leg joints counts as handed across (left read where right
    just was, and right where left was) from one frame to the next.

    Attributes:
        ratio: the crossed pairing must put the two joints at most this share of the
            distance from the last frame's readings that the labelled pairing does.
        min_jump_torso: ... and nearer by at least this much in all (torso lengths), so
            that joints side by side are left alone.
        max_gap_s: frames further apart than this are not compared.
    """

    ratio: float = 0.5
    min_jump_torso: float = 0.15
    max_gap_s: float = 0.25


_LEG_PAIRS = [(sided(j, "left"), sided(j, "right")) for j in LIMBS["leg"]]


def handed_across(
    prev: PoseFrame, pose: PoseFrame, settings: RelabelSettings = RelabelSettings()
) -> list[tuple[Landmark, Landmark]]:
    """The leg joints (as left, right pairs) that ``pose`` labels crossed against
    ``prev``, the frame before (a reading, or the smoother's estimate of it)."""
    if not 0 < pose.timestamp_s - prev.timestamp_s <= settings.max_gap_s:
        return []
    torso = torso_length_px(pose)
    if not torso > 0:
        return []
    moved = []
    now, then = pose.xy, prev.xy
    for a, b in _LEG_PAIRS:  # in torso lengths
        labelled = distance(now[a], then[a], torso) + distance(now[b], then[b], torso)
        crossed = distance(now[a], then[b], torso) + distance(now[b], then[a], torso)
        if crossed < settings.ratio * labelled and labelled - crossed > settings.min_jump_torso:
            moved.append((a, b))
    return moved


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

    @property
    def estimate(self) -> tuple[np.ndarray, float] | None:
        """The filtered value and its time, once there is one."""
        if self._x is None or self._t is None:
            return None
        return self._x.copy(), self._t

    def reorder(self, order: np.ndarray) -> None:
        """Reorder the state's first axis (``order[i]``: whose state element ``i`` takes)."""
        if self._x is not None and self._dx is not None:
            self._x, self._dx = self._x[order], self._dx[order]

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

    Args:
        settings: the One Euro filter's settings.
        follow_swaps: when the model hands a leg joint to the other side's label
            (:func:`handed_across`), the filter's state follows it (False: each label is
            filtered as it comes, and the two legs blend for a few frames).
    """

    def __init__(self, settings: OneEuroSettings | None = None, follow_swaps: bool = True):
        self.settings = settings or OneEuroSettings()
        self.follow_swaps = follow_swaps
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
        if self.follow_swaps:
            self._follow_swaps(pose)
        return replace(
            pose,
            xy=self._xy(pose.xy, t),
            world=self._world(pose.world, t),
            visibility=np.clip(self._vis(pose.visibility, t), 0.0, 1.0),
        )

    def _follow_swaps(self, pose: PoseFrame) -> None:
        """Swap the filter's state between the leg joints that ``pose`` labels crossed
        against where the smoother has them (a handover spread over a few frames is
        caught too, which a comparison with the last reading alone would miss)."""
        estimate = self._xy.estimate
        if estimate is None:
            return
        xy, t = estimate
        swapped = handed_across(replace(pose, xy=xy, timestamp_s=t), pose)
        if swapped:
            order = np.arange(len(pose.xy))
            for a, b in swapped:
                order[a], order[b] = b, a
            for f in (self._xy, self._world, self._vis):
                f.reorder(order)


@dataclass(frozen=True)
class LookBack:
    """Reading a recorded video's opening again, backwards (``analyze`` and ``evaluate``;
    live cannot look back).

    The person detector can take a lying body's drawn-up legs for a person, and the
    tracker then keeps that reading for a second or two: a clip that starts straight into
    the exercise loses its first rep or hold, because the starting position is never
    seen. Read backwards, from the end of the opening, where the person has usually been
    in view for a while, the same frames are tracked from a good reading. The two readings
    are joined where they first agree.

    Attributes:
        seconds: how much of the opening is read again.
        agree: two readings of a frame agree when their shoulders, hips, knees and ankles
            are this close (median, in torso lengths).
        agree_for_s: the readings must agree this long in a row, so that both are known to
            follow the person there; before that, the backward reading is taken.
    """

    seconds: float = 6.0
    agree: float = 0.2
    agree_for_s: float = 1.0


_GAP_JOINTS = [
    Landmark[f"{side}_{joint}"]
    for side in ("LEFT", "RIGHT")
    for joint in ("SHOULDER", "HIP", "KNEE", "ANKLE")
]


def _reading_gap(a: PoseFrame, b: PoseFrame) -> float:
    """How far apart two readings of one frame are: median joint distance, torso lengths."""
    if not a.present and not b.present:
        return 0.0
    if not a.present or not b.present:
        return math.inf
    torso = torso_length_px(b)
    if not torso > 0:
        return math.inf
    return float(np.median(np.linalg.norm(a.xy[_GAP_JOINTS] - b.xy[_GAP_JOINTS], axis=1)) / torso)


def join_opening(
    forward: list[PoseFrame], backward: list[PoseFrame], settings: LookBack
) -> tuple[list[PoseFrame], float | None]:
    """The opening's poses: ``backward`` (the same frames read in reverse) up to where the
    two readings first agree for ``agree_for_s``, ``forward`` from there on.

    Returns the poses (as many as ``forward``) and the time up to which the backward
    reading was taken (None: the forward reading stands, as when they never agree).
    """
    n = min(len(forward), len(backward))
    if n < 2:
        return list(forward), None
    fps = (n - 1) / max(forward[n - 1].timestamp_s - forward[0].timestamp_s, 1e-6)
    need = max(1, int(math.ceil(settings.agree_for_s * fps)))
    run = 0
    for i in range(n):
        run = run + 1 if _reading_gap(forward[i], backward[i]) < settings.agree else 0
        if run >= need:
            start = i - run + 1
            if start == 0:
                return list(forward), None
            joined = [b if b.present else f for f, b in zip(forward[:start], backward)]
            return joined + list(forward[start:]), forward[start].timestamp_s
    return list(forward), None


LOOK_BACK = LookBack()  # the default
