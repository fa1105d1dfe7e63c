"""Motion scripts for the eight exercises (and negatives), with exact ground truth.

A script is a timeline of key poses: ``move`` blends to a pose (smoothstep), ``stay``
holds it. Ground truth (reps, holds, faults) is written by the script as it goes, so it
is exact by construction. Supine figures lie head towards +x, prone ones head towards
-x: with the figure's left side at +z that keeps left and right anatomically true.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from posecheck.synth.body import Body, Limb, Pose, lerp_pose

SIDES = ("left", "right")


def ik2(root, target, l1: float, l2: float, bend: float = 1.0) -> tuple[float, float]:
    """Two-link inverse kinematics in the x-y plane: absolute directions (deg) of both
    links reaching from ``root`` to ``target``; ``bend`` +1 puts the joint to the left of
    the root->target line (counter-clockwise), -1 to the right."""
    dx, dy = target[0] - root[0], target[1] - root[1]
    d = min(math.hypot(dx, dy), l1 + l2 - 1e-6)
    base = math.degrees(math.atan2(dy, dx))
    cos_a = (l1 * l1 + d * d - l2 * l2) / (2 * l1 * d)
    a = math.degrees(math.acos(max(-1.0, min(1.0, cos_a))))
    a1 = base + bend * a
    j = (root[0] + l1 * math.cos(math.radians(a1)), root[1] + l1 * math.sin(math.radians(a1)))
    a2 = math.degrees(math.atan2(target[1] - j[1], target[0] - j[0]))
    return a1, a2


@dataclass
class Script:
    """A timeline of poses with its ground truth."""

    body: Body
    pose: Pose
    tempo: float = 1.0
    keys: list[tuple[float, Pose]] = field(default_factory=list)
    holds: list[dict] = field(default_factory=list)
    faults: list[dict] = field(default_factory=list)
    reps: dict[str, int] = field(default_factory=lambda: {"total": 0, "left": 0, "right": 0})
    t: float = 0.0

    def __post_init__(self):
        self.keys.append((0.0, self.pose))

    def move(self, pose: Pose, seconds: float) -> Script:
        self.t += seconds * self.tempo
        self.keys.append((self.t, pose))
        self.pose = pose
        return self

    def stay(
        self, seconds: float, hold_side: str | None | bool = False, fault: str | None = None
    ) -> Script:
        """Keep the pose; ``hold_side`` (a side or None) marks it as a hold in the truth."""
        start = self.t
        self.t += seconds * self.tempo
        self.keys.append((self.t, self.pose))
        if hold_side is not False:
            self.holds.append(
                {"side": hold_side, "start_s": round(start, 3), "end_s": round(self.t, 3)}
            )
        if fault:
            self.faults.append(
                {"cue": fault, "start_s": round(start, 3), "end_s": round(self.t, 3)}
            )
        return self

    def fault_span(self, cue: str, start: float) -> None:
        self.faults.append({"cue": cue, "start_s": round(start, 3), "end_s": round(self.t, 3)})

    def rep(self, side: str | None = None) -> None:
        self.reps["total"] += 1
        if side:
            self.reps[side] += 1

    @property
    def duration(self) -> float:
        return self.t

    # Moves ease in and out (smoothstep), which reaches 10% of the way after 19.6% of a
    # move: the truth counts a hold as lasting while the pose is within 10% of the held one.
    EASE_10 = 0.196

    def truth_holds(self) -> list[dict]:
        """Holds as the truth gives them: each scripted hold, widened into the moves on
        either side for as long as the pose is within 10% of the way from the held pose."""
        moves = [(t0, t1) for (t0, p0), (t1, p1) in zip(self.keys, self.keys[1:]) if p0 is not p1]
        out = []
        for h in self.holds:
            start, end = h["start_s"], h["end_s"]
            before = [t1 - t0 for t0, t1 in moves if abs(t1 - start) < 1e-3]
            after = [t1 - t0 for t0, t1 in moves if abs(t0 - end) < 1e-3]
            start -= self.EASE_10 * before[0] if before else 0.0
            end += self.EASE_10 * after[0] if after else 0.0
            out.append({"side": h["side"], "start_s": round(start, 3), "end_s": round(end, 3)})
        return out

    def at(self, t: float) -> Pose:
        keys = self.keys
        if t <= keys[0][0]:
            return keys[0][1]
        for (t0, p0), (t1, p1) in zip(keys, keys[1:]):
            if t <= t1:
                if t1 - t0 < 1e-9:
                    return p1
                w = (t - t0) / (t1 - t0)
                return lerp_pose(p0, p1, w * w * (3 - 2 * w))
        return keys[-1][1]


# ----------------------------------------------------------------- key poses
FLOOR_SHOULDER = 0.11


def _legs_to(
    body: Body,
    hip: tuple[float, float],
    ankle: tuple[float, float],
    bend: float,
    foot: float = 180.0,
    roll: float = 0.0,
) -> Limb:
    a1, a2 = ik2(hip, ankle, body.thigh, body.shin, bend)
    return Limb((a1, 0.0), (a2, 0.0), (foot, 0.0), roll)


def _arm_to(body: Body, shoulder, target, bend: float, spread: float = 8.0) -> Limb:
    a1, a2 = ik2(shoulder, target, body.upper_arm, body.forearm, bend)
    return Limb((a1, spread), (a2, spread))


def supine(
    body: Body,
    lift_deg: float = 0.0,
    feet_x: float = -0.42,
    arch: float = 0.01,
    pelvis_dy: float = 0.0,
    arms: str = "sides",
    slide: float = 0.0,
) -> Pose:
    """On the back, head to +x, knees bent, feet flat at ``feet_x``. ``lift_deg`` tilts the
    torso up from the shoulders (a bridge lifts the hips, the shoulders stay down);
    ``slide`` moves the body (not the feet) towards the head."""
    shoulder = (body.torso + slide, FLOOR_SHOULDER)
    a = math.radians(lift_deg)
    pelvis = (
        shoulder[0] - body.torso * math.cos(a),
        shoulder[1] + body.torso * math.sin(a) + pelvis_dy,
    )
    torso = math.degrees(math.atan2(shoulder[1] - pelvis[1], shoulder[0] - pelvis[0]))
    ankle = (feet_x, 0.075)
    legs = {s: _legs_to(body, pelvis, ankle, -1.0) for s in SIDES}
    if arms == "sides":
        arm = {s: Limb((180.0 + lift_deg * 0.3, 12.0), (180.0, 10.0)) for s in SIDES}
    else:  # T
        arm = {s: Limb((180.0, 88.0), (180.0, 88.0)) for s in SIDES}
    return Pose(
        pelvis=pelvis,
        torso=torso,
        arch=arch,
        neck=torso * 0.5,
        face=90.0,
        face_turn=0.0,
        legs=legs,
        arms=arm,
    )


def knee_hug(body: Body, side: str, hip_deg: float = 52.0, other_lift: float = 0.0) -> Pose:
    base = supine(body, arch=0.0)
    pelvis = base.pelvis
    # thigh pulled towards the chest: hip angle = angle between torso (0 deg) and thigh
    thigh = hip_deg
    knee = (
        pelvis[0] + body.thigh * math.cos(math.radians(thigh)),
        pelvis[1] + body.thigh * math.sin(math.radians(thigh)),
    )
    shin = thigh + 180 - 75  # knee bent ~75 deg
    legs = dict(base.legs)
    legs[side] = Limb((thigh, 0.0), (shin, 0.0), (shin + 100, 0.0))
    other = "right" if side == "left" else "left"
    if other_lift:
        legs[other] = _legs_to(body, pelvis, (-0.5, 0.075 + other_lift), -1.0, foot=190)
    # hands clasped just below the knee
    shoulder = (body.torso, FLOOR_SHOULDER)
    grip = (knee[0] + 0.04, knee[1] - 0.07)
    arms = {
        s: _arm_to(body, shoulder, grip, -1.0, spread=4.0 if s == side else 14.0) for s in SIDES
    }
    return replace(base, legs=legs, arms=arms)


def hamstring(body: Body, side: str, raise_deg: float = 70.0, knee_bend: float = 8.0) -> Pose:
    base = supine(body, arch=0.0)
    pelvis = base.pelvis
    thigh = 180.0 - raise_deg  # raised leg towards the ceiling, foot over the hips
    shin = thigh - knee_bend
    legs = dict(base.legs)
    legs[side] = Limb((thigh, 0.0), (shin, 0.0), (shin + 90, 0.0))
    # hands hold a strap half way up the shin
    knee = (
        pelvis[0] + body.thigh * math.cos(math.radians(thigh)),
        pelvis[1] + body.thigh * math.sin(math.radians(thigh)),
    )
    grip = (
        knee[0] + 0.18 * math.cos(math.radians(shin)) + 0.05,
        knee[1] + 0.18 * math.sin(math.radians(shin)) - 0.12,
    )
    shoulder = (body.torso, FLOOR_SHOULDER)
    arms = {s: _arm_to(body, shoulder, grip, -1.0, spread=6.0) for s in SIDES}
    return replace(base, legs=legs, arms=arms)


def knees_up(body: Body, roll: float = 0.0, shoulder_lift: str | None = None) -> Pose:
    """Spine twist: arms in a T, knees drawn up together, rolled to a side (+ = left)."""
    base = supine(body, arms="T", arch=0.0)
    pelvis = base.pelvis
    legs = {s: Limb((100.0, 0.0), (185.0, 0.0), (270.0, 0.0), roll) for s in SIDES}
    lift = {shoulder_lift: 0.12} if shoulder_lift else {}
    return replace(
        base, legs=legs, shoulder_lift=lift, roll=0.0, pelvis=(pelvis[0], pelvis[1] + 0.01)
    )


def prone(body: Body, chest_deg: float = 0.0, hips_up: float = 0.0) -> Pose:
    """On the stomach, head to -x, hands under the shoulders; ``chest_deg`` lifts the chest
    (cobra), ``hips_up`` lifts the hips off the floor (a fault)."""
    pelvis = (0.35, 0.10 + hips_up)
    a = math.radians(chest_deg)
    torso = 180.0 - chest_deg
    shoulder = (pelvis[0] - body.torso * math.cos(a), pelvis[1] + body.torso * math.sin(a))
    hand = (0.35 - body.torso - 0.02 + 0.10, 0.03)
    arms = {
        s: _arm_to(body, shoulder, hand, 1.0 if chest_deg < 25 else -1.0, spread=14.0)
        for s in SIDES
    }
    # knees stay on the floor: lifting the hips tilts the thighs down to them
    thigh = -math.degrees(math.asin(min(0.9, max(0.0, pelvis[1] - 0.07) / body.thigh)))
    legs = {s: Limb((thigh, 2.0), (0.0, 2.0), (-20.0, 0.0)) for s in SIDES}
    return Pose(
        pelvis=pelvis,
        torso=torso,
        arch=0.0,
        neck=torso - 10 - chest_deg * 0.3,
        face=180.0 + 35 - chest_deg * 0.9,
        face_turn=0.0,
        legs=legs,
        arms=arms,
    )


def tabletop(
    body: Body, arch: float = 0.0, head: str = "level", hands_dx: float = 0.0, knees_dx: float = 0.0
) -> Pose:
    """On hands and knees, head to -x: knees under hips, wrists under shoulders."""
    hip_y = body.thigh + 0.06
    pelvis = (0.25 + knees_dx, hip_y)
    shoulder_y = body.upper_arm + body.forearm + 0.07
    dx = math.sqrt(max(body.torso**2 - (shoulder_y - hip_y) ** 2, 0.01))
    torso = math.degrees(math.atan2(shoulder_y - hip_y, -dx))
    shoulder = (pelvis[0] - dx, shoulder_y)
    knee = (0.25, 0.06)
    legs = {
        s: Limb(
            (math.degrees(math.atan2(knee[1] - hip_y, knee[0] - pelvis[0])), 0.0),
            (2.0, 0.0),
            (-5.0, 0.0),
        )
        for s in SIDES
    }
    hand = (shoulder[0] + hands_dx, 0.03)
    arms = {s: _arm_to(body, shoulder, hand, 1.0, spread=6.0) for s in SIDES}
    # Head angles as real people move: up ~50 deg in the cow, down ~20 deg in the cat.
    neck, face = {"level": (190.0, 235.0), "up": (128.0, 150.0), "down": (207.0, 255.0)}[head]
    return Pose(
        pelvis=pelvis,
        torso=torso,
        arch=arch,
        neck=neck,
        face=face,
        face_turn=0.0,
        legs=legs,
        arms=arms,
    )


def child(body: Body, arms_forward: bool = True, fold: float = 1.0) -> Pose:
    """Kneeling, hips back towards the heels, chest down, arms reaching forward (head -x)."""
    knee = (0.1, 0.06)
    pelvis = (knee[0] + 0.22 * fold + 0.05, 0.26 + 0.2 * (1 - fold))
    torso = 180.0 + 28.0 * fold
    legs = {
        s: Limb(
            (math.degrees(math.atan2(knee[1] - pelvis[1], knee[0] - pelvis[0])), 0.0),
            (2.0, 0.0),
            (-8.0, 0.0),
        )
        for s in SIDES
    }
    if arms_forward:
        arms = {s: Limb((185.0 + 10 * fold, 10.0), (180.0, 8.0)) for s in SIDES}
    else:
        arms = {s: Limb((20.0, 14.0), (5.0, 12.0)) for s in SIDES}
    return Pose(
        pelvis=pelvis,
        torso=torso,
        arch=0.04 * fold,
        neck=torso + 20,
        face=250.0,
        face_turn=35.0,
        legs=legs,
        arms=arms,
    )


def kneel_up(body: Body) -> Pose:
    p = child(body, fold=0.0)
    return replace(
        p,
        torso=95.0,
        neck=95.0,
        face=180.0,
        face_turn=20.0,
        arms={s: Limb((265.0, 10.0), (270.0, 10.0)) for s in SIDES},
    )


def standing(body: Body, squat: float = 0.0) -> Pose:
    """Standing facing -x; ``squat`` in [0, 1] bends hips and knees."""
    hip_h = body.thigh + body.shin + 0.07
    drop = squat * 0.45
    pelvis = (0.0 + squat * 0.18, hip_h - drop)
    legs = {s: _legs_to(body, pelvis, (0.0, 0.075), 1.0, foot=180.0) for s in SIDES}
    torso = 90.0 + 35.0 * squat
    arms = {s: Limb((270.0 - 80 * squat, 8.0), (270.0 - 90 * squat, 8.0)) for s in SIDES}
    return Pose(
        pelvis=pelvis, torso=torso, neck=95.0, face=180.0, face_turn=15.0, legs=legs, arms=arms
    )


def sitting(body: Body) -> Pose:
    pelvis = (0.1, 0.12)
    legs = {s: Limb((185.0, 4.0), (180.0, 4.0), (100.0, 0.0)) for s in SIDES}
    arms = {s: Limb((250.0, 14.0), (230.0, 14.0)) for s in SIDES}
    return Pose(
        pelvis=pelvis, torso=95.0, neck=92.0, face=180.0, face_turn=20.0, legs=legs, arms=arms
    )
