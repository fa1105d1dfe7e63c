"""Builders of constructed poses for table-style tests.

``pose_from_points`` takes named joints in pixels; side-less names (``"knee"``) place both
sides at the same spot, as a camera sees them from the side. World coordinates are made
from the pixels, with the near side ``facing`` the camera (smaller z), so view and side
logic work as for a real side view.
"""

from __future__ import annotations

import math

import numpy as np

from posecheck.frame import PoseFrame
from posecheck.landmarks import NUM_LANDMARKS, SIDED_JOINTS, Landmark

SIZE = (640, 480)


def pose_from_points(
    points: dict[str, tuple[float, float]],
    t: float = 0.0,
    size: tuple[int, int] = SIZE,
    facing: str = "left",
    depth_m: float = 0.12,
    visibility: float = 0.99,
    hidden: tuple[str, ...] = (),
    view: str = "side",
) -> PoseFrame:
    """A pose from joint pixel positions; unnamed landmarks are invisible at the centre.

    Args:
        points: ``{"hip": (x, y), "left_knee": (x, y), ...}``; side-less names set both sides.
        facing: the person's side nearer the camera (``view="side"``).
        view: ``"side"`` puts the left-right axis along the camera's depth;
            ``"front"`` across the picture, ``"oblique"`` half-way (the pixel positions
            are used as given).
        hidden: landmark names given visibility 0.
    """
    xy = np.tile(np.array(size, float) / 2, (NUM_LANDMARKS, 1))
    vis = np.zeros(NUM_LANDMARKS)
    named: dict[Landmark, tuple[float, float]] = {}
    for name, p in points.items():
        if name in SIDED_JOINTS:
            named[Landmark[f"LEFT_{name.upper()}"]] = p
            named[Landmark[f"RIGHT_{name.upper()}"]] = p
        else:
            named[Landmark[name.upper()]] = p
    for lm, p in named.items():
        xy[lm] = p
        vis[lm] = visibility
    for name in hidden:
        vis[Landmark[name.upper()]] = 0.0
    scale = size[1] / 1.8  # ~1.8 m of scene across the picture height
    world = np.zeros((NUM_LANDMARKS, 3))
    world[:, 0] = (xy[:, 0] - size[0] / 2) / scale
    world[:, 1] = (xy[:, 1] - size[1] / 2) / scale
    for lm in Landmark:
        side = (
            "left"
            if lm.name.startswith("LEFT")
            else "right"
            if lm.name.startswith("RIGHT")
            else None
        )
        if side is None:
            continue
        if view in ("side", "oblique"):
            world[lm, 2] = -depth_m if side == facing else depth_m
        if view == "oblique":  # half-way between: the axis at 45 degrees to the picture
            world[lm, 0] += -depth_m if side == "right" else depth_m
        elif view != "side":
            world[lm, 0] += (-depth_m if side == "right" else depth_m) * 1.5
    return PoseFrame(timestamp_s=t, image_size=size, xy=xy, world=world, visibility=vis)


def chain(start: tuple[float, float], *segments: tuple[float, float]) -> list[tuple[float, float]]:
    """Points along a chain of (length px, direction deg) segments; direction 0 = image
    right, 90 = up (image y is down)."""
    pts = [start]
    x, y = start
    for length, deg in segments:
        x += length * math.cos(math.radians(deg))
        y -= length * math.sin(math.radians(deg))
        pts.append((x, y))
    return pts


