"""Counters fed per-frame sequences, with the events expected."""

import dataclasses
import math

import pytest

from posecheck.counting import CueTracker, HoldState, HoldTimer, RepCounter
from posecheck.spec import HoldSpec, RepSpec

NAN = math.nan
FPS = 10.0
REP = RepSpec(
    measure="hip_line",
    direction="up",
    rest=140,
    start=150,
    top_enter=165,
    top_exit=157,
    min_phase_s=0.15,
    min_rep_s=0.6,
    partial_cue="hips_higher",
)


def frames(*segments):
    """Expand (value, seconds) segments into per-frame values at FPS."""
    out = []
    for value, seconds in segments:
        out += [value] * int(round(seconds * FPS))
    return out


def run_reps(values, settings=REP):
    counter = RepCounter(settings)
    events = []
    for i, v in enumerate(values):
        events += [e.kind for e in counter.update(i / FPS, v)]
    return counter, events


@pytest.mark.parametrize(
    "name, values, completed, partial, kinds",
    [
        (
            "one clean rep",
            frames((120, 1), (170, 1), (120, 1)),
            1,
            0,
            ["started", "top", "completed"],
        ),
        (
            "two reps",
            frames((120, 1), (170, 1), (120, 1), (170, 1), (120, 1)),
            2,
            0,
            ["started", "top", "completed"] * 2,
        ),
        ("too low: partial", frames((120, 1), (158, 1.5), (120, 1)), 0, 1, ["started", "partial"]),
        (
            "jitter at the top threshold does not double count",
            frames(
                (120, 1), (170, 0.5), (160, 0.05), (170, 0.05), (156, 0.05), (170, 0.5), (120, 1)
            ),
            1,
            0,
            ["started", "top", "completed"],
        ),
        ("a one-frame spike is not a rep", frames((120, 1), (170, 0.1), (120, 1)), 0, 0, []),
        (
            "starting mid-rep counts nothing, and says so at rest",
            frames((170, 1), (120, 1)),
            0,
            0,
            ["under_way"],
        ),
        (
            "starting on the way up but short of the top: nothing to say",
            frames((155, 1), (120, 1)),
            0,
            0,
            [],
        ),
        (
            "under way again after a long gap",
            frames((120, 1), (170, 0.5), (NAN, 3.0), (170, 0.5), (120, 1)),
            0,
            0,
            ["started", "top", "abandoned", "under_way"],
        ),
        (
            "short gap of missing values pauses, rep still counts",
            frames((120, 1), (170, 0.5), (NAN, 1.0), (170, 0.5), (120, 1)),
            1,
            0,
            ["started", "top", "completed"],
        ),
        (
            "long gap drops the unfinished rep: no phantom",
            frames((120, 1), (170, 0.5), (NAN, 3.0), (120, 1)),
            0,
            0,
            ["started", "top", "abandoned"],
        ),
        (
            "faster than min_rep_s is noise",
            frames((120, 1), (170, 0.4), (120, 1)),
            0,
            0,
            ["started", "top"],
        ),
    ],
)
def test_rep_counter(name, values, completed, partial, kinds):
    counter, events = run_reps(values)
    assert (counter.completed, counter.partial) == (completed, partial), name
    assert events == kinds, name


OUT = "out of position"


@pytest.mark.parametrize(
    "name, values, completed, kinds",
    [
        (
            "leaving the position mid-rep drops the rep, and its end is not counted",
            frames((120, 1), (170, 0.5), (OUT, 0.5), (170, 0.5), (120, 1)),
            0,
            ["started", "top", "abandoned", "under_way"],
        ),
        (
            "at the top, then out of the position: nothing under way is left",
            frames((170, 0.5), (OUT, 0.5), (120, 1)),
            0,
            [],
        ),
        (
            "leaving it at rest: the next rep counts",
            frames((120, 1), (OUT, 0.5), (120, 1), (170, 1), (120, 1)),
            1,
            ["started", "top", "completed"],
        ),
    ],
)
def test_rep_counter_abandon(name, values, completed, kinds):
    counter, events = RepCounter(REP), []
    for i, v in enumerate(values):
        t = i / FPS
        events += [e.kind for e in (counter.abandon(t) if v == OUT else counter.update(t, v))]
    assert counter.completed == completed, name
    assert events == kinds, name


