"""Synthetic footage: deterministic, ground truth consistent with its own script."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from posecheck.spec import spec_ids
from posecheck.synth.body import Body, joints
from posecheck.synth.clips import (
    EXERCISES,
    SAMPLES,
    SIDED,
    SIZE,
    ClipSpec,
    build_script,
    render_clip,
    suite_specs,
)
from posecheck.synth.render import Camera, Look, Renderer

KNOWN_CUES = {
    "cat_cow": {
        "hands_under_shoulders",
        "knees_under_hips",
        "head_up_in_cow",
        "head_down_in_cat",
        "move_slowly",
    },
    "knee_to_chest": {"pull_knee_closer", "other_foot_flat"},
    "hamstring_stretch": {
        "straighten_knee",
        "raise_leg_higher",
        "other_knee_bent",
        "back_on_floor",
    },
    "cobra": {"hips_on_floor", "lift_chest", "lower_and_rest"},
    "bridge": {"hips_higher", "feet_flat", "pause_at_top", "lower_slowly"},
    "child_pose": {"reach_arms_forward", "sit_hips_back", "head_down"},
    "pelvic_tilt": {"head_on_mat", "arms_by_sides", "dont_lift_hips"},
    "spine_twist": {"arms_out", "shoulders_down", "knees_together"},
}


@pytest.mark.parametrize("exercise", EXERCISES)
@pytest.mark.parametrize("fault", [False, True])
def test_script_truth_is_consistent(exercise, fault):
    spec = ClipSpec(exercise, fault=fault, seed=3)
    script = build_script(spec, Body(), np.random.default_rng(0))
    for h in script.holds:
        assert 0 <= h["start_s"] < h["end_s"] <= script.duration
        assert (h["side"] in ("left", "right")) == (exercise in SIDED)
    for f in script.faults:
        assert f["cue"] in KNOWN_CUES[exercise]
        assert 0 <= f["start_s"] < f["end_s"] <= script.duration
    assert bool(script.faults) == fault
    if exercise in SIDED:
        sides = [h["side"] for h in script.holds]
        assert script.reps["left"] == sides.count("left") and script.reps["right"] == sides.count(
            "right"
        )


def test_cue_ids_match_the_specs():
    """Faults are tied to cue ids the exercise specs really have."""
    from posecheck.spec import load_spec

    for ex in set(spec_ids()) & set(KNOWN_CUES):
        spec = load_spec(ex)
        ids = {c.id for c in (*spec.cues, *spec.rep_cues)}
        scripted = {
            f["cue"]
            for f in build_script(ClipSpec(ex, fault=True), Body(), np.random.default_rng(0)).faults
        }
        assert scripted <= ids, (ex, scripted - ids)


def test_rendering_is_deterministic(tmp_path):
    spec = ClipSpec("bridge", seed=5, reps=1)
    a = render_clip(spec, tmp_path / "a")
    b = render_clip(spec, tmp_path / "b")
    assert a == b
    fa = (tmp_path / "a" / f"{spec.stem}.mp4").read_bytes()
    fb = (tmp_path / "b" / f"{spec.stem}.mp4").read_bytes()
    assert fa == fb
    assert (
        json.loads((tmp_path / "a" / f"{spec.stem}.json").read_text())["file"] == f"{spec.stem}.mp4"
    )


def test_a_render_stopped_midway_leaves_no_clip(tmp_path, monkeypatch):
    calls = []

    def render(self, pose):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt  # Ctrl-C while rendering
        return np.zeros((SIZE[1], SIZE[0], 3), np.uint8)

    monkeypatch.setattr(Renderer, "render", render)
    with pytest.raises(KeyboardInterrupt):
        render_clip(ClipSpec("bridge", seed=5, reps=1), tmp_path)
    assert list(tmp_path.iterdir()) == []  # no half-written video, no truth without one


@pytest.mark.parametrize("posture", ["supine", "prone", "tabletop", "child", "standing"])
def test_left_is_the_persons_left(posture):
    """The figure's left limbs are on its anatomical left (left = up x facing) in every
    posture, so that ground-truth sides match what a pose model calls left."""
    from posecheck.synth import motions as m

    body = Body()
    pose = getattr(m, posture)(body)
    j = joints(body, pose)
    up_body = j["head"] - j["pelvis_c"]
    facing = j["nose"] - j["head"]
    left = np.cross(up_body, facing)
    assert (j["left_shoulder"] - j["right_shoulder"]) @ left > 0


def test_renderer_draws_a_figure_on_the_mat():
    from posecheck.synth import motions as m

    body = Body()
    cam = Camera(position=(0.0, 0.5, 2.2), target=(0.0, 0.2, 0.0), size=(160, 120))
    r = Renderer(body, cam, Look())
    empty = r.render_room()
    person = r.render(m.supine(body))
    assert person.shape == (120, 160, 3)
    assert (np.abs(person.astype(int) - empty.astype(int)).sum(-1) > 30).mean() > 0.02


def test_suite_covers_every_exercise_view_side_and_variant():
    specs = suite_specs()
    for ex in EXERCISES:
        mine = [s for s in specs if s.exercise == ex]
        assert len({(s.view, s.head) for s in mine}) >= 2
        assert {s.fault for s in mine} == {False, True}
        if ex in SIDED:
            assert {s.first_side for s in mine} == {"left", "right"}
    assert {s.exercise for s in specs} >= {"squat", "sitting", "empty"}
    assert len({s.stem for s in specs}) == len(specs)


@pytest.mark.parametrize(
    "view, heads, clips",
    [("above", {"left", "right"}, 8), ("feet", {"left"}, 4), ("oblique", {"left", "right"}, 8)],
)
def test_a_view_the_suite_leaves_out_can_be_rendered_on_its_own(view, heads, clips):
    specs = suite_specs("spine_twist", view=view)
    assert {s.view for s in specs} == {view} and {s.head for s in specs} == heads
    assert len(specs) == len({s.stem for s in specs}) == clips  # no negatives


def test_samples_are_shipped_with_truth():
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "sample_videos"
    for s in SAMPLES:
        assert (folder / f"{s.stem}.mp4").is_file() and (folder / f"{s.stem}.json").is_file()
    assert sum(p.stat().st_size for p in folder.iterdir()) < 15 * 2**20


def test_ctrl_c_stops_a_suite_render_at_once_and_tidies_up(tmp_path):
    out = tmp_path / "suite"
    cmd = [sys.executable, "-m", "posecheck.cli", "synth", "suite", "--out", str(out)]
    cmd += ["--seed", "1", "--exercise", "bridge", "--jobs", "2"]

    def as_from_a_terminal():
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.setsid()  # its own group, as a terminal's foreground job

    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_from_a_terminal,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob(".*.part.mp4")) and time.monotonic() < deadline:
            time.sleep(0.1)  # both workers are rendering
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole group
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130, err[-500:]
    assert err.strip().splitlines() == ["posecheck: interrupted"]
    assert list(out.iterdir()) == []  # no half-written clips