def supine(
    hip_deg: float = 120.0,
    knee_deg: float = 90.0,
    hip_lift_px: float = 0.0,
    head_left: bool = True,
    t: float = 0.0,
    **kw,
) -> PoseFrame:
    """A person lying on the back, side view, knees bent: ``hip_deg`` is the angle
    shoulder-hip-knee, ``knee_deg`` hip-knee-ankle; ``hip_lift_px`` raises the hips
    (shoulders stay on the floor) as in a bridge."""
    floor = 400.0
    torso, thigh, shin = 170.0, 130.0, 120.0
    sgn = 1 if head_left else -1
    shoulder = (320 - sgn * 150, floor - 20)
    lift = math.degrees(math.asin(min(1.0, hip_lift_px / torso)))
    # torso direction from shoulder to hip (towards the feet)
    torso_dir = (0 if head_left else 180) + (lift if head_left else -lift)
    _, hip = chain(shoulder, (torso, torso_dir))
    # thigh direction: turn from the hip->shoulder direction by hip_deg
    back = torso_dir + 180
    thigh_dir = back - hip_deg if head_left else back + hip_deg
    _, knee = chain(hip, (thigh, thigh_dir))
    shin_dir = thigh_dir + 180 + knee_deg if head_left else thigh_dir + 180 - knee_deg
    _, ankle = chain(knee, (shin, shin_dir))
    head = (shoulder[0] - sgn * 60, floor - 25)  # the ear; the face turned to the ceiling
    points = {
        "ear": head,
        "nose": (head[0] - sgn * 8, head[1] - 20),
        "eye": (head[0] - sgn * 2, head[1] - 16),
        "eye_inner": (head[0] - sgn * 4, head[1] - 17),
        "eye_outer": (head[0], head[1] - 15),
        "mouth_left": (head[0] - sgn * 14, head[1] - 12),
        "mouth_right": (head[0] - sgn * 14, head[1] - 12),
        "shoulder": shoulder,
        "elbow": (shoulder[0] + sgn * 90, floor - 10),
        "wrist": (shoulder[0] + sgn * 170, floor - 8),
        "index": (shoulder[0] + sgn * 185, floor - 8),
        "hip": hip,
        "knee": knee,
        "ankle": ankle,
        "heel": (ankle[0] - sgn * 10, ankle[1] + 8),
        "foot_index": (ankle[0] + sgn * 30, ankle[1] + 8),
        "pinky": (shoulder[0] + sgn * 180, floor - 8),
        "thumb": (shoulder[0] + sgn * 180, floor - 10),
    }
    return pose_from_points(points, t=t, **kw)


def with_points(pose: PoseFrame, points: dict[str, tuple[float, float]]) -> PoseFrame:
    """A copy of ``pose`` with some landmarks moved (full names, e.g. ``left_knee``)."""
    xy = pose.xy.copy()
    world = pose.world.copy()
    scale = pose.image_size[1] / 1.8
    for name, (x, y) in points.items():
        lm = Landmark[name.upper()]
        xy[lm] = (x, y)
        world[lm, 0] = (x - pose.image_size[0] / 2) / scale
        world[lm, 1] = (y - pose.image_size[1] / 2) / scale
    return PoseFrame(pose.timestamp_s, pose.image_size, xy, world, pose.visibility.copy())


def knee_hug(
    side: str = "left",
    hip_deg: float = 50.0,
    other_foot_up: float = 0.0,
    other_straight: bool = False,
    t: float = 0.0,
) -> PoseFrame:
    """Lying on the back (head to image left), legs resting bent; one knee pulled towards
    the chest to ``hip_deg`` (angle shoulder-hip-knee). ``other_foot_up`` lifts the other
    ankle by that many pixels; ``other_straight`` lays the other leg straight along the
    floor."""
    base = supine(hip_deg=130.0, knee_deg=100.0, t=t)
    hip = tuple(base.xy[Landmark[f"{side.upper()}_HIP"]])
    # thigh direction measured from the hip->shoulder direction (180 deg, image left)
    _, knee, ankle = chain(hip, (130.0, 180.0 - hip_deg), (120.0, -hip_deg - 60.0))
    other = "right" if side == "left" else "left"
    moved = {
        f"{side}_knee": knee,
        f"{side}_ankle": ankle,
        f"{side}_heel": (ankle[0] - 10, ankle[1] + 8),
        f"{side}_foot_index": (ankle[0] + 30, ankle[1]),
    }
    if other_foot_up:
        a = base.xy[Landmark[f"{other.upper()}_ANKLE"]]
        moved[f"{other}_ankle"] = (a[0], a[1] - other_foot_up)
    if other_straight:
        _, o_knee, o_ankle = chain(hip, (130.0, -3.0), (120.0, -3.0))
        moved |= {f"{other}_knee": o_knee, f"{other}_ankle": o_ankle}
        moved[f"{other}_heel"] = (o_ankle[0] + 5, o_ankle[1] + 5)
        moved[f"{other}_foot_index"] = (o_ankle[0] + 10, o_ankle[1] - 25)
    return with_points(base, moved)


