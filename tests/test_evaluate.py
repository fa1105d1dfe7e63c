"""Scoring a report against its labels, as the accuracy benchmark does."""

import pytest
from test_cli import NobodyEstimator, write_video

from posecheck.evaluate import (
    FOOTAGE_TARGETS,
    SYNTHETIC_TARGETS,
    CrossResult,
    check,
    format_cross,
    format_table,
    load_or_compute_poses,
    score_clip,
)


def summary(reps=None, holds=(), cues=(), left=None, right=None):
    return {
        "reps": {"total": reps, "left": left, "right": right},
        # (side, start, end[, time held]): the clock may have stopped for a while
        "holds": [
            {"side": h[0], "start_s": h[1], "end_s": h[2], "duration_s": (h + (h[2] - h[1],))[3]}
            for h in holds
        ],
        "cues": [{"id": i, "start_s": a, "end_s": b} for i, a, b in cues],
    }


def label(exercise="bridge", reps=None, holds=(), faults=None, left=None, right=None):
    entry = {"file": "clip.mp4", "exercise": exercise, "view": "side"}
    if reps is not None:
        entry["reps"] = {"total": reps, "left": left, "right": right}
    entry["holds"] = [{"side": s, "start_s": a, "end_s": b} for s, a, b in holds]
    if faults is not None:
        entry["faults"] = [{"cue": c, "start_s": a, "end_s": b} for c, a, b in faults]
    return entry


def twist_label(cue):
    """A spine twist hold, 2-12 s, with a fault for ``cue`` at 5-8 s."""
    return label("spine_twist", holds=[("left", 2.0, 12.0)], faults=[(cue, 5, 8)])


def twist_report(cue, held):
    """Its report: the hold found, ``held`` s on the clock, the cue at the fault."""
    return summary(holds=[("left", 2.0, 12.0, held)], cues=[(cue, 5, 8)])


@pytest.mark.parametrize(
    "name, entry, report, rep_error, hold_errors, found, false_alarm",
    [
        ("exact", label(reps=3), summary(reps=3), 0, [], 0, False),
        ("one rep missed", label(reps=3), summary(reps=2), -1, [], 0, False),
        (
            "each leg right",
            label("knee_to_chest", reps=2, left=1, right=1),
            summary(reps=2, left=1, right=1),
            0,
            [],
            0,
            False,
        ),
        (
            "the right total, but a hold booked to the wrong leg",
            label("knee_to_chest", reps=2, left=1, right=1),
            summary(reps=2, left=2, right=0),
            1,
            [],
            0,
            False,
        ),
        (
            "one too many on each leg: two too many in all",
            label("knee_to_chest", reps=6, left=3, right=3),
            summary(reps=8, left=4, right=4),
            2,
            [],
            0,
            False,
        ),
        (
            "a hold 0.5 s short",
            label(holds=[("left", 2.0, 12.0)]),
            summary(holds=[("left", 2.5, 12.0)]),
            None,
            [0.5],
            0,
            False,
        ),
        (
            "a hold on the wrong side is missed in full",
            label(holds=[("left", 2.0, 12.0)]),
            summary(holds=[("right", 2.0, 12.0)]),
            None,
            [10.0],
            0,
            False,
        ),
        (
            "the clock stopped for 4 s of the hold: scored by the time held",
            label(holds=[("left", 2.0, 12.0)]),
            summary(holds=[("left", 2.0, 12.0, 6.0)]),
            None,
            [4.0],
            0,
            False,
        ),
        (
            "a fault whose cue pauses the clock may come off the time held",
            twist_label("shoulders_down"),
            twist_report("shoulders_down", held=7.0),
            None,
            [0.0],
            1,
            False,
        ),
        (
            "... or not, but no more than that",
            twist_label("shoulders_down"),
            twist_report("shoulders_down", held=6.0),
            None,
            [1.0],
            1,
            False,
        ),
        (
            "a fault whose cue does not pause the clock stays on it",
            twist_label("knees_together"),
            twist_report("knees_together", held=7.0),
            None,
            [3.0],
            1,
            False,
        ),
        (
            "the fault's cue overlapping its span is found",
            label(faults=[("hips_higher", 5.0, 8.0)]),
            summary(cues=[("hips_higher", 7.0, 9.0)]),
            None,
            [],
            1,
            False,
        ),
        (
            "another cue is not the fault's",
            label(faults=[("hips_higher", 5.0, 8.0)]),
            summary(cues=[("feet_flat", 5.0, 8.0)]),
            None,
            [],
            0,
            False,
        ),
        (
            "any cue on a clean clip is a false alarm",
            label(faults=[]),
            summary(cues=[("feet_flat", 5.0, 8.0)]),
            None,
            [],
            0,
            True,
        ),
    ],
)
def test_score_clip(name, entry, report, rep_error, hold_errors, found, false_alarm):
    s = score_clip(entry, report, (90, 100))
    assert s.rep_error == rep_error, name
    assert s.hold_errors == pytest.approx(hold_errors), name
    assert s.faults_found == found, name
    assert s.false_alarm is false_alarm, name
    assert s.pose_found == pytest.approx(0.9)


def test_negative_clip_must_count_nothing():
    negative = {"file": "squat.mp4", "exercise": None, "ask_as": "bridge", "view": "side"}
    assert score_clip(negative, summary(reps=0), (10, 10)).negative_ok is True
    assert score_clip(negative, summary(reps=1), (10, 10)).negative_ok is False
    assert (
        score_clip(negative, summary(reps=0, holds=[(None, 1, 3)]), (10, 10)).negative_ok is False
    )


