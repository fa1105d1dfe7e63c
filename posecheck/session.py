"""An exercise session: setup check, counting and cues for one exercise, frame by frame.

``ExerciseSession.update(pose) -> FrameState`` is the one entry point shared by
``analyze`` (recorded video) and ``live`` (webcam), so both count the same on the same
frames. It holds no drawing and no I/O.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from posecheck import geometry as g
from posecheck.counting import (
    CueSpan,
    CueTracker,
    Hold,
    HoldEvent,
    HoldState,
    HoldTimer,
    Rep,
    RepCounter,
    RepEvent,
    RepState,
)
from posecheck.frame import PoseFrame
from posecheck.landmarks import BODY_PARTS, SIDES, limb_of, other_side, sided
from posecheck.rules import MeasureValues, Visibility, required_landmarks, value_keys
from posecheck.spec import ExerciseSpec


class Stage(Enum):
    SETUP = "setup"  # before the starting position is reached
    COUNTING = "counting"


@dataclass(frozen=True)
class SessionSettings:
    """Settings of the setup check (names with units).

    Attributes:
        visibility: when a landmark is trusted.
        view_window_s: the camera view is judged by majority over this window.
        counting_view_window_s: ... and over this longer one once counting has begun: the
            pose model misjudges the view for a moment in some positions (a cobra's top),
            which must not pause counting.
        setup_clear_s: a setup message stays this long after its problem is fixed.
        lost_s: counting shows "paused" after the needed landmarks are lost this long.
        message_s: how long a one-off message ("Switch legs", a rep cue) stays up.
        released_s: after a hold that met its target, coming out of it is the release:
            cues for getting into the position ("pull your knee closer") stay quiet
            until it has ended and this long after.
        hold_shown_after_s: a hold is shown and said ("Hold", the countdown) once it has
            run this long and is in its position: a limb passing through the position
            is not announced. Its clock counts from then: the time getting into it is
            off the clock shown and said, and is given back to the report's hold before
            that is trimmed (``settle``).
        hold_base_s: ``from_hold`` measures are taken relative to their median over this
            window of a hold (seconds after it began): settled, before a fault sets in.
        hold_base_turn_deg: ... and are unknown when the body's axis in the picture has
            turned more than this since (the pose model read it the wrong way round).
    """

    visibility: Visibility = field(default_factory=Visibility)
    view_window_s: float = 1.5
    counting_view_window_s: float = 6.0
    setup_clear_s: float = 0.3
    lost_s: float = 0.5
    message_s: float = 3.0
    released_s: float = 5.0
    hold_shown_after_s: float = 0.5
    hold_base_s: tuple[float, float] = (0.6, 1.2)
    hold_base_turn_deg: float = 60.0


@dataclass(frozen=True)
class ActiveCue:
    id: str
    message: str
    priority: int
    kind: str = "form"  # form | setup | rep | info


@dataclass(frozen=True)
class HoldStatus:
    side: str | None
    elapsed_s: float
    target_s: float | None
    running: bool
    stopped: bool = False  # running, but its clock stopped by a form cue (``pauses_hold``)


@dataclass(frozen=True)
class SessionEvent:
    """Something that happened on a frame (for voice, the live loop and logs)."""

    kind: str  # setup_passed | rep_completed | rep_partial | hold_started | hold_ended |
    #             target_met | max_reached | hold_short | switch_side | same_side |
    #             other_side (a hold begun on the side not asked for) | cue_on | done
    t_s: float
    side: str | None = None
    message: str = ""
    id: str = ""


@dataclass(frozen=True)
class FrameState:
    """What the session knows after one frame: everything an overlay or a voice needs."""

    timestamp_s: float
    pose: PoseFrame
    stage: Stage
    phase: str
    side: str | None
    view: str
    measures: dict[str, float]
    cue: ActiveCue | None
    reps: dict[str, int | None]
    partial_reps: int
    hold: HoldStatus | None
    # holds that met the target (every hold where there is none): left, right and total
    sets_done: dict[str, int]
    message: str | None
    events: tuple[SessionEvent, ...] = ()
    paused: bool = False
    short_holds: int = 0  # holds ended short of the target


@dataclass
class _TimedEvent:
    id: str
    message: str
    start_s: float
    end_s: float | None = None
    kind: str = "form"

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "message": self.message,
            "start_s": round(self.start_s, 3),
            "end_s": None if self.end_s is None else round(self.end_s, 3),
        }


# A hold on the side not asked for is pointed out once it has been shown this long, if
# at least this share of its frames read that side (the side read on the way into a
# hold can be the other leg's, passing it).
OTHER_SIDE_AFTER_S = 2.0
OTHER_SIDE_SHARE = 0.8
# How far back the value before a hold's move is looked for (``hold.settle_share``).
SETTLE_BEFORE_S = 4.0
# How long a measure must stay near its held value to count as settled.
SETTLE_RUN_S = 0.2
# A break this short in a settled run (near the held value for SETTLE_RUN_S already) is
# the pose model misreading a frame or a few (limbs swapped), not a move: the run goes on.
SETTLE_GAP_S = 0.2
# A first run near the held value shorter than this, then left past it, is a limb
# sweeping past on its way into the hold.
SETTLE_PASS_S = 0.5
# A peak (``from_start: peak_ratio``) is the median of the readings over this long: 9
# frames at 30 fps, 5 at 15 fps (a webcam in a dim room), 16 at 60; a value held for less
# than half of it is a glitch. (It was 9 frames at any rate: 0.15 s at 60 fps.)
PEAK_HELD_S = 0.25
# ``sides.anchor``: the anchor joints' places are their median over the last this long
# in the starting position.
ANCHOR_REST_S = 2.0
# ... a break longer than this in the starting position starts the places afresh.
ANCHOR_GAP_S = 0.5
# The side facing the camera is a majority vote over this long.
NEAR_VOTE_S = 2.0
# After leaving a rep's required position (``reps.require``), this long back in it before
# frames count again: putting a leg down moves the measure on the way.
REQUIRE_SETTLE_S = 1.0

# A rep that is not counted, by the counter's event: the spec key naming its cue (whose
# message is the reason given), and the reason when the spec names none.
_UNCOUNTED_REPS = {
    "partial": ("partial_cue", "Not far enough to count: go a little further"),
    "too_far": ("too_far_cue", "Too far for this exercise: not counted"),
    "partial_rest": ("rest_partial_cue", "Turned back early: not counted"),
    "under_way": ("", "started before a rest was seen (reps count from rest)"),
}

# Said once the setup check passes; taken down once a rep or a hold is under way.
READY_TEXT = "Ready: go ahead"

# The shortest time in a hold's position before the start that the report mentions (a
# moment there is a movement passing through it, not a hold under way).
HELD_BEFORE_MIN_S = 2.0

# Setup problems about the camera's view only: the starting position is timed through them.
_VIEW_PROBLEMS = {"turn_side_on", "face_camera"}

_PART_WORDS = {
    "head": "your head is",
    "shoulders": "your shoulders are",
    "hands": "your hands are",
    "hips": "your hips are",
    "knees": "your knees are",
    "feet": "your feet are",
}


def _duration(seconds: float) -> str:
    """``180`` -> "3 min", ``90`` -> "90 s": as a target is said."""
    if seconds >= 120 and seconds % 60 == 0:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def _median_known(values: list[float]) -> float:
    """The median of the known (not NaN) values; NaN for none."""
    known = [v for v in values if v == v]
    return float(np.median(known)) if known else float("nan")


def _breaks_settled_run(run: list[float], t: float) -> bool:
    """Back near the held value at ``t`` after a break short enough (SETTLE_GAP_S) that
    the settled ``run`` [start, end] before it goes on."""
    return run[1] - run[0] >= SETTLE_RUN_S and t - run[1] <= SETTLE_GAP_S


class ExerciseSession:
    """Setup check, counting and cues of one exercise."""

    def __init__(self, spec: ExerciseSpec, settings: SessionSettings | None = None):
        self.base_spec = spec  # ``spec`` is the settings for the camera's view (by_view)
        self.spec = spec
        self.settings = settings or SessionSettings()
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        self.spec = self.base_spec
        self._ready_for_spec()
        self.stage = Stage.SETUP
        self.setup_passed_s: float | None = None
        # (start, end) s in the held position before the starting position was seen, with
        # the sides read meanwhile
        self.held_before_start: list[tuple[float, float, Counter]] = []
        self.held_at_end: int | None = None  # the hold still held when the video ended
        self._setup_trackers: dict[str, CueTracker] = {}
        self.reps: list[tuple[Rep, str | None]] = []
        # reps not counted: (rep, side, reason, the counter's event: partial, too_far, ...)
        self.partials: list[tuple[Rep, str | None, str, str]] = []
        self.holds: list[tuple[Hold, str | None, bool]] = []
        self.cue_events: list[_TimedEvent] = []
        self.setup_events: list[_TimedEvent] = []
        self._open_cues: dict[str, _TimedEvent] = {}
        self._open_setup: dict[str, _TimedEvent] = {}
        self._views: deque[tuple[float, str]] = deque()
        self._side: str | None = None
        self._current_view = "unknown"
        self._hold_side: str | None = None
        self._hold_side_votes: Counter = Counter()
        self._settle_trace: list[tuple[float, float]] = []
        self._settle_before: deque[tuple[float, float]] = deque()  # the last seconds out of it
        self._message: tuple[str, float] | None = None
        self._flash_cue: tuple[ActiveCue, float] | None = None
        self._last_seen_s: float | None = None
        self._switch_to: str | None = None  # the side the ring says is next
        # ... when told to switch (or stay) after a set: one begun on the other side is
        # pointed out ("other_side"). After a short hold, either side may come next.
        self._side_due: str | None = None
        self._due_for_hold: str | None = None  # ... for the hold announced at _shown_at
        self._shown_at = 0.0
        self._all_done = False  # every side's sets met (said once)
        self._hold_shown = False  # the running hold has been announced (hold_shown_after_s)
        self._hold_lead_s = 0.0  # held time before it was announced, taken off its clock
        self._form_stopped = False  # a form cue stops the hold's clock (pauses_hold)
        self._hold_ended_t: float | None = None
        self._resolution_values: list[float] = []
        self._start_ref: dict[str, float] | None = None
        self._anchor_places: tuple[np.ndarray, np.ndarray, float] | None = None
        self._baseline: float | None = None
        self._last_out_t: float | None = None  # last frame out of the reps' required position
        self._hold_base_for: float | None = None  # the hold whose from_hold baseline is kept
        # from_hold: (raw values, body axis, settle measure) over hold_base_s, and from them
        # (the baseline values, its body axis, its settle measure's value)
        self._hold_base_rows: list[tuple[dict[str, float], float, float | None]] = []
        self._hold_base: tuple[dict[str, float], float, float] | None = None
        self._near_votes: deque[tuple[float, str]] = deque()
        self._near: str | None = None
        self._near_left = 0  # votes for "left" in _near_votes
        self._view_counts: Counter = Counter()  # of the views in _views
        self._peak_recent: dict[str, deque[tuple[float, float]]] = {}
        self._baseline_window: deque[tuple[float, float]] = deque()
        self.resolution: dict | None = None
        self.frames = 0
        self.frames_with_person = 0
        self.last_t = 0.0
        self.first_t: float | None = None
        self.view_counts: Counter = Counter()

    def _ready_for_spec(self) -> None:
        """Counters, cue timers and the starting position's samples for ``self.spec``."""
        spec = self.spec
        self.reps_counter = RepCounter(spec.reps) if spec.reps else None
        self.hold_timer = (
            HoldTimer(spec.hold, spec.targets.hold_s, spec.targets.hold_max_s)
            if spec.hold
            else None
        )
        self._cue_trackers = {c.id: CueTracker(c.id, c.after_s, c.clear_s) for c in spec.cues}
        self._start_since: float | None = None
        self._start_samples: list[dict[str, float]] = []
        self._peaks: dict[str, float] = {}
        # sides.anchor: where each side's anchor joint was, the last time the starting
        # position was held (px; with the torso length)
        self._anchor_samples: deque[tuple[float, np.ndarray, np.ndarray, float]] = deque()

    # ------------------------------------------------------------------ helpers
    def _set_message(self, text: str, t: float) -> None:
        self._message = (text, t + self.settings.message_s)

    def _track(
        self,
        trackers: dict,
        open_: dict,
        log: list,
        cue_id: str,
        message: str,
        cond: bool | None,
        t: float,
        kind: str,
        after_s: float,
        clear_s: float,
    ) -> list:
        tracker = trackers.get(cue_id)
        if tracker is None:
            tracker = trackers[cue_id] = CueTracker(cue_id, after_s, clear_s)
        started = []
        for span in tracker.update(t, cond):
            started.extend(self._log_span(span, message, open_, log, kind))
        return started

    @staticmethod
    def _log_span(span: CueSpan, message: str, open_: dict, log: list, kind: str) -> list:
        if span.end_s is None:
            ev = _TimedEvent(span.id, message, span.start_s, None, kind)
            open_[span.id] = ev
            log.append(ev)
            return [ev]
        ev = open_.pop(span.id, None)
        if ev is None:
            log.append(_TimedEvent(span.id, message, span.start_s, span.end_s, kind))
        else:
            ev.end_s = span.end_s
        return []

    def _view(self, pose: PoseFrame, t: float) -> str:
        v = g.classify_view(pose) if pose.present else "unknown"
        self._views.append((t, v))
        window = (
            self.settings.view_window_s
            if self.stage is Stage.SETUP
            else self.settings.counting_view_window_s
        )
        counts = self._view_counts
        counts[v] += 1
        while self._views and self._views[0][0] < t - window:
            counts[self._views.popleft()[1]] -= 1
        known = [(n, x) for x, n in counts.items() if x != "unknown" and n > 0]
        return max(known)[1] if known else "unknown"

    def _count_readable(self, values: MeasureValues) -> bool:
        """Whether what the count reads now (hold position or rep measure) can be seen."""
        if self.reps_counter is not None:
            value = values.get(self.spec.reps.measure)
            return value == value  # not NaN
        return values.test(self.spec.hold.position) is not None

    def _missing_parts(self, pose: PoseFrame, side: str | None) -> tuple[list[str], list[str]]:
        """Body parts the exercise needs that are out of frame / not visible."""
        vis = self.settings.visibility
        needed = set(required_landmarks(self.spec, side))
        out, hidden = [], []
        for part, lms in BODY_PARTS.items():
            lms = [lm for lm in lms if lm in needed]
            if not lms:
                continue
            if any(not pose.in_frame(lm, vis.margin_px) for lm in lms):
                out.append(part)
            elif all(pose.visibility[lm] < vis.min_visibility for lm in lms):
                hidden.append(part)
        return out, hidden

    def _working_side(self, values: MeasureValues, pose: PoseFrame) -> str:
        """The side whose measures are read: the active one, else the one facing the camera."""
        sides = self.spec.sides
        if sides.mode == "each":
            if sides.near_when is not None and self._start_ref is None:
                # before the start position is reached, the near/far measure has no
                # reference yet: read the side facing the camera
                return values.near
            if sides.near_when is not None and self._current_view in ("side", "oblique"):
                near = values.near
                on_near = values.with_side(near).get
                if sides.near_when.judge(on_near):
                    return near
                if sides.far_when.judge(on_near):
                    return other_side(near)
                return self._side or near
            if sides.left_when is not None:
                v = values.get(sides.measure)
                if sides.left_when.test(v):
                    return "left"
                if sides.right_when.test(v):
                    return "right"
                return self._side or values.near
            picked = values.pick_side(sides.measure, sides.pick)
            if picked:
                return picked
            return self._side or "left"
        return values.near if pose.present else (self._side or "left")

    def _unswapped(self, pose: PoseFrame) -> PoseFrame:
        """``pose`` with the ``sides.anchor`` limbs' labels swapped back when the model has
        swapped them: of the two anchor joints, the one nearest a kept place is taken to
        have stayed put, and if that is the other side's place, the labels are wrong."""
        anchor, kept = self.spec.sides.anchor, self._anchor_places
        if not anchor or kept is None or not pose.present:
            return pose
        places = {"left": kept[0], "right": kept[1]}
        if (
            not np.linalg.norm(places["left"] - places["right"])
            >= self.spec.sides.anchor_apart * kept[2]
        ):
            return pose  # the two starting places are too close to tell apart
        near: list[tuple[float, bool]] = []
        for side in SIDES:
            lm = sided(anchor, side)
            if pose.visibility[lm] < self.settings.visibility.min_visibility:
                continue
            for place_side, place in places.items():
                d = float(np.linalg.norm(pose.xy[lm] - place))
                near.append((d, place_side != side))
        if not near or not min(near)[1]:
            return pose
        return pose.with_swapped([(sided(j, "left"), sided(j, "right")) for j in limb_of(anchor)])

    def _note_anchor(self, pose: PoseFrame, t: float) -> None:
        """While the starting position is held: where the anchor joints are, as the model
        labels them (with both feet down it tells them apart), over the last ANCHOR_REST_S
        seconds of it, so that feet put down elsewhere between holds are followed."""
        anchor = self.spec.sides.anchor
        if not anchor or not pose.present:
            return
        lms = sided(anchor, "left"), sided(anchor, "right")
        if (pose.visibility[list(lms)] < self.settings.visibility.min_visibility).any():
            return  # a hidden foot's place is a guess
        samples = self._anchor_samples
        if samples and t - samples[-1][0] > ANCHOR_GAP_S:
            samples.clear()  # a new stretch of resting: the feet may have moved since
        left, right = pose.xy[lms[0]], pose.xy[lms[1]]
        samples.append((t, left.copy(), right.copy(), g.torso_length_px(pose)))
        while samples[0][0] < t - ANCHOR_REST_S:
            samples.popleft()
        if self.stage is Stage.COUNTING:  # in setup, the places are set when it passes
            self._set_anchor_places()

    def _set_anchor_places(self) -> None:
        if self._anchor_samples:
            _, left, right, torso = zip(*self._anchor_samples)
            self._anchor_places = (
                np.median(left, axis=0),
                np.median(right, axis=0),
                float(np.nanmedian(torso)),
            )

    def _mid_movement(self) -> bool:
        """In a rep (away from rest) or in a hold."""
        if self.stage is not Stage.COUNTING:
            return False
        if self.spec.count_kind == "reps":
            return self.reps_counter.state.value not in ("rest", "unknown")
        return self.hold_timer.state.value != "out"

    def _steady_near(self, near: str, t: float) -> str:
        """The side facing the camera, by majority over the last NEAR_VOTE_S seconds: a
        person does not turn over in a moment, but the pose model's depth guess can flip."""
        votes = self._near_votes
        votes.append((t, near))
        self._near_left += near == "left"
        while votes and votes[0][0] < t - NEAR_VOTE_S:
            self._near_left -= votes.popleft()[1] == "left"
        left = self._near_left
        if 2 * left == len(votes):
            return self._near or near
        self._near = "left" if 2 * left > len(votes) else "right"
        return self._near

    # ------------------------------------------------------------------ main
    def update(self, pose: PoseFrame) -> FrameState:
        t = pose.timestamp_s
        if self.first_t is None:
            self.first_t = t
        self.last_t = t
        self.frames += 1
        events: list[SessionEvent] = []
        view = self._view(pose, t)
        self._current_view = view
        seen_from = self.base_spec.for_view(view)
        if self.stage is Stage.SETUP and self.spec is not seen_from:
            self.spec = seen_from  # filmed from another view
            self._ready_for_spec()
            # the sides read so far went by the other view's settings: not to be trusted
            self.held_before_start = [(a, b, Counter()) for a, b, _ in self.held_before_start]
        spec, st = self.spec, self.settings
        as_read, pose = pose, self._unswapped(pose)
        values = MeasureValues(spec, pose, st.visibility)
        self._scaled(values)
        self._from_start(values, t)  # before the side is chosen: near/far rules may read them
        self._from_hold(values, pose, t)
        if pose.present:
            self.frames_with_person += 1
            values.near = self._steady_near(values.near, t)
        side = self._working_side(values, pose) if pose.present else (self._side or "left")
        if self._side is not None and not spec.has_sides and self._mid_movement():
            side = self._side  # one rep or hold is read from one side throughout
        self._side = side
        values.with_side(side)
        if view != "unknown" and pose.present:
            self.view_counts[view] += 1

        problems, only_hidden = self._setup_problems(pose, values, side, view)
        setup_ok = not problems
        paused = False
        if self.stage is Stage.SETUP:
            self._setup_step(values, as_read, problems, only_hidden, side, t, events)
        elif not setup_ok:
            if self._last_seen_s is not None and t - self._last_seen_s > st.lost_s:
                paused = True
        else:
            self._last_seen_s = t
            resting = spec.sides.anchor and not self._mid_movement()
            if resting and values.test(spec.start.position):
                self._note_anchor(as_read, t)
        self._track_setup(problems, t)

        out_of_place = self._out_of_place(values, t)
        if spec.relative_measure and not out_of_place:
            # The resting baseline is learnt from the first frames on, setup included.
            self._relative(values.get(spec.relative_measure), t)
        phase = "setup"
        hold_status = None
        if self.stage is Stage.COUNTING and spec.resolution is not None and self.resolution is None:
            self._judge_resolution(values, t)
        if self.stage is Stage.COUNTING:
            # A hidden body part pauses counting, but a cue whose own landmarks can be
            # seen still speaks (measures on hidden landmarks are unknown anyway).
            cues_usable = setup_ok or only_hidden
            phase = self._count(values, side, t, events, setup_ok, cues_usable, out_of_place)
            moving = phase in ("rising", "top", "lowering") or self._hold_shown
            if moving and self._message and self._message[0] == READY_TEXT:
                self._message = None  # under way: "ready" is stale
            if self.hold_timer is not None:
                hold_status = self._hold_status(side)
        return FrameState(
            timestamp_s=t,
            pose=pose,
            stage=self.stage,
            phase=phase,
            side=side if spec.has_sides else None,
            view=view,
            measures=self._shown_measures(values),
            cue=self._current_cue(problems, t),
            reps=self.rep_counts(),
            partial_reps=sum(kind != "under_way" for *_, kind in self.partials),
            hold=hold_status,
            sets_done=self._sets_shown(hold_status),
            message=self._frame_message(problems, paused, hold_status, t),
            events=tuple(events),
            paused=paused,
            short_holds=sum(not met for _, _, met in self.holds) if spec.targets.hold_s else 0,
        )

    def _setup_problems(
        self, pose: PoseFrame, values: MeasureValues, side: str, view: str
    ) -> tuple[list[tuple[str, str]], bool]:
        """What keeps the setup check from passing (or pauses counting), most basic first,
        as (id, message); each is a timed event in the report. Also whether all of them
        are hidden body parts."""
        spec = self.spec
        needed_side = side if spec.view == "side" and not spec.has_sides else None
        out, hidden = self._missing_parts(pose, needed_side) if pose.present else ([], [])
        problems: list[tuple[str, str]] = []
        if not pose.present:
            problems.append(("no_person", "Step into the picture: nobody is in view"))
        elif out:
            words = " and ".join(_PART_WORDS[p] for p in out[:2])
            problems.append(("out_of_frame", f"Move the camera back: {words} out of frame"))
        elif hidden:
            parts = " and ".join(hidden[:2])
            problems.append(("not_visible", f"Make sure your {parts} can be seen"))
        elif self.stage is Stage.COUNTING and spec.view_checked == "at_start":
            pass
        elif spec.view == "side" and view == "front":
            problems.append(("turn_side_on", "Turn side-on to the camera"))
        elif spec.view == "front" and view == "side":
            problems.append(("face_camera", "Face the camera, or put it at your feet"))
        only_hidden = bool(problems) and all(pid == "not_visible" for pid, _ in problems)
        if self.stage is Stage.COUNTING and only_hidden and self._count_readable(values):
            problems = []  # a hidden part the count does not read: feet behind the knees
        return problems, only_hidden

    def _setup_step(
        self,
        values: MeasureValues,
        as_read: PoseFrame,
        problems: list[tuple[str, str]],
        only_hidden: bool,
        side: str,
        t: float,
        events: list[SessionEvent],
    ) -> None:
        """The setup check's frame: time the starting position (adding its message to
        ``problems`` while it is not reached), note a hold under way before it, and start
        counting once it has been held for ``start.hold_s``."""
        spec = self.spec
        setup_ok = not problems
        # The starting position is timed while only the view is in doubt (the view is
        # judged over a window, so it settles later): once it has, counting can start.
        view_only = bool(problems) and all(pid in _VIEW_PROBLEMS for pid, _ in problems)
        in_start = values.test(spec.start.position) if setup_ok or view_only else None
        if in_start:
            self._start_samples.append(
                {k: values.values[k] for k in self._from_start_keys(values)}
                | {"torso_px": values.torso[0], "torso_m": values.torso[1]}
            )
            self._note_anchor(as_read, t)
            if self._start_since is None:
                self._start_since = t
        else:
            self._start_since = None
        if setup_ok and not in_start:
            problems.append(("start_position", spec.start.message))
        if not in_start and self._holding_before_start(values, problems, only_hidden):
            spans = self.held_before_start  # a hold under way that cannot be timed
            if spans and t - spans[-1][1] <= spec.hold.grace_s:
                spans[-1] = (spans[-1][0], t, spans[-1][2])
            else:
                spans.append((t, t, Counter()))
            spans[-1][2][side] += 1
        if setup_ok and in_start and t - self._start_since >= spec.start.hold_s:
            self._start_ref = {
                k: _median_known([d[k] for d in self._start_samples])
                for k in (self._start_samples[-1] if self._start_samples else {})
            }
            self._set_anchor_places()
            self.stage = Stage.COUNTING
            self.setup_passed_s = t
            events.append(SessionEvent("setup_passed", t, message="Ready: start when you like"))
            self._set_message(READY_TEXT, t)

    def _track_setup(self, problems: list[tuple[str, str]], t: float) -> None:
        """Open the setup events of this frame's problems; close those of the others."""
        active = {pid for pid, _ in problems}
        now = [(pid, msg, True) for pid, msg in problems]
        gone = [(pid, "", False) for pid in self._setup_trackers if pid not in active]
        for pid, msg, on in now + gone:
            self._track(
                self._setup_trackers,
                self._open_setup,
                self.setup_events,
                pid,
                msg,
                on,
                t,
                "setup",
                0.0,
                self.settings.setup_clear_s,
            )

    def _hold_status(self, side: str) -> HoldStatus:
        """The hold timer as the ring shows it: the running hold (nothing before it is
        announced: its clock then counts from there), or the side asked for next."""
        spec = self.spec
        running = self._hold_shown
        hs = (self._voted_side()[0] or self._hold_side) if spec.has_sides else None
        # "next: LEFT" once a side has been asked for: before the first hold, either side
        # may go first
        waiting = spec.has_sides and not self._all_done and bool(self.holds)
        return HoldStatus(
            side=hs if running else (self._switch_to or side if waiting else None),
            elapsed_s=self.hold_timer.elapsed_s if running else 0.0,
            target_s=spec.targets.hold_s,
            running=running,
            stopped=running and self._form_stopped,
        )

    def _frame_message(
        self,
        problems: list[tuple[str, str]],
        paused: bool,
        hold_status: HoldStatus | None,
        t: float,
    ) -> str | None:
        """The frame's one message: counting paused; else a one-off message still up; the
        view that cannot tell the movement from rest; a hold paused; its time left."""
        if paused and self.stage is Stage.COUNTING:
            return "Counting paused: " + (problems[0][1] if problems else "lost sight of you")
        if self._message and t <= self._message[1]:
            return self._message[0]
        if self.resolution is not None and not self.resolution["resolvable"]:
            return self.resolution["message"]
        timer = self.hold_timer
        if (
            timer is not None
            and timer.state.value == "paused"
            and self._hold_shown
            and not timer.target_met  # then leaving it is the release, not a slip
        ):
            return "Hold paused: get back into position to go on"
        if hold_status is not None and hold_status.running:
            target = hold_status.target_s
            if target and hold_status.elapsed_s < target:
                return f"Hold... {int(math.ceil(target - hold_status.elapsed_s))} s left"
        return None

    def _shown_measures(self, values: MeasureValues) -> dict[str, float]:
        """The spec's ``show`` measures, a relative one from the person's resting value
        (as it is counted)."""
        shown = {}
        for name in self.spec.show:
            shown[name] = values.get(name)
            if name == self.spec.relative_measure:
                shown[name] -= self._baseline if self._baseline is not None else math.nan
        return shown

    def _holding_before_start(
        self, values: MeasureValues, problems: list[tuple[str, str]], only_hidden: bool
    ) -> bool:
        """In the held position before the starting position was seen (a video that begins
        mid-hold, or someone who got into position before the app was ready): the hold
        cannot be timed, which whoever reviews the video should be told."""
        if self.hold_timer is None:
            return False
        readable = not problems or all(
            pid in _VIEW_PROBLEMS or pid == "start_position" for pid, _ in problems
        )
        if only_hidden:  # a part the hold does not read (hands under the head) is hidden
            readable = self._count_readable(values)
        return readable and values.test(self.spec.hold.position) is True

    def _from_start_keys(self, values: MeasureValues) -> list[str]:
        names = {m.name for m in self.spec.measures.values() if m.from_start}
        return [k for k in values.values if k.rpartition(".")[2] in names]

    def _from_start(self, values: MeasureValues, t: float) -> None:
        """Measures taken relative to the starting position: raw until it is known (only
        for collecting it), then the difference or ratio to it."""
        keys = self._from_start_keys(values)
        if not keys or self._start_ref is None:
            return
        for k in keys:
            raw, ref = values.values[k], self._start_ref.get(k, float("nan"))
            m = self.spec.measures[k.rpartition(".")[2]]
            how = m.from_start
            if how == "peak_ratio":
                rising = not m.peak_when or values.test(m.peak_when) is True
                ref = self._peak(k, t, raw, ref, rising=rising)
            if how in ("ratio", "peak_ratio"):
                values.values[k] = raw / ref if ref and ref == ref else float("nan")
            else:
                values.values[k] = raw - ref

    def _scaled(self, values: MeasureValues) -> None:
        """``scale: start`` measures in torso lengths as the torso was at the start."""
        ref = self._start_ref
        if ref is None:
            return  # until then the frame's own torso, as at the start
        for m in self.spec.measures.values():
            if m.scale != "start":
                continue
            i = 1 if m.space == "world" else 0
            ratio = values.torso[i] / ref.get(("torso_px", "torso_m")[i], float("nan"))
            for k in value_keys(m):
                values.values[k] *= ratio

    def _from_hold(self, values: MeasureValues, pose: PoseFrame, t: float) -> None:
        """``from_hold`` measures relative to their value once the hold under way had
        settled (``hold_base_s``); unknown outside a hold and until then, while the hold's
        settle measure has left its band (coming out of it), and when the body reads turned
        round since."""
        measures = [m for m in self.spec.measures.values() if m.from_hold]
        if not measures:
            return
        keys = [k for m in measures for k in value_keys(m)]
        start = self.hold_timer.started_s if self.hold_timer is not None else None
        if start != self._hold_base_for:  # another hold (or none): learn its baseline anew
            self._hold_base_for, self._hold_base_rows, self._hold_base = start, [], None
        hold = self.spec.hold
        raw = {k: values.values[k] for k in keys}
        settle = values.get(hold.settle_measure) if hold.settle_within else None
        for k in keys:
            values.values[k] = float("nan")
        if start is None or not pose.present:
            return
        since, (a, b) = t - start, self.settings.hold_base_s
        if since < b:
            if since >= a:
                self._hold_base_rows.append((raw, g.body_axis_deg(pose), settle))
            return
        if self._hold_base is None:
            rows = self._hold_base_rows
            if not rows:
                return
            self._hold_base = (
                {k: _median_known([r[k] for r, _, _ in rows]) for k in keys},
                g.mean_angle_deg([axis for _, axis, _ in rows]),
                _median_known([s for _, _, s in rows if s is not None]),
            )
        base, axis, settled = self._hold_base
        turned = abs((g.body_axis_deg(pose) - axis + 180.0) % 360.0 - 180.0)
        if turned > self.settings.hold_base_turn_deg:
            return  # the body read the other way round: not to be trusted
        if settle is not None and not abs(settle - settled) <= hold.settle_within:
            return  # the held position itself is on the move (coming out of it)
        for k in keys:
            values.values[k] = raw[k] - base[k]
        for m in measures:  # each side's drift, then both read together
            if m.per_side and m.sides != "each":
                values.join_sides(m)

    def _peak(self, key: str, t: float, raw: float, start: float, rising: bool = True) -> float:
        """The highest value held for PEAK_HELD_S in a row since the start (a median over
        the frames read in it, so that a glitch does not count), at least ``start``; frames
        where it may not rise (``peak_when`` false) break the run."""
        recent = self._peak_recent.setdefault(key, deque())  # (time, value), the last run
        if not rising:
            recent.clear()
        elif raw == raw:
            recent.append((t, raw))
            while len(recent) > 1 and t - recent[1][0] >= PEAK_HELD_S:
                recent.popleft()  # the shortest run back that spans PEAK_HELD_S
        peak = self._peaks.get(key, start)
        if recent and recent[-1][0] - recent[0][0] >= PEAK_HELD_S:
            held = float(np.median([v for _, v in recent]))
            if math.isnan(peak) or held > peak:
                peak = held
        self._peaks[key] = peak
        return peak

    def _judge_resolution(self, values: MeasureValues, t: float) -> None:
        """After setup, while at rest: is the measure's jitter small next to the movement?"""
        res = self.spec.resolution
        self._resolution_values.append(values.get(res.measure))
        if t - self.setup_passed_s < res.window_s:
            return
        vals = np.array(self._resolution_values, float)
        seen = vals[np.isfinite(vals)]
        # Jitter from one frame to the next (robust to a real, slower movement in the window).
        if len(seen) >= 5:
            steps = np.diff(seen)
            noise = float(2 * 1.4826 * np.median(np.abs(steps - np.median(steps))) / np.sqrt(2))
        else:
            noise = float("inf")
        resolvable = bool(len(seen) >= 0.5 * len(vals) and noise < res.min_change / 2)
        self.resolution = {
            "measure": res.measure,
            "noise": round(noise, 3) if np.isfinite(noise) else None,
            "min_change": res.min_change,
            "resolvable": resolvable,
            "message": None if resolvable else res.message,
        }

    def _out_of_place(self, values: MeasureValues, t: float) -> bool:
        """Out of the position the movement is made from (``reps.require``; a foot off the
        floor in a pelvic tilt), or back in it for less than ``REQUIRE_SETTLE_S``: not this
        exercise. Unknown (hidden landmarks) is not out."""
        reps = self.spec.reps
        if reps is None or not reps.require:
            return False
        conds = reps.require
        if self._start_ref is None:  # measures from the start are not known yet
            known = self.spec.measures
            conds = tuple(c for c in conds if not any(known[n].from_start for n in c.base_measures))
        if values.test(conds) is False:
            self._last_out_t = t
        return self._last_out_t is not None and t - self._last_out_t < REQUIRE_SETTLE_S

    def _released(self, t: float) -> bool:
        """Coming out of a hold that met its target (see ``SessionSettings.released_s``)."""
        timer = self.hold_timer
        if not timer.target_met:  # the running or last hold
            return False
        if timer.state.value != "out":  # in its grace, or paused
            return True
        ended = self._hold_ended_t
        return ended is not None and t - ended < self.settings.released_s

    def _count(
        self,
        values: MeasureValues,
        side: str,
        t: float,
        events: list,
        usable: bool,
        cues_usable: bool,
        out_of_place: bool,
    ) -> str:
        spec = self.spec
        phase = "rest"
        form_ok = True
        # Cues (only while the pose can be read).
        if self.reps_counter is not None:
            phase = self.reps_counter.state.value
        elif self.hold_timer is not None:
            # In the grace after leaving the position, hold cues are off.
            phase = "holding" if self.hold_timer.state.value == "holding" else "out"
        released = phase == "out" and self._released(t)
        for cue in spec.cues:
            in_phase = not cue.phases or (phase in cue.phases and not released)
            # Unknown while the pose cannot be read; off outside the cue's phases.
            cond = (values.test(cue.when) if in_phase else False) if cues_usable else None
            for ev in self._track(
                self._cue_trackers,
                self._open_cues,
                self.cue_events,
                cue.id,
                cue.message,
                cond,
                t,
                "form",
                cue.after_s,
                cue.clear_s,
            ):
                events.append(SessionEvent("cue_on", t, message=ev.message, id=ev.id))
            if cue.pauses_hold and self._cue_trackers[cue.id].active:
                form_ok = False
        self._form_stopped = not form_ok

        if self.reps_counter is not None:
            nan = float("nan")
            value = values.get(spec.reps.measure) if usable else nan
            top = values.get(spec.reps.top_measure) if usable and spec.reps.top_measure else None
            if spec.reps.relative:
                value = value - self._baseline if self._baseline is not None else nan
            if out_of_place:
                self.reps_counter.abandon(t)
                return self.reps_counter.state.value
            self.reps_counter.use(spec.reps.for_view(self._current_view))
            before = self.reps_counter.state
            reps = self.reps_counter.update(t, value, top)
            for ev in reps:
                self._on_rep(ev, side, events)
            at_top = self.reps_counter.state is RepState.TOP
            ended = any(ev.kind == "completed" or ev.kind in _UNCOUNTED_REPS for ev in reps)
            if at_top and before is not RepState.TOP and not ended:
                # the last rep's advice, once the next is at the top (a cat-cow rep, or a
                # swing turned back, ends at the top: its own advice stays)
                self._flash_cue = None
            return self.reps_counter.state.value

        timer = self.hold_timer
        in_pos = values.test(spec.hold.position) if usable else None
        told = spec.sides.left_when is not None and spec.sides.near_when is None
        if told and in_pos and timer.state.value in ("grace", "paused") and side != self._hold_side:
            # The side is read straight off a measure (knees to the left or right): left the
            # position and back in it on the other side, this side's hold is over.
            for ev in timer.finish(t):
                self._on_hold(ev, events)
        if spec.has_sides and timer.state.value == "out" and in_pos:
            self._hold_side = side
            self._hold_side_votes = Counter()
        if spec.has_sides and timer.state.value not in ("out", "paused"):
            self._hold_side_votes[side] += 1  # out of position, the side is not read
        if spec.hold.settle_measure:
            if timer.state.value == "out" and not in_pos:
                self._settle_trace = []
                before = self._settle_before
                before.append((t, values.get(spec.hold.settle_measure)))
                while before and before[0][0] < t - SETTLE_BEFORE_S:
                    before.popleft()
            else:
                self._settle_trace.append((t, values.get(spec.hold.settle_measure)))
        if timer.state.value == "paused" and usable and values.test(spec.start.position):
            for ev in timer.give_up():  # back at the start: this hold is over
                self._on_hold(ev, events)
        for ev in timer.update(t, in_pos, form_ok):
            self._on_hold(ev, events)
        shown_after = self.settings.hold_shown_after_s
        if (
            not self._hold_shown
            and in_pos
            and t - (timer.started_s or t) >= shown_after
            and self._settled_for(shown_after, t)
        ):
            self._hold_shown = True  # in the position long enough, and still: a hold
            # Its clock counts from when it was still: the time getting into it is not held
            # (the report trims it too), so the countdown shown agrees with the report.
            self._hold_lead_s = timer.keep_last(shown_after)
            events.append(SessionEvent("hold_started", t, self._hold_side, "Hold"))
            self._due_for_hold, self._switch_to, self._side_due = self._side_due, None, None
            self._shown_at = t
        due = self._due_for_hold
        if due and self._hold_shown and t - self._shown_at >= OTHER_SIDE_AFTER_S:
            self._due_for_hold = None
            side, share = self._voted_side()
            if side and side != due and share >= OTHER_SIDE_SHARE:
                word = self._side_word()  # timed all the same: maybe meant, maybe not
                text = f"That is your {side} {word}: your {due} {word} is next"
                events.append(SessionEvent("other_side", t, side, text))
                self._set_message(text, t)
        return "holding" if timer.state.value != "out" else "out"

    def _settled_for(self, seconds: float, t: float) -> bool:
        """The hold's settle measure has kept within ``settle.within`` over the last
        ``seconds`` (True without one), and within its band either side of its median
        (``_settle_band``, for a ``share`` of the move): still in the position, not passing
        through it (knees drawn up on the way to a twist read as lowered for a moment) nor
        still sinking slowly into it."""
        h = self.spec.hold
        if not h.settle_measure or not h.settle_within:
            return True
        recent = [v for tt, v in self._settle_trace if tt >= t - seconds and v == v]
        if not recent:
            return False
        band = self._settle_band(float(np.median(recent)), self._values_before())
        spread = max(recent) - min(recent)
        return spread <= h.settle_within and (band is None or spread <= 2 * band)

    def _relative(self, value: float, t: float) -> float:
        """The value less the person's resting value: the resting end (20th percentile,
        towards rest) of the last ``baseline_s`` seconds, so brief movements do not move it."""
        reps = self.spec.reps
        window = self._baseline_window
        if value == value:
            window.append((t, value))
        while window and window[0][0] < t - reps.baseline_s:
            window.popleft()
        if not window or window[-1][0] - window[0][0] < min(1.0, reps.baseline_s):
            return float("nan")
        q = 20 if reps.direction == "up" else 80
        self._baseline = float(np.percentile([v for _, v in window], q))
        return value - self._baseline

    def _on_rep(self, ev: RepEvent, side: str, events: list) -> None:
        spec = self.spec
        rside = side if spec.has_sides else None
        if ev.kind == "completed":
            self.reps.append((ev.rep, rside))
            n = len(self.reps)
            events.append(SessionEvent("rep_completed", ev.t_s, rside, message=str(n)))
            if ev.rep.top_start_s is not None:
                hold = Hold(
                    ev.rep.top_start_s,
                    ev.rep.top_end_s or ev.t_s,
                    (ev.rep.top_end_s or ev.t_s) - ev.rep.top_start_s,
                )
                target = spec.targets.hold_s
                self.holds.append((hold, rside, bool(target is None or hold.held_s >= target)))
            props = ev.rep.properties
            for rc in spec.rep_cues:
                results = [c.judge(lambda n: props.get(n, float("nan"))) for c in rc.when]
                if results and all(r is True for r in results):
                    self.cue_events.append(
                        _TimedEvent(rc.id, rc.message, ev.rep.start_s, ev.rep.end_s, "rep")
                    )
                    self._flash_cue = (
                        ActiveCue(rc.id, rc.message, rc.priority, "rep"),
                        ev.t_s + self.settings.message_s,
                    )
                    events.append(SessionEvent("cue_on", ev.t_s, rside, rc.message, rc.id))
            if spec.targets.reps and n == spec.targets.reps:
                events.append(SessionEvent("done", ev.t_s, message=f"{n} reps: well done"))
                self._set_message(f"{n} reps: well done", ev.t_s)
        elif ev.kind in _UNCOUNTED_REPS:
            cue_key, default = _UNCOUNTED_REPS[ev.kind]
            cue_id = getattr(spec.reps, cue_key) if cue_key else None
            cue = spec.cue(cue_id) if cue_id else None
            reason = cue.message if cue else default
            self.partials.append((ev.rep, rside, reason, ev.kind))
            if cue:
                self.cue_events.append(
                    _TimedEvent(cue.id, cue.message, ev.rep.start_s, ev.rep.end_s, "rep")
                )
                self._flash_cue = (
                    ActiveCue(cue.id, cue.message, cue.priority, "rep"),
                    ev.t_s + self.settings.message_s,
                )
            events.append(SessionEvent("rep_partial", ev.t_s, rside, reason, cue.id if cue else ""))

    def _on_hold(self, ev: HoldEvent, events: list) -> None:
        spec = self.spec
        side = self._hold_side if spec.has_sides else None
        if ev.kind == "ended":
            ev = HoldEvent(ev.kind, ev.t_s, self._settled(ev.hold))
            if ev.hold.held_s < spec.hold.min_hold_s:  # never settled (or paused) long enough
                ev = HoldEvent("discarded", ev.t_s, ev.hold)
        if ev.kind in ("ended", "discarded"):
            self._hold_shown, self._hold_lead_s, self._due_for_hold = False, 0.0, None
        if ev.kind == "target_met":
            longest = spec.targets.hold_max_s
            up_to = f", or hold on up to {_duration(longest)}" if longest else ""
            # the event's message is what is said; the overlay shows its own
            events.append(SessionEvent("target_met", ev.t_s, side, f"Time. Release slowly{up_to}."))
            self._set_message(f"Target reached: release{up_to}", ev.t_s)
        elif ev.kind == "max_reached":
            said = "That's long enough. Release slowly."
            events.append(SessionEvent("max_reached", ev.t_s, side, said))
            self._set_message(f"{_duration(spec.targets.hold_max_s)} held: release now", ev.t_s)
        elif ev.kind == "ended":
            if spec.has_sides and self._hold_side_votes:
                side = self._voted_side()[0]
            target = spec.targets.hold_s
            # met when "Target reached" was said (timed untrimmed, as the person saw it),
            # or when the time held, trimmed of the way in and out, still reaches it
            said = self.hold_timer.target_met
            met = bool(target is not None and (said or ev.hold.held_s >= target - 0.05))
            self.holds.append((ev.hold, side, met))
            events.append(SessionEvent("hold_ended", ev.t_s, side, f"{ev.hold.held_s:.0f} s"))
            self._hold_ended_t = ev.t_s
            self._after_hold(side, ev.hold, met, ev.t_s, events)
            self._hold_side = None
        elif ev.kind == "discarded":
            self._hold_side = None

    def _settled(self, hold: Hold) -> Hold:
        """Trim getting into and out of the position off a hold (``hold.settle_*``)."""
        h = self.spec.hold
        # the time taken off its clock when it was announced, back: trimmed here instead
        hold = Hold(hold.start_s, hold.end_s, hold.held_s + self._hold_lead_s)
        trace = [
            (t, v) for t, v in self._settle_trace if hold.start_s <= t <= hold.end_s and v == v
        ]
        self._settle_trace = []
        if not h.settle_measure or len(trace) < 3:
            return hold
        held = float(np.median([v for _, v in trace]))
        before = self._values_before()
        within = self._settle_band(held, before)
        if within is None:
            return hold
        # Runs of frames near the held value; a run shorter than SETTLE_RUN_S is passing
        # through (or the pose model swapping limbs mid-move), not settled. At the end, a
        # value past the held one (further from where the move began: a leg higher, a
        # knee hugged tighter) is still held; at the start it is not, as the pose model
        # reads a limb on its way past where it will be held before it is there. Where
        # the move began is the value before it furthest from the held one (a person who
        # overshot on the way in has that on both sides); no move out of the band, no
        # direction.
        began = max(before, key=lambda v: abs(v - held)) if before else held
        direction = float(np.sign(held - began)) if abs(held - began) > within else 0.0

        def settled_runs(past_is_held: bool) -> list[list[float]]:
            runs: list[list[float]] = []
            last_near = False
            for t, v in trace:
                near = abs(v - held) <= within or (past_is_held and (v - held) * direction > 0)
                if near and (last_near or (runs and _breaks_settled_run(runs[-1], t))):
                    runs[-1][1] = t
                elif near:
                    runs.append([t, t])
                last_near = near
            return [r for r in runs if r[1] - r[0] >= SETTLE_RUN_S] or runs

        into = settled_runs(past_is_held=False)
        if not into:
            return hold
        # The move in may sweep past the held value once, on its way (a leg swung up over
        # where it is held with the knee bent, then let back): a first run shorter than
        # SETTLE_PASS_S, crossed one way (never falling back out of the band towards
        # where the move began) and then left past the held value, is passing through.
        first = [v for t, v in trace if into[0][0] <= t <= into[0][1]]
        after = next((v for t, v in trace if t > into[0][1]), held)  # the next run's, if any
        if (
            len(into) > 1
            and into[0][1] - into[0][0] < SETTLE_PASS_S
            and min((v - held) * direction for v in first) >= -within
            and (after - held) * direction > within
        ):
            into.pop(0)
        out_of = settled_runs(past_is_held=True)
        start, end = max(hold.start_s, into[0][0]), min(hold.end_s, out_of[-1][1])
        trimmed = (start - hold.start_s) + (hold.end_s - end)
        return Hold(start, end, max(0.0, hold.held_s - trimmed))

    def _values_before(self) -> list[float]:
        """The hold's settle measure over the last seconds before the hold (the known)."""
        return [v for _, v in self._settle_before if v == v]

    def _settle_band(self, held: float, before: list[float]) -> float | None:
        """How near its held value the hold's settle measure must keep to count as
        settled: ``settle.within``, or its ``share`` of the move into the hold, from where
        it began (of the values ``before`` it, the one furthest away, bar outliers)."""
        h = self.spec.hold
        if h.settle_share is not None and before:
            way = float(np.percentile([abs(v - held) for v in before], 90))  # where it began
            return h.settle_share * way
        return h.settle_within

    def _voted_side(self) -> tuple[str | None, float]:
        """The side most of the running hold's frames read, and their share of them."""
        votes = self._hold_side_votes
        if not votes:
            return None, 0.0
        side, n = votes.most_common(1)[0]
        return side, n / sum(votes.values())

    def _side_word(self) -> str:
        """What a side is called in messages: a leg, or a side (the twist)."""
        spec = self.spec
        return "leg" if "leg" in (spec.summary + spec.name).lower() else "side"

    def _after_hold(self, side: str | None, hold: Hold, met: bool, t: float, events: list) -> None:
        """What to do next: all done; the same again (released short of the target); or
        switch sides."""
        spec = self.spec
        target = spec.targets.hold_s
        sets = spec.targets.sets or 1
        done = self.sets_done()
        word = self._side_word()
        sides = SIDES if spec.has_sides else ("total",)
        if all(done[s] >= sets for s in sides):
            if not self._all_done:
                self._all_done, self._switch_to, self._side_due = True, None, None
                if spec.targets.sets:
                    text = "All sets done: well done"
                else:
                    text = f"Both {word}s done: well done" if spec.has_sides else "Well done"
                events.append(SessionEvent("done", t, message=text))
                self._set_message(text, t)
            return
        other = other_side(side) if spec.has_sides and side else None
        if target and not met:
            again = "go again"
            if other is not None and done[side] >= sets:  # an extra try on a side done
                side, other = other, side
                again = f"now your {side} {word}"
            elif other is not None:
                again = f"again with your {side} {word}"
            if other is not None:
                self._switch_to = side  # the ring's "next:" says the same
            held = f"{hold.held_s:.1f}"  # as the report gives it
            if float(held) >= target:  # never "30.0 s of 30" for 29.96
                held = f"{math.floor(hold.held_s * 10) / 10:.1f}"
            text = f"Released at {held} s of {target:.0f}: {again}"
            events.append(SessionEvent("hold_short", t, side, text))
            self._set_message(text, t)
            return
        switch = spec.sides.switch if spec.has_sides else None
        if switch == "after_each_hold" and other and done[other] >= sets:  # the other is done
            self._switch_to = self._side_due = side
            events.append(SessionEvent("same_side", t, side, f"Again with your {side} {word}"))
            self._set_message(f"Again with your {side} {word}: the {other} is done", t)
        elif switch == "after_each_hold" or (switch == "after_sets" and done[side] >= sets):
            self._switch_to = self._side_due = other
            events.append(SessionEvent("switch_side", t, other, f"Switch {word}s"))
            self._set_message(f"Switch {word}s: now your {other}", t)

    def _current_cue(self, problems: list[tuple[str, str]], t: float) -> ActiveCue | None:
        if problems:
            pid, msg = problems[0]
            return ActiveCue(pid, msg, 0, "setup")
        best = None
        for cue in self.spec.cues:
            if self._cue_trackers[cue.id].active and (best is None or cue.priority < best.priority):
                best = cue
        if best is not None:
            return ActiveCue(best.id, best.message, best.priority, "form")
        if self._flash_cue and t <= self._flash_cue[1]:
            return self._flash_cue[0]
        return None

    # ------------------------------------------------------------------ results
    def rep_counts(self) -> dict[str, int | None]:
        spec = self.spec
        if spec.count_kind == "reps":
            if spec.has_sides:
                left = sum(1 for _, s in self.reps if s == "left")
                right = sum(1 for _, s in self.reps if s == "right")
                return {"total": left + right, "left": left, "right": right}
            return {"total": len(self.reps), "left": None, "right": None}
        if spec.has_sides:
            done = self.holds_done()
            return {"total": done["left"] + done["right"], **done}
        return {"total": None, "left": None, "right": None}

    def _never_started(self) -> str:
        seen = self.last_t - self.first_t if self.first_t is not None else 0.0
        needed = self.settings.view_window_s + self.spec.start.hold_s
        if seen < needed:  # the view and the position are judged over this long
            return f"The video is too short ({seen:.1f} s) to check the starting position"
        return "The starting position was never reached: " + self.spec.start.message

    def _held_before_start(self) -> list[dict]:
        """Holds under way before the starting position was seen (a video that begins
        mid-hold): not timed, and said so. Only once the starting position has been
        reached: until then the clip may be of another movement that looks alike."""
        if self.setup_passed_s is None or self.hold_timer is None:
            return []
        return [
            {
                "side": sides.most_common(1)[0][0] if self.spec.has_sides and sides else None,
                "start_s": round(a, 3),
                "end_s": round(b, 3),
            }
            for a, b, sides in self.held_before_start
            if b - a >= max(self.spec.hold.min_hold_s, HELD_BEFORE_MIN_S)
        ]

    def holds_done(self) -> dict[str, int]:
        """Holds per side, however long (what was done; the report's counts)."""
        return {s: sum(1 for _, side, _ in self.holds if side == s) for s in SIDES}

    def sets_done(self) -> dict[str, int]:
        """Holds that met the target (every hold where there is none), per side and in all:
        what counts towards the sets, in the overlay and for "all sets done"."""
        counted = [side for _, side, met in self.holds if met or not self.spec.targets.hold_s]
        return {
            "left": counted.count("left"),
            "right": counted.count("right"),
            "total": len(counted),
        }

    def _sets_shown(self, running: HoldStatus | None) -> dict[str, int]:
        """``sets_done``, with the running hold once it has met its target (the ring says
        "done"; it is booked when it ends)."""
        done = self.sets_done()
        if running is not None and running.running and self.hold_timer.target_met:
            if running.side in done:
                done[running.side] += 1
            done["total"] += 1
        return done

    def finish(self) -> None:
        """Close what is still open at the end of the video or session."""
        t = self.last_t
        if self.reps_counter is not None and self.stage is Stage.COUNTING:
            top_since = self.reps_counter.open_top()
            for ev in self.reps_counter.finish(t):
                self._on_rep(ev, self._side if self.spec.has_sides else None, [])
            if top_since is not None and self.reps_counter.state is RepState.TOP and t > top_since:
                # still held at the top when the video ended: no rep, but a pause held
                target = self.spec.targets.hold_s
                held = Hold(top_since, t, t - top_since)
                side = self._side if self.spec.has_sides else None
                self.holds.append((held, side, bool(target is None or held.held_s >= target)))
                self.held_at_end = len(self.holds) - 1
        if self.hold_timer is not None:
            still_held = self.hold_timer.state is HoldState.HOLDING
            before = len(self.holds)
            for ev in self.hold_timer.finish(t):
                self._on_hold(ev, [])
            if still_held and len(self.holds) > before:
                self.held_at_end = len(self.holds) - 1
        for trackers, open_, log, kind in (
            (self._cue_trackers, self._open_cues, self.cue_events, "form"),
            (self._setup_trackers, self._open_setup, self.setup_events, "setup"),
        ):
            for tracker in trackers.values():
                for span in tracker.finish(t):
                    self._log_span(span, "", open_, log, kind)

    def summary(self) -> dict:
        """The counting part of the report (see README, "Report")."""
        spec = self.spec
        target = spec.targets.hold_s
        return {
            "exercise": spec.id,
            "exercise_name": spec.name,
            "count_kind": spec.count_kind,
            "setup": {
                "passed": self.setup_passed_s is not None,
                "passed_at_s": None
                if self.setup_passed_s is None
                else round(self.setup_passed_s, 3),
                "message": None if self.setup_passed_s is not None else self._never_started(),
                "in_position_before": self._held_before_start(),
            },
            "reps": self.rep_counts(),
            "rep_list": [
                {
                    "index": i + 1,
                    "side": side,
                    "start_s": round(rep.start_s, 3),
                    "end_s": round(rep.end_s, 3),
                    "top_s": None if rep.top_start_s is None else round(rep.properties["top_s"], 3),
                }
                for i, (rep, side) in enumerate(self.reps)
            ],
            "partial_reps": [
                {
                    "side": side,
                    "start_s": round(rep.start_s, 3),
                    "end_s": round(rep.end_s, 3),
                    "reason": reason,
                    "kind": kind,
                }
                for rep, side, reason, kind in self.partials
            ],
            "holds": [
                {
                    "side": side,
                    "start_s": round(h.start_s, 3),
                    "end_s": round(h.end_s, 3),
                    "duration_s": round(h.held_s, 3),
                    "target_s": target,
                    "met": None if target is None else met,
                    "held_at_end": i == self.held_at_end,
                }
                for i, (h, side, met) in enumerate(self.holds)
            ],
            "targets": {
                "hold_s": target,
                "hold_max_s": spec.targets.hold_max_s,
                "sets_per_side" if spec.has_sides else "sets": spec.targets.sets,
                "reps": spec.targets.reps,
                "text": spec.targets.text,
            },
            "cues": [e.as_dict() for e in sorted(self.cue_events, key=lambda e: e.start_s)],
            # the article's cues that no view can check, and those that the settings for
            # the camera's view (by_view) leave out
            "cues_not_checked": list(self.spec.not_checked)
            + [c.message for c in self.base_spec.cues if self.spec.cue(c.id) is None],
            "setup_messages": [
                e.as_dict() for e in sorted(self.setup_events, key=lambda e: e.start_s)
            ],
            "view": self.view_counts.most_common(1)[0][0] if self.view_counts else None,
            "resolution": self.resolution,
        }
