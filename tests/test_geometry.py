"""Geometry on constructed points and poses."""

import math

import numpy as np
import pytest
from poses import pose_from_points, supine

from posecheck import geometry as g


@pytest.mark.parametrize(
    "a, b, c, expected",
    [
        ((1, 0), (0, 0), (0, 1), 90.0),
        ((1, 0), (0, 0), (-1, 0), 180.0),
        ((1, 0), (0, 0), (1, 0), 0.0),
        ((1, 0), (0, 0), (1, 1), 45.0),
        ((1, 0, 0), (0, 0, 0), (0, 0, 1), 90.0),
        ((0, 0), (0, 0), (1, 0), math.nan),  # degenerate
        ((math.nan, 0), (0, 0), (1, 0), math.nan),  # missing point
    ],
)
def test_angle_deg(a, b, c, expected):
    got = g.angle_deg(np.array(a, float), np.array(b, float), np.array(c, float))
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "a, b, elevation",
    [
        ((0, 100), (100, 100), 0.0),  # level
        ((0, 100), (100, 0), 45.0),  # b higher (image y down)
        ((0, 100), (-100, 0), 45.0),  # direction-free: left or right alike
        ((0, 0), (100, 100), -45.0),  # b lower
        ((0, 100), (0, 0), 90.0),
    ],
)
def test_elevation_and_inclination(a, b, elevation):
    assert g.elevation_deg(np.array(a, float), np.array(b, float)) == pytest.approx(elevation)
    assert g.inclination_deg(np.array(a, float), np.array(b, float)) == pytest.approx(
        abs(elevation)
    )


@pytest.mark.parametrize(
    "a, b, unit, distance, height",
    [
        ((0, 0), (0, 100), 100.0, 1.0, 1.0),  # a 1 unit above b
        ((0, 100), (0, 0), 100.0, 1.0, -1.0),
        ((0, 0), (30, 40), 50.0, 1.0, 0.8),
        ((0, 0), (30, 40), 0.0, math.nan, math.nan),
    ],
)
def test_normalised_distance_and_height(a, b, unit, distance, height):
    pa, pb = np.array(a, float), np.array(b, float)
    for got, want in ((g.distance(pa, pb, unit), distance), (g.height_above(pa, pb, unit), height)):
        assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want)


def test_torso_length_is_shoulder_to_hip():
    pose = pose_from_points({"shoulder": (100, 300), "hip": (270, 300)})
    assert g.torso_length_px(pose) == pytest.approx(170)


@pytest.mark.parametrize("facing", ["left", "right"])
def test_facing_side_follows_depth(facing):
    assert g.facing_side(supine(facing=facing)) == facing


@pytest.mark.parametrize("view, expected", [("side", "side"), ("front", "front")])
def test_classify_view(view, expected):
    assert g.classify_view(supine(view=view)) == expected


def test_forward_offset_along_body_axis():
    # Body axis hips (300,300) -> shoulders (100,300): "forward" is image-left.
    pose = pose_from_points({"shoulder": (100, 300), "hip": (300, 300)})
    ahead = np.array([50.0, 320.0])
    assert g.forward_offset(pose, ahead, pose.xy[11]) == pytest.approx(0.25)


def test_lateral_offset_sign_is_the_persons_left():
    pose = pose_from_points(
        {
            "left_hip": (300, 300),
            "right_hip": (300, 300),
            "left_shoulder": (120, 300),
            "right_shoulder": (120, 300),
            "left_knee": (420, 300),
            "right_knee": (420, 300),
        },
        view="front",
    )
    # Move both knees towards the person's left (world +x in the builder's front view).
    world = pose.world.copy()
    world[[25, 26], 0] += 0.3
    moved = type(pose)(pose.timestamp_s, pose.image_size, pose.xy, world, pose.visibility)
    assert g.lateral_offset(moved, g.Landmark.LEFT_KNEE, g.Landmark.RIGHT_KNEE) > 0.2
