"""Measures on constructed poses: per side, and both sides read together (``sides``)."""

import math
from dataclasses import replace

import pytest
from poses import pose_from_points

from posecheck.rules import MeasureValues, Visibility
from posecheck.spec import Measure, load_spec

HIP_LINE = Measure("hip_line", "angle", ("shoulder", "hip", "knee"))
# left hip angle 90 deg, right 120 deg (shoulder and hip shared, knees apart)
POINTS = {
    "shoulder": (100.0, 300.0),
    "hip": (300.0, 300.0),
    "left_knee": (300.0, 200.0),
    "right_knee": (
        300.0 + 100 * math.cos(math.radians(60)),
        300.0 - 100 * math.sin(math.radians(60)),
    ),
}


@pytest.mark.parametrize(
    "sides, hidden, ref, expected",
    [
        ("each", (), "left.hip_line", 90.0),
        ("each", (), "right.hip_line", 120.0),
        ("mean", (), "left.hip_line", 105.0),
        ("mean", (), "right.hip_line", 105.0),
        ("mean", (), "near.hip_line", 105.0),
        ("mean", (), "other.hip_line", 105.0),
        ("min", (), "right.hip_line", 90.0),
        ("max", (), "left.hip_line", 120.0),
        ("mean", ("right_knee",), "right.hip_line", 90.0),  # one side hidden: the other's
        ("mean", ("left_knee", "right_knee"), "hip_line", math.nan),
    ],
)
def test_sides_reading(sides, hidden, ref, expected):
    spec = load_spec("pelvic_tilt")
    spec = replace(spec, measures={"hip_line": replace(HIP_LINE, sides=sides)})
    values = MeasureValues(spec, pose_from_points(POINTS, hidden=hidden), Visibility())
    got = values.with_side("left").get(ref)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, abs=0.01)


# an arm lying out from the shoulder, the ear 40 px above the shoulder; torso 200 px
ARM = {"shoulder": (300.0, 300.0), "hip": (500.0, 300.0), "elbow": (300.0, 270.0),
       "wrist": (300.0, 210.0), "ear": (260.0, 260.0)}  # fmt: skip


@pytest.mark.parametrize(
    "joints, hidden_read, hide, expected",
    [
        (("shoulder", "ear"), False, (), -0.2),  # 40 px below the ear
        (("shoulder", "elbow", "wrist", "ear"), False, (), 0.0),  # the mean: 260 px, level
        (("shoulder", "elbow", "wrist", "ear"), False, ("left_wrist",), math.nan),
        (("shoulder", "elbow", "wrist", "ear"), True, ("left_wrist",), 0.0),  # read anyway
    ],
)
def test_height_of_a_joint_or_of_several(joints, hidden_read, hide, expected):
    m = Measure("arm_rise", "height", joints, hidden=hidden_read)
    spec = replace(load_spec("pelvic_tilt"), measures={"arm_rise": m})
    pose = pose_from_points(ARM, hidden=hide)
    got = MeasureValues(spec, pose, Visibility()).with_side("left").get("arm_rise")
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, abs=0.01)