def _facing_left(
    floor: float,
    joints: dict[str, tuple[float, float]],
    nose: tuple[float, float],
    heel: tuple[float, float],
    toe_dx: float,
) -> dict[str, tuple[float, float]]:
    """The points of a side view with the head to image left, from the main joints
    (``ear``, ``shoulder``, ``elbow``, ``wrist``, ``hip``, ``knee``, ``ankle``): the nose
    and the heel at these offsets from the ear and the ankle, the eye between ear and
    nose, the toes ``toe_dx`` beyond the ankle on the floor."""
    ear, ankle = joints["ear"], joints["ankle"]
    points = dict(joints)
    points["nose"] = (ear[0] + nose[0], ear[1] + nose[1])
    points["eye"] = (ear[0] + 0.7 * nose[0], ear[1] + 0.2 * nose[1])
    points["heel"] = (ankle[0] + heel[0], ankle[1] + heel[1])
    points["foot_index"] = (ankle[0] + toe_dx, floor)
    return points


def all_fours(head_deg: float = 10.0, thigh_deg: float = 85.0, t: float = 0.0, **kw) -> PoseFrame:
    """On hands and knees, side view, head to image left: ``head_deg`` is how far the head
    is lifted (segment shoulder->ear above the horizontal; below 0 dropped), ``thigh_deg``
    the thighs' angle to the floor (90 = knees right under the hips; lower = sitting back
    towards the heels)."""
    floor = 400.0
    shoulder, hip = (220.0, 250.0), (440.0, 250.0)
    _, elbow, wrist = chain(shoulder, (75.0, -90.0), (75.0, -90.0))
    _, knee = chain(hip, (150.0, thigh_deg - 180.0))  # down, and forward when sitting back
    ankle = (knee[0] + 120.0, floor)
    _, ear = chain(shoulder, (60.0, 180.0 - head_deg))
    joints = {"ear": ear, "shoulder": shoulder, "elbow": elbow, "wrist": wrist, "hip": hip}
    joints |= {"knee": knee, "ankle": ankle}
    # face to the floor
    points = _facing_left(floor, joints, nose=(-18, 12), heel=(10, floor - 5 - ankle[1]), toe_dx=35)
    return pose_from_points(points, t=t, **kw)


def supine_from_above(across: float = 0.0, arms_out: bool = True, t: float = 0.0) -> PoseFrame:
    """A person lying on the back seen from above (head at the top of the picture), knees
    drawn up towards the camera, arms out in a T (``arms_out``) or along the body.
    ``across``: the knees and feet lowered that share of the way to the person's left
    (negative: right), where the picture's right is the person's left."""
    shift = 130.0 * across
    points = {
        "nose": (320, 55), "left_eye": (332, 48), "right_eye": (308, 48),
        "left_ear": (345, 60), "right_ear": (295, 60),
        "left_shoulder": (370, 120), "right_shoulder": (270, 120),
        "left_hip": (350, 290), "right_hip": (290, 290),
        "left_knee": (345 + shift, 360), "right_knee": (295 + shift, 360),
        "left_ankle": (345 + 0.8 * shift, 420), "right_ankle": (295 + 0.8 * shift, 420),
    }  # fmt: skip
    # offsets from the shoulder, px: out to the side, or down along the body
    arms = (
        {"elbow": (80, 5), "wrist": (160, 5)}
        if arms_out
        else {"elbow": (10, 80), "wrist": (15, 160)}
    )
    for joint, (dx, dy) in arms.items():
        points[f"left_{joint}"] = (370 + dx, 120 + dy)
        points[f"right_{joint}"] = (270 - dx, 120 + dy)
    pose = pose_from_points(points, t=t, view="front")
    for side in ("LEFT", "RIGHT"):  # knees together, raised towards the camera (m)
        for joint in ("KNEE", "ANKLE"):
            lm = Landmark[f"{side}_{joint}"]
            pose.world[lm, 0] = (pose.xy[lm, 0] - SIZE[0] / 2) / (SIZE[1] / 1.8)
        pose.world[Landmark[f"{side}_KNEE"], 2] = -0.45 * (1 - abs(across))
    return pose


