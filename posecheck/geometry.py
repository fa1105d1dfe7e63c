"""Pure geometry on landmark coordinates (numpy only, no drawing, no state).

Image coordinates: x to the right, y down (pixels). World coordinates: MediaPipe's metric
frame centred between the hips, in the camera's orientation. A function of points returns
NaN when an input point is NaN, so missing landmarks propagate instead of raising (the
torso length and the facing side and view use what they can see).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from posecheck.frame import PoseFrame
from posecheck.landmarks import Landmark

L, R = "left", "right"


def angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle ABC at vertex ``b`` in degrees, in [0, 180]; 2-D or 3-D points."""
    ba = np.asarray(a, float) - np.asarray(b, float)
    bc = np.asarray(c, float) - np.asarray(b, float)
    nba, nbc = np.linalg.norm(ba), np.linalg.norm(bc)
    if not (nba > 0 and nbc > 0):
        return float("nan")
    cos = float(np.dot(ba, bc) / (nba * nbc))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def elevation_deg(a: np.ndarray, b: np.ndarray) -> float:
    """Angle of segment a->b above the image horizontal, in [-90, 90].

    Positive when ``b`` is higher in the picture than ``a`` (image y points down).
    The floor is taken as horizontal in the image, as it is for a level camera.
    """
    dx = float(b[0] - a[0])
    dy = float(a[1] - b[1])
    if not (np.isfinite(dx) and np.isfinite(dy)) or (dx == 0 and dy == 0):
        return float("nan")
    return float(np.degrees(np.arctan2(dy, abs(dx))))


def inclination_deg(a: np.ndarray, b: np.ndarray) -> float:
    """Unsigned angle between segment a-b and the image horizontal, in [0, 90]."""
    e = elevation_deg(a, b)
    return abs(e) if np.isfinite(e) else e


