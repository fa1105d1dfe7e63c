"""Named body landmarks (MediaPipe BlazePose's 33) and the skeleton drawn between them.

Joints are named, never numbered: specs say ``left_knee``; code says ``Landmark.LEFT_KNEE``.
"""

from __future__ import annotations

import difflib
from enum import IntEnum


class Landmark(IntEnum):
    """The 33 BlazePose landmarks, in the model's output order."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32

    @property
    def label(self) -> str:
        """The lower-case name used in specs, e.g. ``left_knee``."""
        return self.name.lower()


NUM_LANDMARKS = len(Landmark)
SIDES = ("left", "right")

# Landmark names without a side prefix that exist on both sides ("knee" -> left_knee/right_knee).
SIDED_JOINTS = tuple(
    sorted({lm.label[len("left_") :] for lm in Landmark if lm.label.startswith("left_")})
)

# Body regions, used to say in words what is out of frame.
BODY_PARTS: dict[str, tuple[Landmark, ...]] = {
    "head": (Landmark.NOSE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR),
    "shoulders": (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    "hands": (Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST),
    "hips": (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    "knees": (Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE),
    "feet": (Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE, Landmark.LEFT_HEEL, Landmark.RIGHT_HEEL),
}

# The limbs below the hips and shoulders: what the pose model can hand to the wrong side
# (a raised leg labelled as the other one) while the trunk keeps its labels.
LIMBS: dict[str, tuple[str, ...]] = {
    "leg": ("knee", "ankle", "heel", "foot_index"),
    "arm": ("elbow", "wrist", "pinky", "index", "thumb"),
}


def limb_of(joint: str) -> tuple[str, ...]:
    """The side-less joints of the limb ``joint`` belongs to; () for trunk and head joints."""
    return next((joints for joints in LIMBS.values() if joint in joints), ())


_L, _R = "LEFT_", "RIGHT_"
SKELETON: tuple[tuple[Landmark, Landmark], ...] = tuple(
    (Landmark[a], Landmark[b])
    for a, b in [
        ("LEFT_SHOULDER", "RIGHT_SHOULDER"),
        ("LEFT_HIP", "RIGHT_HIP"),
        ("LEFT_EAR", "LEFT_EYE"),
        ("RIGHT_EAR", "RIGHT_EYE"),
        ("LEFT_EYE", "NOSE"),
        ("RIGHT_EYE", "NOSE"),
    ]
    + [
        (side + a, side + b)
        for side in (_L, _R)
        for a, b in [
            ("SHOULDER", "ELBOW"),
            ("ELBOW", "WRIST"),
            ("WRIST", "INDEX"),
            ("SHOULDER", "HIP"),
            ("HIP", "KNEE"),
            ("KNEE", "ANKLE"),
            ("ANKLE", "HEEL"),
            ("HEEL", "FOOT_INDEX"),
            ("ANKLE", "FOOT_INDEX"),
        ]
    ]
)


def landmark_by_name(name: str) -> Landmark:
    """Return the landmark called ``name`` (``"left_knee"``).

    Raises:
        ValueError: unknown name, with the nearest valid names.
    """
    try:
        return Landmark[name.strip().upper()]
    except KeyError:
        valid = [lm.label for lm in Landmark]
        close = difflib.get_close_matches(name.lower(), valid, n=3)
        hint = (
            f"; did you mean {', '.join(close)}?" if close else f"; valid names: {', '.join(valid)}"
        )
        raise ValueError(f"unknown landmark {name!r}{hint}") from None


def sided(joint: str, side: str) -> Landmark:
    """``sided("knee", "left")`` -> ``Landmark.LEFT_KNEE``; a full name is returned as is."""
    if joint.startswith(("left_", "right_")) or joint in ("nose",):
        return landmark_by_name(joint)
    return landmark_by_name(f"{side}_{joint}")


def other_side(side: str) -> str:
    return "right" if side == "left" else "left"