def test_table_totals_and_footage_targets():
    scores = [
        score_clip(label(reps=3), summary(reps=3), (1, 1)),
        score_clip(label(reps=3), summary(reps=1), (1, 1)),
        score_clip(
            label(reps=1, holds=[(None, 0.0, 10.0)]), summary(reps=1, holds=[(None, 0, 9)]), (1, 1)
        ),
    ]
    table = format_table(scores)
    assert table.splitlines()[-1] == (
        "all clips: reps exact 2/3, within one 2/3; holds within 0.5 s 0/1, within 1.5 s 1/1"
    )
    assert check(scores, FOOTAGE_TARGETS) == ["all clips: reps within one on 67% < 80%"]


@pytest.mark.parametrize(
    "misses, failures",
    [
        # 1 of 6 clips off by two: 83% within one, the footage's target is met over all the
        # clips, though the one exercise and view it is in scores 50%
        (1, []),
        (2, ["all clips: reps within one on 67% < 80%"]),
    ],
)
def test_footage_targets_are_over_all_the_labelled_clips(misses, failures):
    def clip(exercise, view, got):
        entry = label(exercise=exercise, reps=3) | {"view": view}
        return score_clip(entry, summary(reps=got), (1, 1))

    scores = [clip("cat_cow", "oblique", 1 if k < misses else 3) for k in range(2)]
    scores += [clip("bridge", "side", 3) for _ in range(4)]
    negative = {"file": "squat.mp4", "exercise": None, "ask_as": "bridge", "view": "side"}
    scores.append(score_clip(negative, summary(reps=0), (1, 1)))
    assert check(scores, FOOTAGE_TARGETS) == failures
    # the synthetic suite's targets are met by every exercise and view
    assert any(f.startswith("cat_cow/oblique") for f in check(scores, SYNTHETIC_TARGETS))


def test_cross_table_names_what_fooled_each_exercise():
    results = [
        CrossResult("a.mp4", "cobra", "bridge", reps=0, holds=0, started=False, turned=90),
        CrossResult("b.mp4", "spine_twist", "bridge", reps=1, holds=1, started=True),
        CrossResult("c.mp4", "other: squat", "bridge", reps=0, holds=0, started=True),
        CrossResult("d.mp4", "bridge", "spine_twist", reps=0, holds=2, started=True),
    ]
    lines = format_cross(results).splitlines()
    bridge = next(x for x in lines if x.startswith("bridge"))
    assert bridge.split()[1:4] == ["3", "66.7%", "33.3%"]
    assert bridge.endswith("spine_twist")
    assert next(x for x in lines if x.startswith("spine_twist")).endswith("bridge")
    assert lines[-1] == (
        "asked as another exercise: nothing counted on 2/4; starting position refused on 1/4; "
        "said to show it in a turned picture on 1/4"
    )


@pytest.mark.parametrize(
    "exercise, asked",
    [
        (None, {"bridge", "cat_cow", "child_pose", "cobra", "hamstring_stretch",
                "knee_to_chest", "pelvic_tilt", "spine_twist"} - {"cobra"}),
        ("bridge", {"bridge"}),
        ("single knee to chest", {"knee_to_chest"}),  # an alias, as --exercise takes it
    ],
)  # fmt: skip
def test_cross_asks_as_every_other_exercise_or_the_one_given(
    exercise, asked, tmp_path, monkeypatch
):
    import json

    import posecheck.evaluate as ev
    from posecheck.frame import PoseFrame

    (tmp_path / "clip.mp4").write_bytes(b"")
    truth = {"file": "clip.mp4", "exercise": "cobra", "view": "side"}
    (tmp_path / "clip.json").write_text(json.dumps(truth))
    nobody = [PoseFrame.empty(i / 30, (640, 480)) for i in range(30)]
    monkeypatch.setattr(ev, "load_or_compute_poses", lambda *a, **k: nobody)
    results = ev.cross_folder(tmp_path, exercise=exercise)
    assert {r.asked for r in results} == asked
    assert not any(r.counted for r in results)


def test_cross_with_check_is_one_clear_error(tmp_path, capsys):
    from posecheck.cli import main

    assert main(["evaluate", str(tmp_path), "--cross", "--check", "footage"]) == 2
    assert "--check sets no target for --cross" in capsys.readouterr().err


def test_a_broken_pose_cache_is_read_again(tmp_path, monkeypatch):
    monkeypatch.setenv("POSECHECK_CACHE", str(tmp_path / "cache"))
    video = write_video(tmp_path / "v.mp4", seconds=1.0)
    first = NobodyEstimator()
    assert len(load_or_compute_poses(video, first, lookback=None)) == 10 == first.reads
    (cached,) = (tmp_path / "cache" / "poses").glob("*.npz")
    again = NobodyEstimator()
    load_or_compute_poses(video, again, lookback=None)
    assert again.reads == 0  # read from the cache
    cached.write_bytes(cached.read_bytes()[: cached.stat().st_size // 2])  # killed mid-write
    third = NobodyEstimator()
    assert len(load_or_compute_poses(video, third, lookback=None)) == 10 == third.reads
    assert [p.name for p in (tmp_path / "cache" / "poses").iterdir()] == [cached.name]