def prone(chest_deg: float = 0.0, hip_lift_px: float = 0.0, t: float = 0.0, **kw) -> PoseFrame:
    """Lying on the stomach, side view, head to image left, legs straight along the floor:
    ``chest_deg`` lifts the torso (hip->shoulder) off the floor, pressing up on the hands
    under the shoulders; ``hip_lift_px`` raises the hips off the floor."""
    floor = 400.0
    hip = (380.0, floor - 15 - hip_lift_px)
    _, shoulder = chain(hip, (170.0, 180.0 - chest_deg))
    _, ear = chain(shoulder, (55.0, 180.0 - chest_deg + 15.0))
    knee, ankle = (490.0, floor - 10), (600.0, floor - 8)
    wrist = (shoulder[0] - 10, floor)
    elbow = ((shoulder[0] + wrist[0]) / 2 + 25, (shoulder[1] + wrist[1]) / 2)
    joints = {"ear": ear, "shoulder": shoulder, "elbow": elbow, "wrist": wrist, "hip": hip}
    joints |= {"knee": knee, "ankle": ankle}
    # face to the floor (forward as the chest lifts)
    points = _facing_left(floor, joints, nose=(-16, 10), heel=(5, -12), toe_dx=25)
    return pose_from_points(points, t=t, **kw)


def kneeling(
    thigh_deg: float = 90.0,
    torso_down_deg: float = -90.0,
    head_up_px: float = 0.0,
    arms: str = "forward",
    t: float = 0.0,
    **kw,
) -> PoseFrame:
    """Kneeling, side view, head to image left, shins flat on the floor behind the knees:
    ``thigh_deg`` is the thigh's angle to the floor (90 = kneeling up; about 40 = sitting
    back towards the heels); ``torso_down_deg`` the torso's angle below the horizontal
    from the hips forwards (-90 = upright; about 10 = folded forward, chest on the thighs,
    as in child's pose); ``head_up_px`` lifts the head; ``arms`` "forward" (reaching along
    the floor ahead of the head), "under" (hands under the shoulders) or "back" (along
    the body, hands by the feet)."""
    floor = 400.0
    knee, ankle = (330.0, floor - 8), (460.0, floor - 6)
    _, hip = chain(knee, (120.0, thigh_deg))
    _, shoulder = chain(hip, (170.0, 180.0 + torso_down_deg))
    _, ear = chain(shoulder, (50.0, 180.0 + torso_down_deg))
    ear = (ear[0], ear[1] - head_up_px)
    if arms == "forward":
        wrist = (shoulder[0] - 170, floor - 5)
        elbow = ((shoulder[0] + wrist[0]) / 2, (shoulder[1] + wrist[1]) / 2)
    elif arms == "under":
        wrist = (shoulder[0], floor - 5)
        elbow = (shoulder[0], (shoulder[1] + wrist[1]) / 2)
    else:
        wrist = (ankle[0] - 20, floor - 10)
        elbow = ((shoulder[0] + wrist[0]) / 2, (shoulder[1] + wrist[1]) / 2 + 10)
    joints = {"ear": ear, "shoulder": shoulder, "elbow": elbow, "wrist": wrist, "hip": hip}
    joints |= {"knee": knee, "ankle": ankle}
    points = _facing_left(
        floor, joints, nose=(-14, 12), heel=(10, floor - 20 - ankle[1]), toe_dx=30
    )
    return pose_from_points(points, t=t, **kw)