def midpoint(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (np.asarray(a, float) + np.asarray(b, float)) / 2.0


def torso_length_px(pose: PoseFrame) -> float:
    """The torso's length in pixels, the unit of normalised distances: the longest of
    shoulder-mid to hip-mid and the two sides' shoulder to hip (a torso seen turned reads
    short on one of them, never long); NaN when none can be measured."""
    mid = np.linalg.norm(
        midpoint(pose.xy[Landmark.LEFT_SHOULDER], pose.xy[Landmark.RIGHT_SHOULDER])
        - midpoint(pose.xy[Landmark.LEFT_HIP], pose.xy[Landmark.RIGHT_HIP])
    )
    sides = [
        np.linalg.norm(pose.xy[Landmark.LEFT_SHOULDER] - pose.xy[Landmark.LEFT_HIP]),
        np.linalg.norm(pose.xy[Landmark.RIGHT_SHOULDER] - pose.xy[Landmark.RIGHT_HIP]),
    ]
    best = np.nanmax([mid, *sides]) if np.isfinite([mid, *sides]).any() else float("nan")
    return float(best)


def torso_length_m(pose: PoseFrame) -> float:
    """Shoulder-mid to hip-mid distance in world metres."""
    return float(
        np.linalg.norm(
            midpoint(pose.world[Landmark.LEFT_SHOULDER], pose.world[Landmark.RIGHT_SHOULDER])
            - midpoint(pose.world[Landmark.LEFT_HIP], pose.world[Landmark.RIGHT_HIP])
        )
    )


def distance(a: np.ndarray, b: np.ndarray, unit: float) -> float:
    """Distance a-b divided by ``unit`` (e.g. the torso length)."""
    if not (unit and np.isfinite(unit)):
        return float("nan")
    return float(np.linalg.norm(np.asarray(a, float) - np.asarray(b, float)) / unit)


def height_above(a: np.ndarray, b: np.ndarray, unit: float) -> float:
    """How far ``a`` is above ``b`` in the picture, in units (negative when below)."""
    if not (unit and np.isfinite(unit)):
        return float("nan")
    return float((b[1] - a[1]) / unit)


def lateral_offset(pose: PoseFrame, a_left: Landmark, a_right: Landmark) -> float:
    """Offset of the midpoint of a landmark pair from the hip midpoint, along the person's
    own right-to-left axis (world coordinates), in torso lengths.

    Positive when the pair has moved to the person's left: e.g. knees lowered to the left
    in a spine twist. View-independent as far as MediaPipe's depth estimate is right.
    """
    w = pose.world
    hip_mid = midpoint(w[Landmark.LEFT_HIP], w[Landmark.RIGHT_HIP])
    axis = w[Landmark.LEFT_HIP] - w[Landmark.RIGHT_HIP]
    n = np.linalg.norm(axis)
    torso = torso_length_m(pose)
    if not (n > 0 and torso > 0):
        return float("nan")
    offset = midpoint(w[a_left], w[a_right]) - hip_mid
    return float(np.dot(offset, axis / n) / torso)


_SIDE_JOINTS = {
    L: (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP, Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    R: (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
}


def facing_side(pose: PoseFrame) -> str:
    """Which of the person's sides faces the camera: ``"left"`` or ``"right"``.

    Uses world depth (the nearer side has the smaller z) and, as a tie-breaker,
    visibility.
    """
    zl = np.nanmean(pose.world[list(_SIDE_JOINTS[L]), 2])
    zr = np.nanmean(pose.world[list(_SIDE_JOINTS[R]), 2])
    vl = float(np.mean(pose.visibility[list(_SIDE_JOINTS[L])]))
    vr = float(np.mean(pose.visibility[list(_SIDE_JOINTS[R])]))
    if np.isfinite(zl) and np.isfinite(zr) and abs(zl - zr) > 0.02:
        return L if zl < zr else R
    return L if vl >= vr else R


def side_view_deg(pose: PoseFrame) -> float:
    """How side-on the camera sees the body: 90 = pure side view, 0 = facing the body's
    front, back, top or feet (the left-right axis lies across the picture).

    Angle between the person's left-right axis (mean of the shoulder and hip axes, world
    coordinates) and the image plane.
    """
    w = pose.world
    axis = (w[Landmark.LEFT_SHOULDER] - w[Landmark.RIGHT_SHOULDER]) + (
        w[Landmark.LEFT_HIP] - w[Landmark.RIGHT_HIP]
    )
    if not np.isfinite(axis).all() or not np.linalg.norm(axis) > 0:
        return float("nan")
    return float(np.degrees(np.arctan2(abs(axis[2]), np.hypot(axis[0], axis[1]))))


def classify_view(pose: PoseFrame, side_min_deg: float = 50.0, front_max_deg: float = 25.0) -> str:
    """``"side"``, ``"oblique"`` or ``"front"`` (front, back, top or feet end)."""
    deg = side_view_deg(pose)
    if not np.isfinite(deg):
        return "unknown"
    if deg >= side_min_deg:
        return "side"
    if deg <= front_max_deg:
        return "front"
    return "oblique"


def forward_offset(pose: PoseFrame, a: np.ndarray, b: np.ndarray, space: str = "image") -> float:
    """Offset of point ``a`` from point ``b`` along the body axis (hips towards shoulders),
    in torso lengths: positive when ``a`` is further towards the head end than ``b``.

    E.g. wrist vs shoulder on all fours: about 0 when the hands are under the shoulders,
    positive when they reach forward (child's pose).
    """
    pts = pose.world if space == "world" else pose.xy
    shoulders = midpoint(pts[Landmark.LEFT_SHOULDER], pts[Landmark.RIGHT_SHOULDER])
    hips = midpoint(pts[Landmark.LEFT_HIP], pts[Landmark.RIGHT_HIP])
    axis = shoulders - hips
    n = float(np.linalg.norm(axis))
    if not n > 0:
        return float("nan")
    return float(np.dot(np.asarray(a, float) - np.asarray(b, float), axis / n) / n)


def lateral_offset_image(
    pose: PoseFrame, a_left: Landmark, a_right: Landmark, min_hip_ratio: float = 0.12
) -> float:
    """Like :func:`lateral_offset`, in the picture, in hip widths: the pair's midpoint
    offset from the hip midpoint, written in the picture's own (possibly skewed) basis of
    the body axis (hips to shoulders) and the right-to-left hip axis; the hip-axis part is
    returned. Positive = towards the person's left.

    Needs a view that sees across the hips (feet end, oblique, from above); NaN when the
    hips overlap in the picture (a pure side view), where only depth could tell.
    """
    xy = pose.xy
    hip_mid = midpoint(xy[Landmark.LEFT_HIP], xy[Landmark.RIGHT_HIP])
    hips = xy[Landmark.LEFT_HIP] - xy[Landmark.RIGHT_HIP]
    body = midpoint(xy[Landmark.LEFT_SHOULDER], xy[Landmark.RIGHT_SHOULDER]) - hip_mid
    torso = float(np.linalg.norm(body))
    if not (torso > 0 and np.linalg.norm(hips) >= min_hip_ratio * torso):
        return float("nan")
    basis = np.column_stack([body, hips])
    if abs(np.linalg.det(basis)) < 1e-6 * torso * torso:
        return float("nan")
    _, lateral = np.linalg.solve(basis, midpoint(xy[a_left], xy[a_right]) - hip_mid)
    return float(lateral)


def body_axis_deg(pose: PoseFrame) -> float:
    """Direction of the body in the picture, hips to shoulders, degrees (image axes)."""
    xy = pose.xy
    hips = midpoint(xy[Landmark.LEFT_HIP], xy[Landmark.RIGHT_HIP])
    axis = midpoint(xy[Landmark.LEFT_SHOULDER], xy[Landmark.RIGHT_SHOULDER]) - hips
    return float(np.degrees(np.arctan2(axis[1], axis[0])))


def mean_angle_deg(angles: Sequence[float]) -> float:
    """The mean direction of angles in degrees (359 and 1 average to 0, not 180)."""
    rad = np.radians(np.asarray(angles, float))
    return float(np.degrees(np.arctan2(np.nanmean(np.sin(rad)), np.nanmean(np.cos(rad)))))