def test_rep_counter_direction_down():
    down = RepSpec(measure="x", direction="down", rest=60, start=50, top_enter=35, top_exit=42)
    counter, events = run_reps(frames((70, 1), (30, 1), (70, 1)), down)
    assert counter.completed == 1 and events == ["started", "top", "completed"]


def test_rep_counter_finish_counts_a_rep_on_its_way_down():
    counter, _ = run_reps(frames((120, 1), (170, 1), (150, 0.5)))
    assert [e.kind for e in counter.finish(2.5)] == ["completed"]
    assert counter.completed == 1


def last_rep(values, settings=REP):
    """The last rep (complete or not) the counter reported for these values."""
    counter = RepCounter(settings)
    rep = None
    for i, v in enumerate(values):
        for e in counter.update(i / FPS, v):
            rep = e.rep or rep
    return rep


def test_rep_properties():
    props = last_rep(frames((120, 1), (170, 2), (120, 1))).properties
    assert props["top_s"] == pytest.approx(2.0, abs=0.15)
    assert props["cycle_s"] == pytest.approx(2.0, abs=0.25)


@pytest.mark.parametrize(
    "name, top, pause_s",
    [
        ("a steady top: the whole top", frames((170, 2)), 2.0),
        (
            "a one-frame spike at the top does not shorten the pause",
            frames((170, 0.5), (180, 0.1), (170, 1.4)),
            2.0,
        ),
        ("sinking away from the top ends the pause", frames((172, 1), (166, 1)), 1.0),
        (
            "a quick touch of the top is a short pause",
            frames((158, 0.5), (172, 0.3), (158, 0.5)),
            0.3,
        ),
    ],
)
def test_pause_at_the_top(name, top, pause_s):
    settings = dataclasses.replace(REP, pause_within=3.0)
    rep = last_rep(frames((120, 1)) + top + frames((120, 1)), settings)
    assert rep.properties["top_s"] == pytest.approx(pause_s, abs=0.15), name


HOLD = HoldSpec(position=(), min_hold_s=1.0, grace_s=0.7)


def run_hold(inputs, target_s=5.0, max_s=None):
    """inputs: (in_position, form_ok, seconds) segments."""
    timer = HoldTimer(HOLD, target_s, max_s)
    events, t = [], 0.0
    for pos, form, seconds in inputs:
        for _ in range(int(round(seconds * FPS))):
            events += timer.update(t, pos, form)
            t += 1 / FPS
    events += timer.finish(t)
    return timer, events


@pytest.mark.parametrize(
    "name, inputs, kinds, held",
    [
        (
            "clean 6 s hold meets a 5 s target",
            [(False, True, 1), (True, True, 6), (False, True, 1)],
            ["started", "target_met", "ended"],
            5.9,
        ),
        (
            "a 0.4 s wobble does not end the hold",
            [(True, True, 3), (False, True, 0.4), (True, True, 3), (False, True, 1)],
            ["started", "target_met", "ended"],
            6.3,
        ),
        (
            "a 1.5 s break ends it: two holds",
            [(True, True, 3), (False, True, 1.5), (True, True, 3), (False, True, 1)],
            ["started", "ended", "started", "ended"],
            2.9,
        ),
        (
            "bad form pauses the clock",
            [(True, True, 2), (True, False, 3), (True, True, 2), (False, True, 1)],
            ["started", "ended"],
            3.9,
        ),
        (
            "cannot see (None) pauses, no reset",
            [(True, True, 2), (None, True, 3), (True, True, 2), (False, True, 1)],
            ["started", "ended"],
            3.9,
        ),
        (
            "a blip shorter than min_hold_s is discarded",
            [(True, True, 0.5), (False, True, 1)],
            ["started", "discarded"],
            0.4,
        ),
    ],
)
def test_hold_timer(name, inputs, kinds, held):
    timer, events = run_hold(inputs)
    assert [e.kind for e in events] == kinds, name
    last = [e for e in events if e.hold is not None][-1]
    assert last.hold.held_s == pytest.approx(held, abs=0.11), name
    assert timer.state is HoldState.OUT


