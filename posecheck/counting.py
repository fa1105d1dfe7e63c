"""Counting: a rep counter, a hold timer and a cue tracker, each a small state machine.

Each has one ``update(t, ...) -> events`` method and named settings with units; none knows
about poses, drawing or exercises beyond the numbers it is given. ``None`` / NaN inputs
mean "cannot see": the machine pauses (no phantom reps, no reset).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from enum import Enum

from posecheck.spec import HoldSpec, RepSpec


class RepState(Enum):
    UNKNOWN = "unknown"  # not yet seen at rest: nothing is counted from mid-movement
    REST = "rest"
    RISING = "rising"
    TOP = "top"
    LOWERING = "lowering"


@dataclass(frozen=True)
class Rep:
    """A finished rep attempt. ``complete`` False = a partial rep (top never reached)."""

    start_s: float
    end_s: float
    complete: bool
    peak: float
    top_start_s: float | None = None
    top_end_s: float | None = None
    rest_peak: float = float("nan")  # furthest the rest before it went the other way
    speed: float = float("nan")  # fastest the measure changed during it, units a second

    @property
    def properties(self) -> dict[str, float]:
        """What rep cues are judged on (see ``spec.REP_PROPERTIES``)."""
        nan = float("nan")
        rise = (self.top_start_s - self.start_s) if self.top_start_s is not None else nan
        top = (self.top_end_s - self.top_start_s) if self.top_start_s is not None else nan
        lower = (self.end_s - self.top_end_s) if self.top_end_s is not None else nan
        return {
            "rise_s": rise,
            "top_s": top,
            "lower_s": lower,
            "cycle_s": self.end_s - self.start_s,
            "lower_to_rise": lower / rise if rise and rise > 0 else nan,
            "peak": self.peak,
            "rest_peak": self.rest_peak,
            "speed": self.speed,
        }


# A rep's speed: the measure's change over this span (at least), a second. Long enough
# that a frame's jitter does not count as speed, short enough to catch a hurried swing.
SPEED_SPAN_S = 0.2


# The top of a rep, for timing the pause there: the highest level the measure held for
# this long. A misread landmark can spike the measure for a frame or two (a bridge filmed
# from the feet: the hip angle jumps 8 degrees while the knee is misplaced); timing the
# pause from such a spike leaves only the moments around it.
PEAK_SUSTAIN_S = 0.25


def _sustained_peak(trace: list[tuple[float, float]], span_s: float) -> float:
    """The highest of the trace's minima over ``span_s`` windows: the highest level it held
    for that long (its plain maximum when the trace is shorter than that)."""
    if not trace or trace[-1][0] - trace[0][0] < span_s:
        return max((v for _, v in trace), default=-math.inf)
    best = -math.inf
    window: deque[tuple[float, float]] = deque()  # increasing values: the sliding minimum
    for t, v in trace:
        while window and window[-1][1] >= v:
            window.pop()
        window.append((t, v))
        while window[0][0] < t - span_s:
            window.popleft()
        if t - trace[0][0] >= span_s:
            best = max(best, window[0][1])
    return best


@dataclass(frozen=True)
class RepEvent:
    # "started" | "top" | "completed" | "partial" | "too_far" | "abandoned"; alternating:
    # "partial_rest" (turned back before the rest end); "under_way" (a rep already under
    # way when counting began, or when the person was seen or in position again: not counted)
    kind: str
    t_s: float
    rep: Rep | None = None


class RepCounter:
    """Counts reps on one measure with enter/exit hysteresis and a minimum time per phase.

    Settings come from :class:`RepSpec`: ``start``, ``top_enter``, ``top_exit``, ``rest``
    thresholds (with ``direction``), ``min_phase_s`` (a crossing must last this long to
    count, against jitter) and ``min_rep_s`` (a shorter cycle is noise, not a rep).

    Args:
        max_gap_s: after this long without a valid value, an unfinished rep is dropped
            (neither counted nor partial) and counting waits for rest again.
    """

    def __init__(self, settings: RepSpec, max_gap_s: float = 2.0):
        self.s = settings
        self.max_gap_s = max_gap_s
        self._sign = 1.0 if settings.direction == "up" else -1.0
        if settings.top_measure:
            self._top_sign = 1.0 if settings.top_direction == "up" else -1.0
        else:
            self._top_sign = self._sign
        self.reset()

    def use(self, settings: RepSpec) -> None:
        """Switch to other thresholds (the same measure and direction), e.g. those for the
        camera view now seen; the rep in progress goes on."""
        self.s = settings

    def reset(self) -> None:
        self.state = RepState.UNKNOWN
        self.completed = 0
        self.partial = 0
        self._samples: list[tuple[float, float, float]] = []
        self._trace: list[tuple[float, float]] = []
        self._start = self._top_start = self._top_end = None
        self._peak = -math.inf
        self._first_visit: float | None = None
        self._unknown_from: float | None = None  # moving before rest was first seen: since
        self._unknown_peak = -math.inf
        self._rest_low = math.inf  # furthest towards rest (signed) since the last rep
        self._rep_rest_low = math.inf
        self._last_valid_t: float | None = None
        self._recent: deque[tuple[float, float]] = deque()  # (t, value), for the speed
        self._speeds: deque[tuple[float, float]] = deque()  # (t, speed), the last minute

    def _v(self, x: float) -> float:
        return self._sign * x

    def _target(self, v: float, top: float) -> RepState | None:
        s, st = self.s, self.state
        ts = self._top_sign
        if st is RepState.UNKNOWN:
            if v <= self._v(s.rest):
                return RepState.REST
            # A swinging movement may be met at either end.
            return RepState.TOP if s.alternating and top >= ts * s.top_enter else None
        if st is RepState.REST:
            return RepState.RISING if v >= self._v(s.start) else None
        if st is RepState.RISING:
            if top >= ts * s.top_enter:
                return RepState.TOP
            if v <= self._v(s.rest):
                return RepState.REST
            return None
        if st is RepState.TOP:
            return RepState.LOWERING if top <= ts * s.top_exit else None
        if st is RepState.LOWERING:
            if top >= ts * s.top_enter:
                return RepState.TOP
            if v <= self._v(s.rest):
                return RepState.REST
        return None

    def update(self, t: float, value: float | None, top: float | None = None) -> list[RepEvent]:
        """Feed one frame: ``value`` of the rep measure and, with a separate
        ``top_measure``, ``top`` (its value); None/NaN = cannot see."""
        events: list[RepEvent] = []
        if self.s.top_measure is None:
            top = value
        if value is None or top is None or not (math.isfinite(value) and math.isfinite(top)):
            self._samples = []
            if (
                self._last_valid_t is not None
                and t - self._last_valid_t > self.max_gap_s
                and self.state not in (RepState.UNKNOWN, RepState.REST)
            ):
                self.state = RepState.UNKNOWN
                events.append(RepEvent("abandoned", t))
            return events
        self._last_valid_t = t
        self._note_speed(t, value)
        self._samples.append((t, self._v(value), self._top_sign * top))
        return events + self._process()

    def _note_speed(self, t: float, value: float) -> None:
        recent = self._recent
        recent.append((t, value))
        span = SPEED_SPAN_S - 1e-6  # frame times: 1.8 - 1.6 < 0.2
        while len(recent) > 1 and recent[1][0] <= t - span:
            recent.popleft()
        t0, v0 = recent[0]
        if t - t0 >= span:
            self._speeds.append((t, abs(value - v0) / (t - t0)))
        while self._speeds and self._speeds[0][0] < t - 60.0:
            self._speeds.popleft()

    def _speed(self, start: float, end: float) -> float:
        """The fastest the measure changed between ``start`` and ``end`` (NaN: unknown)."""
        return max((v for t, v in self._speeds if start <= t <= end), default=math.nan)

    def _process(self) -> list[RepEvent]:
        """Scan the samples since the pending crossing. A crossing counts once it has held
        for ``min_phase_s``, timed at its first sample; the samples after it are then
        scanned again from the new state, so back-to-back crossings are each timed right."""
        events: list[RepEvent] = []
        start = 0
        while True:
            pending: tuple[RepState, float, int] | None = None
            confirmed = False
            for i in range(start, len(self._samples)):
                t, v, top = self._samples[i]
                if self.state is RepState.REST:
                    self._rest_low = min(self._rest_low, v)
                if self.state in (RepState.RISING, RepState.TOP, RepState.LOWERING):
                    self._peak = max(self._peak, top)
                    if not self._trace or t > self._trace[-1][0]:
                        self._trace.append((t, top))
                target = self._target(v, top)
                if self.state is RepState.UNKNOWN and v >= self._v(self.s.start):
                    if self._unknown_from is None:
                        self._unknown_from = t
                    self._unknown_peak = max(self._unknown_peak, top)
                if target is RepState.REST and self.state is RepState.UNKNOWN:
                    self.state, pending = RepState.REST, None
                    if self.s.alternating:
                        events.extend(self._visit(t))
                    else:
                        events.extend(self._under_way(t))
                    continue
                if target is None:
                    pending = None
                    continue
                if pending is None or pending[0] is not target:
                    pending = (target, t, i)
                if t - pending[1] >= self.s.min_phase_s:
                    events.extend(self._enter(target, pending[1]))
                    start = pending[2]
                    confirmed = True
                    break
            if not confirmed:
                self._samples = self._samples[pending[2] :] if pending else []
                return events
            self._samples = self._samples[start:]
            start = 0

    def _under_way(self, t: float) -> list[RepEvent]:
        """Rest seen for the first time since counting began (or since the person was lost
        or out of position): a movement that reached the top meanwhile was begun unseen,
        and is not counted; it is said, rather than dropped in silence."""
        since, peak = self._unknown_from, self._unknown_peak
        self._unknown_from, self._unknown_peak = None, -math.inf
        if since is None or peak < self._top_sign * self.s.top_enter:
            return []
        return [RepEvent("under_way", t, Rep(since, t, complete=False, peak=self._top_sign * peak))]

    def abandon(self, t: float) -> list[RepEvent]:
        """The person left the position the movement is made from: a rep in progress is
        dropped, and the next one starts only after rest is seen again."""
        self._samples = []
        self._unknown_from, self._unknown_peak = None, -math.inf
        if self.state is RepState.UNKNOWN:
            return []
        moving = self.state is not RepState.REST
        self.state = RepState.UNKNOWN
        self._first_visit = None
        return [RepEvent("abandoned", t)] if moving else []

    def finish(self, t: float) -> list[RepEvent]:
        """At the end of a video: a rep already on its way down from the top counts (one
        still held at the top does not)."""
        if self.s.alternating:
            return []
        below_top = bool(self._samples) and self._samples[-1][2] <= self._top_sign * self.s.top_exit
        if self.state is RepState.LOWERING or (self.state is RepState.TOP and below_top):
            if self.state is RepState.TOP:
                self._top_end = self._samples[-1][0]
            return self._enter(RepState.REST, t)
        return []

    def open_top(self) -> float | None:
        """When the movement is still at the top (the video ended there): since when."""
        if self.s.alternating or self.state is not RepState.TOP:
            return None
        return self._top_start

    def _enter_alternating(self, target: RepState, t: float) -> list[RepEvent]:
        prev, self.state = self.state, target
        if target in (RepState.RISING, RepState.LOWERING):
            self._start = t  # a swing sets off from one end
        swing_start = self._start if self._start is not None else t
        if target is RepState.TOP and prev in (RepState.RISING, RepState.UNKNOWN):
            return [RepEvent("top", t), *self._visit(t)]
        if target is RepState.REST and prev is RepState.LOWERING:
            return self._visit(t)
        if target is RepState.REST and prev is RepState.RISING:
            # set off for the other end and came back: half a swing
            self.partial += 1
            rep = Rep(swing_start, t, complete=False, peak=self._top_sign * self._peak)
            return [RepEvent("partial", t, rep)]
        if target is RepState.TOP and prev is RepState.LOWERING:
            # left the top end and came back to it: half a swing the other way
            self.partial += 1
            return [RepEvent("partial_rest", t, Rep(swing_start, t, complete=False, peak=math.nan))]
        if target is RepState.RISING:
            return [RepEvent("started", t)]
        return []

    def _pause(self, end: float) -> tuple[float | None, float | None]:
        """The pause at the top: from the first to the last moment of the top phase within
        ``pause_within`` of the rep's peak, the highest level held for ``PEAK_SUSTAIN_S``
        (a brief spike of a misread landmark is not the top). None: the whole top phase."""
        if self.s.pause_within is None or not self._trace or self._top_start is None:
            return self._top_start, self._top_end
        top_end = min(end, self._top_end) if self._top_end is not None else end
        trace = [(t, v) for t, v in self._trace if t <= end]
        peak = _sustained_peak(trace, PEAK_SUSTAIN_S)
        near = [
            t
            for t, v in trace
            if v >= peak - self.s.pause_within and self._top_start <= t <= top_end
        ]
        if not near:
            return self._top_start, self._top_end
        return near[0], near[-1]

    def _visit(self, t: float) -> list[RepEvent]:
        """Alternating mode: a visit to one end; every second visit completes a rep."""
        if self._first_visit is None:
            self._first_visit = t
            return []
        start, self._first_visit = self._first_visit, None
        rep = Rep(
            start, t, complete=True, peak=self._top_sign * self._peak, speed=self._speed(start, t)
        )
        self._peak = -math.inf
        self.completed += 1
        return [RepEvent("completed", t, rep)]

    def _enter(self, target: RepState, t: float) -> list[RepEvent]:
        if self.s.alternating:
            return self._enter_alternating(target, t)
        prev, self.state = self.state, target
        if target is RepState.RISING:
            self._start, self._top_start, self._top_end = t, None, None
            self._peak = -math.inf
            self._trace = []
            self._rep_rest_low, self._rest_low = self._rest_low, math.inf
            return [RepEvent("started", t)]
        if target is RepState.TOP:
            if self._top_start is None:
                self._top_start = t
                return [RepEvent("top", t)]
            return []
        if target is RepState.LOWERING:
            self._top_end = t
            return []
        # back to REST
        rest_peak = (
            self._sign * self._rep_rest_low if math.isfinite(self._rep_rest_low) else math.nan
        )
        if prev is RepState.RISING:
            rep = Rep(
                self._start,
                t,
                complete=False,
                peak=self._top_sign * self._peak,
                rest_peak=rest_peak,
            )
            self.partial += 1
            return [RepEvent("partial", t, rep)]
        top_start, top_end = self._pause(t)
        rep = Rep(
            self._start,
            t,
            complete=True,
            peak=self._top_sign * self._peak,
            top_start_s=top_start,
            top_end_s=top_end,
            rest_peak=rest_peak,
            speed=self._speed(self._start, t),
        )
        if t - self._start < self.s.min_rep_s:
            return []
        if self.s.too_far is not None and self._peak > self._top_sign * self.s.too_far:
            self.partial += 1
            return [RepEvent("too_far", t, rep)]
        self.completed += 1
        return [RepEvent("completed", t, rep)]


class HoldState(Enum):
    OUT = "out"
    HOLDING = "holding"
    GRACE = "grace"  # left the position, less than grace_s ago
    PAUSED = "paused"  # out longer than grace_s, less than resume_s: may come back to it


@dataclass(frozen=True)
class Hold:
    start_s: float
    end_s: float
    held_s: float  # time with the right form (what counts towards the target)


@dataclass(frozen=True)
class HoldEvent:
    kind: str  # "started" | "target_met" | "max_reached" | "ended" | "discarded"
    t_s: float
    hold: Hold | None = None


class HoldTimer:
    """Times holds of a position.

    The clock runs only while in position with the right form (``form_ok``); leaving the
    position for less than ``grace_s`` (a wobble) does not end the hold, and the wobble
    counts as held. Unknown position (``None``: the landmarks cannot be seen) pauses the
    clock without ending the hold. Out longer than ``grace_s`` but back within
    ``resume_s``, the hold goes on (paused meanwhile: that time is not held), unless it
    was left less than ``min_hold_s`` after it started (a limb passing through the
    position: it is discarded); ``give_up`` ends a paused hold where it was left. Holds
    shorter than ``min_hold_s`` are discarded (the session also drops a hold whose time
    held, once settled, falls short of it).

    Args:
        target_s: "target_met" once held this long.
        max_s: "max_reached" once held this long (the longest the exercise asks for).
        max_step_s: a gap between frames longer than this adds nothing to the clock.
    """

    def __init__(
        self,
        settings: HoldSpec,
        target_s: float | None,
        max_s: float | None = None,
        max_step_s: float = 0.5,
    ):
        self.s = settings
        self.target_s = target_s
        self.max_s = max_s
        self.max_step_s = max_step_s
        self.reset()

    def reset(self) -> None:
        self.state = HoldState.OUT
        self.held_s = 0.0
        self._start: float | None = None
        self._grace_start: float | None = None
        self._grace_held = 0.0
        self._last_t: float | None = None
        self._target_met = False
        self._max_reached = False

    @property
    def target_met(self) -> bool:
        """The running (or last) hold has met its target."""
        return self._target_met

    @property
    def elapsed_s(self) -> float:
        return self.held_s

    @property
    def started_s(self) -> float | None:
        """When the running hold began (None with none running)."""
        return self._start

    def keep_last(self, seconds: float) -> float:
        """Keep at most ``seconds`` of the running hold's time (the rest was getting into
        it); returns the time taken off."""
        lead = max(0.0, self.held_s - seconds)
        self.held_s -= lead
        return lead

    def update(self, t: float, in_position: bool | None, form_ok: bool = True) -> list[HoldEvent]:
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        if dt > self.max_step_s:
            dt = 0.0
        self._last_t = t
        events: list[HoldEvent] = []
        if in_position is None:
            return events  # cannot see: pause
        if self.state is HoldState.OUT:
            if in_position:
                self.state, self._start, self.held_s = HoldState.HOLDING, t, 0.0
                self._target_met = self._max_reached = False
                events.append(HoldEvent("started", t))
            return events
        if self.state is HoldState.HOLDING:
            if in_position:
                if form_ok:
                    self.held_s += dt
            else:
                self.state, self._grace_start, self._grace_held = HoldState.GRACE, t, 0.0
        elif self.state is HoldState.GRACE:
            if in_position:
                self.state = HoldState.HOLDING
                self.held_s += self._grace_held + (dt if form_ok else 0.0)
            elif t - self._grace_start > self.s.grace_s:
                if (
                    t - self._grace_start > self.s.resume_s
                    or self._grace_start - self._start < self.s.min_hold_s
                ):
                    # gone for good, or a hold never begun: a limb passing through
                    events.append(self._end(self._grace_start))
                    return events
                self.state = HoldState.PAUSED  # the time out is not held
            else:
                self._grace_held += dt if form_ok else 0.0
        elif self.state is HoldState.PAUSED:
            if in_position:
                self.state = HoldState.HOLDING
            elif t - self._grace_start > self.s.resume_s:
                events.append(self._end(self._grace_start))
                return events
        if self.target_s is not None and not self._target_met and self.held_s >= self.target_s:
            self._target_met = True
            events.append(HoldEvent("target_met", t))
        if self.max_s is not None and not self._max_reached and self.held_s >= self.max_s:
            self._max_reached = True
            events.append(HoldEvent("max_reached", t))
        return events

    def finish(self, t: float) -> list[HoldEvent]:
        """End an open hold at ``t`` (end of the video or session)."""
        if self.state is HoldState.OUT:
            return []
        end = self._grace_start if self.state in (HoldState.GRACE, HoldState.PAUSED) else t
        return [self._end(end)]

    def give_up(self) -> list[HoldEvent]:
        """A paused hold ends where it was left (the person has gone on to something else)."""
        if self.state is HoldState.PAUSED:
            return [self._end(self._grace_start)]
        return []

    def _end(self, end: float) -> HoldEvent:
        hold = Hold(self._start, end, self.held_s)
        self.state, self._start, self._grace_start = HoldState.OUT, None, None
        self.held_s = 0.0
        if hold.end_s - hold.start_s < self.s.min_hold_s:
            return HoldEvent("discarded", end, hold)
        return HoldEvent("ended", end, hold)


@dataclass(frozen=True)
class CueSpan:
    id: str
    start_s: float
    end_s: float | None = None


class CueTracker:
    """Turns a per-frame condition into timed cue events.

    A cue goes on when its condition has held for ``after_s`` (its span starts when the
    condition first held) and goes off when the condition has been false for ``clear_s``
    (its span ends when it first failed). Unknown (None) changes nothing.
    """

    def __init__(self, cue_id: str, after_s: float, clear_s: float):
        self.id, self.after_s, self.clear_s = cue_id, after_s, clear_s
        self.active = False
        self._true_since: float | None = None
        self._false_since: float | None = None

    def update(self, t: float, condition: bool | None) -> list[CueSpan]:
        if condition is None:
            return []
        if condition:
            self._false_since = None
            if self._true_since is None:
                self._true_since = t
            if not self.active and t - self._true_since >= self.after_s:
                self.active = True
                return [CueSpan(self.id, self._true_since)]
            return []
        self._true_since = None if not self.active else self._true_since
        if self.active:
            if self._false_since is None:
                self._false_since = t
            if t - self._false_since >= self.clear_s:
                self.active = False
                span = CueSpan(self.id, self._true_since, self._false_since)
                self._true_since = self._false_since = None
                return [span]
        return []

    def finish(self, t: float) -> list[CueSpan]:
        if not self.active:
            return []
        self.active = False
        end = self._false_since if self._false_since is not None else t
        return [CueSpan(self.id, self._true_since, end)]
