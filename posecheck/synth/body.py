"""The figure: body proportions and a pose -> 3-D joint positions (forward kinematics).

World frame (metres): x along the mat, y up, z to the person's left when the person lies
along x with the head towards -x. A pose gives each segment's direction as two angles:
``a`` in the x-y (sagittal) plane, degrees from +x towards +y, and an outward lateral
angle ``b`` (towards the person's own side). This covers every exercise of the article:
lying, kneeling, on hands and knees, twisting the knees to one side, arms in a T.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

SIDE_SIGN = {"left": 1.0, "right": -1.0}


@dataclass(frozen=True)
class Body:
    """Segment lengths and radii (m); scaled per seed for variety."""

    torso: float = 0.50
    hip_half: float = 0.095
    shoulder_half: float = 0.175
    neck: float = 0.10
    head_r: float = 0.105
    upper_arm: float = 0.29
    forearm: float = 0.26
    hand: float = 0.09
    thigh: float = 0.43
    shin: float = 0.42
    foot: float = 0.20
    r_chest: float = 0.105
    r_waist: float = 0.10
    r_upper_arm: float = 0.045
    r_forearm: float = 0.036
    r_thigh: float = 0.07
    r_shin: float = 0.048
    r_foot: float = 0.038
    r_neck: float = 0.05

    def scaled(self, k: float, girth: float = 1.0) -> Body:
        vals = {}
        for name, v in self.__dict__.items():
            vals[name] = v * k * (girth if name.startswith("r_") else 1.0)
        return Body(**vals)


@dataclass(frozen=True)
class Limb:
    """Directions (a, b) in degrees of a limb's two or three segments."""

    upper: tuple[float, float] = (270.0, 0.0)
    lower: tuple[float, float] = (270.0, 0.0)
    end: tuple[float, float] = (0.0, 0.0)
    roll: float = 0.0  # rotation of the whole limb about the x axis at its root, degrees


@dataclass(frozen=True)
class Pose:
    """Everything that places the figure. Angles in degrees, positions in metres."""

    pelvis: tuple[float, float] = (0.0, 0.12)
    torso: float = 180.0  # direction pelvis -> shoulders
    arch: float = 0.0  # mid-back offset upwards (m): + rounds the back (cat), - sags (cow)
    roll: float = 0.0  # torso roll about its long axis (shoulder lift), degrees
    neck: float = 180.0  # direction shoulders -> head
    face: float = 90.0  # direction the face looks (sagittal angle)
    face_turn: float = 0.0  # face turned towards the person's left (+) or right (-), degrees
    legs: dict[str, Limb] = field(default_factory=dict)
    arms: dict[str, Limb] = field(default_factory=dict)
    shoulder_lift: dict[str, float] = field(default_factory=dict)  # metres, per side

    def leg(self, side: str) -> Limb:
        return self.legs.get(side, Limb())

    def arm(self, side: str) -> Limb:
        return self.arms.get(side, Limb())


def _dir(a: float, b: float, side_sign: float) -> np.ndarray:
    ar, br = math.radians(a), math.radians(b)
    return np.array(
        [math.cos(ar) * math.cos(br), math.sin(ar) * math.cos(br), side_sign * math.sin(br)]
    )


def _roll_x(v: np.ndarray, deg: float) -> np.ndarray:
    """Rotate about the x axis: positive turns +y towards +z (the person's left)."""
    r = math.radians(deg)
    c, s = math.cos(r), math.sin(r)
    return np.array([v[0], c * v[1] - s * v[2], s * v[1] + c * v[2]])


def joints(body: Body, pose: Pose) -> dict[str, np.ndarray]:
    """3-D positions of the figure's joints."""
    j: dict[str, np.ndarray] = {}
    p = np.array([pose.pelvis[0], pose.pelvis[1], 0.0])
    t = _dir(pose.torso, 0, 1)
    s = p + body.torso * t
    j["pelvis_c"], j["shoulder_c"] = p, s
    j["mid_back"] = (p + s) / 2 + np.array([0.0, pose.arch, 0.0])
    lat = np.array([0.0, 0.0, 1.0])
    lat_sh = _roll_x(lat, pose.roll)
    for side, sg in SIDE_SIGN.items():
        j[f"{side}_hip"] = p + sg * body.hip_half * lat
        j[f"{side}_shoulder"] = (
            s
            + sg * body.shoulder_half * lat_sh
            + np.array([0, pose.shoulder_lift.get(side, 0.0), 0])
        )
    neck_d = _dir(pose.neck, 0, 1)
    j["neck_base"] = s
    head = s + (body.neck + body.head_r) * neck_d
    j["head"] = head
    f = _dir(pose.face, pose.face_turn, 1)
    j["nose"] = head + body.head_r * 1.0 * f
    up_h = neck_d  # the head's own "up" is along the neck direction
    for side, sg in SIDE_SIGN.items():
        j[f"{side}_eye"] = head + body.head_r * (0.82 * f + 0.30 * up_h + 0.35 * sg * lat)
        j[f"{side}_ear"] = head + body.head_r * (0.98 * sg * lat - 0.1 * f)
    for side, sg in SIDE_SIGN.items():
        leg = pose.leg(side)
        hip = j[f"{side}_hip"]
        d1 = _roll_x(_dir(*leg.upper, sg), sg * 0 + leg.roll)
        knee = hip + body.thigh * d1
        d2 = _roll_x(_dir(*leg.lower, sg), leg.roll)
        ankle = knee + body.shin * d2
        d3 = _roll_x(_dir(*leg.end, sg), leg.roll)
        j[f"{side}_knee"], j[f"{side}_ankle"] = knee, ankle
        j[f"{side}_heel"] = ankle - 0.25 * body.foot * d3 + np.array([0, -0.02, 0]) * 0
        j[f"{side}_toe"] = ankle + 0.75 * body.foot * d3
        arm = pose.arm(side)
        sh = j[f"{side}_shoulder"]
        e = sh + body.upper_arm * _roll_x(_dir(*arm.upper, sg), arm.roll)
        w = e + body.forearm * _roll_x(_dir(*arm.lower, sg), arm.roll)
        j[f"{side}_elbow"], j[f"{side}_wrist"] = e, w
        j[f"{side}_hand"] = w + body.hand * _roll_x(_dir(*arm.lower, sg), arm.roll)
    return j


def lerp_pose(a: Pose, b: Pose, w: float) -> Pose:
    """Blend two poses (angles and positions linearly), w in [0, 1]."""

    def mix(x, y):
        return x + (y - x) * w

    def mix_t(x, y):
        return tuple(mix(u, v) for u, v in zip(x, y))

    def mix_limb(x: Limb, y: Limb) -> Limb:
        return Limb(
            mix_t(x.upper, y.upper),
            mix_t(x.lower, y.lower),
            mix_t(x.end, y.end),
            mix(x.roll, y.roll),
        )

    return replace(
        a,
        pelvis=mix_t(a.pelvis, b.pelvis),
        torso=mix(a.torso, b.torso),
        arch=mix(a.arch, b.arch),
        roll=mix(a.roll, b.roll),
        neck=mix(a.neck, b.neck),
        face=mix(a.face, b.face),
        face_turn=mix(a.face_turn, b.face_turn),
        legs={s: mix_limb(a.leg(s), b.leg(s)) for s in SIDE_SIGN},
        arms={s: mix_limb(a.arm(s), b.arm(s)) for s in SIDE_SIGN},
        shoulder_lift={
            s: mix(a.shoulder_lift.get(s, 0.0), b.shoulder_lift.get(s, 0.0)) for s in SIDE_SIGN
        },
    )