@pytest.mark.parametrize(
    "name, inputs, kinds",
    [
        ("held to the longest asked", [(True, True, 9), (False, True, 1)],
         ["started", "target_met", "max_reached", "ended"]),
        ("released in between", [(True, True, 6), (False, True, 1)],
         ["started", "target_met", "ended"]),
        ("each hold is told afresh", [(True, True, 9), (False, True, 1), (True, True, 9)],
         ["started", "target_met", "max_reached", "ended"] * 2),
        ("form lost: the clock stops short of it",
         [(True, True, 6), (True, False, 5), (False, True, 1)],
         ["started", "target_met", "ended"]),
    ],
)  # fmt: skip
def test_hold_timer_says_when_the_longest_asked_is_reached(name, inputs, kinds):
    _, events = run_hold(inputs, target_s=5.0, max_s=8.0)
    assert [e.kind for e in events] == kinds, name


@pytest.mark.parametrize(
    "name, inputs, give_up_at, holds",
    [
        (
            "a 1.5 s break within resume_s: one hold, the break not held",
            [(True, True, 3), (False, True, 1.5), (True, True, 3), (False, True, 4)],
            None,
            [(0.0, 7.5, 5.9)],
        ),
        (
            "a 4 s break is longer than resume_s: two holds",
            [(True, True, 3), (False, True, 4), (True, True, 3), (False, True, 4)],
            None,
            [(0.0, 3.0, 2.9), (7.0, 10.0, 2.9)],
        ),
        (
            "back at the start during the break (give_up): two holds, the first ends where it was left",
            [(True, True, 3), (False, True, 1.5), (True, True, 3), (False, True, 4)],
            4.0,
            [(0.0, 3.0, 2.9), (4.5, 7.5, 2.9)],
        ),
        (
            "the video ends in the break: the hold ends where it was left",
            [(True, True, 3), (False, True, 2)],
            None,
            [(0.0, 3.0, 2.9)],
        ),
        (
            "left 0.5 s after it began (a limb passing through): no pause, the next is new",
            [(True, True, 0.5), (False, True, 1.5), (True, True, 3), (False, True, 4)],
            None,
            [(2.0, 5.0, 2.9)],
        ),
    ],
)
def test_hold_resumed_after_a_break(name, inputs, give_up_at, holds):
    timer = HoldTimer(dataclasses.replace(HOLD, resume_s=3.0), None)
    events, t = [], 0.0
    for pos, form, seconds in inputs:
        for _ in range(int(round(seconds * FPS))):
            if give_up_at is not None and abs(t - give_up_at) < 0.5 / FPS:
                events += timer.give_up()
            events += timer.update(t, pos, form)
            t += 1 / FPS
    events += timer.finish(t)
    ended = [e.hold for e in events if e.kind == "ended"]
    got = [(h.start_s, h.end_s, h.held_s) for h in ended]
    assert got == [pytest.approx(h, abs=0.11) for h in holds], name


@pytest.mark.parametrize(
    "name, conditions, spans",
    [
        (
            "fires after after_s, span from first true",
            [False] * 5 + [True] * 10 + [False] * 10,
            [(0.5, 1.5)],
        ),
        ("too short to fire", [False] * 5 + [True] * 2 + [False] * 10, []),
        ("unknown keeps it on", [True] * 10 + [None] * 10 + [False] * 10, [(0.0, 2.0)]),
        (
            "a short gap does not split it",
            [True] * 10 + [False] * 2 + [True] * 10 + [False] * 10,
            [(0.0, 2.2)],
        ),
    ],
)
def test_cue_tracker(name, conditions, spans):
    tracker = CueTracker("x", after_s=0.3, clear_s=0.4)
    got = []
    for i, c in enumerate(conditions):
        got += tracker.update(i / FPS, c)
    got += tracker.finish(len(conditions) / FPS)
    closed = [(round(s.start_s, 2), round(s.end_s, 2)) for s in got if s.end_s is not None]
    assert closed == spans, name


ALT = RepSpec(
    measure="head",
    direction="down",
    rest=20,
    start=12,
    top_enter=-5,
    top_exit=3,
    min_phase_s=0.15,
    min_rep_s=0.5,
    alternating=True,
)


@pytest.mark.parametrize(
    "name, values, reps, partial_kinds",
    [
        ("cow, cat, cow, cat = two cycles", frames((40, 1), (-20, 1), (40, 1), (-20, 1)), 2, []),
        ("starting in the cat counts too", frames((-20, 1), (40, 1), (-20, 1), (40, 1)), 2, []),
        ("one end only is no cycle", frames((40, 1), (10, 1), (40, 1)), 0, ["partial"]),
        (
            "cow, cat, then a head only level (no cow) and back: one cycle and half a swing",
            frames((40, 1), (-20, 1), (10, 1), (-20, 1)),
            1,
            ["partial_rest"],
        ),
        (
            "jitter around a threshold is no visit",
            frames((40, 1), (-4, 0.1), (0, 0.1), (-6, 0.1), (40, 1)),
            0,
            ["partial"],
        ),
    ],
)
def test_alternating_reps(name, values, reps, partial_kinds):
    counter, kinds = run_reps(values, ALT)
    assert counter.completed == reps, name
    assert [k for k in kinds if k.startswith("partial")] == partial_kinds, name


def test_too_far_is_not_a_rep():
    spec = RepSpec(
        measure="x", direction="up", rest=1, start=2, top_enter=3, top_exit=2.5, too_far=10
    )
    counter, kinds = run_reps(frames((0, 1), (4, 1), (0, 1), (15, 1), (0, 1)), spec)
    assert counter.completed == 1 and counter.partial == 1
    assert kinds.count("too_far") == 1


def ramp(a, b, seconds):
    """Values going evenly from a to b over ``seconds`` (at FPS)."""
    n = int(round(seconds * FPS))
    return [a + (b - a) * (i + 1) / n for i in range(n)]


# A rep's speed: the fastest its measure changed, units a second, over at least 0.2 s (a
# frame's jitter of a degree is no speed; a misread jump is). Cow (40) to cat (-20): 60 deg.
@pytest.mark.parametrize(
    "name, swing, speed",
    [
        ("slow: 60 degrees in 1.5 s", ramp(40, -20, 1.5), 40.0),
        ("hurried: 60 degrees in 0.3 s", ramp(40, -20, 0.3), 200.0),
        # 60 read between 10 and 5.7: from 60 to 1.4 over 0.2 s is 293 a second (the
        # smoother upstream damps such a jump; the counter takes what it is given)
        ("a one-frame misread in a slow swing", [*ramp(40, 10, 0.8), 60, *ramp(10, -20, 0.7)], 293),
    ],
)
def test_a_reps_speed(name, swing, speed):
    counter, rep = RepCounter(ALT), None
    for i, v in enumerate([*frames((40, 1)), *swing, *frames((-20, 1))]):
        for e in counter.update(i / FPS, v):
            rep = e.rep or rep
    assert rep is not None and rep.complete
    assert rep.properties["speed"] == pytest.approx(speed, rel=0.2), name
