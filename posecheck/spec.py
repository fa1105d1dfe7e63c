"""Exercise specs: YAML files in ``exercise_specs/`` loaded into frozen dataclasses.

Everything an exercise needs (view, landmarks, measures, starting position, what is
counted, targets, cues) is data; the engine is generic. Specs are validated at load:
unknown keys get "did you mean", bad values name the file, the key, the value and what is
allowed. Conditions are tiny comparisons parsed by a regular expression, never ``eval``.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from posecheck.landmarks import SIDED_JOINTS, landmark_by_name, limb_of

# The article's eight exercises, in its order.
ARTICLE_EXERCISES = (
    "cat_cow",
    "knee_to_chest",
    "hamstring_stretch",
    "cobra",
    "bridge",
    "child_pose",
    "pelvic_tilt",
    "spine_twist",
)
VIEWS = ("side", "front", "any")
VIEW_CHECKED = ("throughout", "at_start")
SWAPPED_LEGS = ("follow", "average")  # smoothing.swapped_legs
VIEW_NAMES = ("side", "oblique", "front")  # what the camera is found to see
VIEW_THRESHOLDS = ("rest", "start", "top_enter", "top_exit")  # may differ per view
MEASURE_KINDS = {
    # kind: (number of joints, what it is)
    "angle": (3, "angle at the middle joint, degrees (image; 'space: world' for 3-D)"),
    "elevation": (2, "angle of the segment first->second above the horizontal, degrees"),
    "inclination": (2, "unsigned angle of the segment to the horizontal, degrees"),
    "distance": (2, "distance between two joints, in torso lengths"),
    "height": (
        2,
        "how far the first joint is above the last, in torso lengths (with more than two: "
        "the mean of all but the last, e.g. an arm's shoulder, elbow and wrist)",
    ),
    "lateral": (1, "offset of a joint pair from the hips towards the person's left, torso lengths"),
    "forward": (
        2,
        "offset of the first joint from the second along the body axis (towards "
        "the head), in torso lengths",
    ),
}
SPACES = ("image", "world")
SWITCH_RULES = ("after_each_hold", "after_sets", "never")
REP_PROPERTIES = (
    "rise_s",
    "top_s",
    "lower_s",
    "cycle_s",
    "lower_to_rise",
    "peak",
    "rest_peak",
    "speed",
)
_NAME = r"(?:(?:other|near|left|right)\.)?[a-z_][a-z0-9_]*"
_NUM = r"-?\d+(?:\.\d+)?"
_SIMPLE = re.compile(rf"^\s*({_NAME})\s*(<=|>=|<|>)\s*({_NUM})\s*$")
_IF_SEEN = re.compile(r"\s*\(if seen\)\s*$")
_RANGE = re.compile(rf"^\s*({_NUM})\s*(<=|<)\s*({_NAME})\s*(<=|<)\s*({_NUM})\s*$")


class SpecError(ValueError):
    """A spec file is malformed; the message names the file, key and what is allowed."""


@dataclass(frozen=True)
class Condition:
    """``measure op value`` (e.g. ``hip_line > 165``), or a range ``a < measure < b``.

    ``measure`` may be prefixed ``other.`` (the non-working side), ``near.`` (the side
    facing the camera: in a side view the far limbs are often hidden), ``left.`` or
    ``right.``. Suffixed ``(if seen)``, an unknown value passes instead of leaving the
    whole test unknown: for a check that cannot be made in some views.
    """

    measure: str
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = False
    high_inclusive: bool = False
    text: str = ""
    if_seen: bool = False

    def test(self, value: float) -> bool | None:
        """True/False, or None when the value is unknown (NaN; True if ``if_seen``)."""
        if value is None or value != value:
            return True if self.if_seen else None
        if self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        ):
            return False
        return not (
            self.high is not None
            and (value > self.high or (value == self.high and not self.high_inclusive))
        )

    @property
    def base_measure(self) -> str:
        return self.measure.split(".", 1)[-1]

    @property
    def base_measures(self) -> tuple[str, ...]:
        return (self.base_measure,)

    def judge(self, get: Callable[[str], float]) -> bool | None:
        """:meth:`test` on the value ``get`` gives for the measure."""
        return self.test(get(self.measure))


@dataclass(frozen=True)
class AnyOf:
    """``a or b``: passes when any of its conditions passes, fails when all fail, and is
    unknown otherwise. For a fault two different measures each see in some views."""

    options: tuple[Condition, ...]
    text: str = ""

    @property
    def base_measures(self) -> tuple[str, ...]:
        return tuple(c.base_measure for c in self.options)

    def judge(self, get: Callable[[str], float]) -> bool | None:
        results = [c.judge(get) for c in self.options]
        if any(r is True for r in results):
            return True
        return False if all(r is False for r in results) else None


Check = Condition | AnyOf  # one item of a condition list

_OR = re.compile(r"\s+or\s+")


def parse_condition(text: str, where: str) -> Check:
    """Parse ``"hip_line > 165"``, ``"40 < knee_bend < 120"`` or ``"a > 1 or b > 2"``."""
    if not isinstance(text, str):
        raise SpecError(
            f"{where}: a condition must be a string like 'hip_line > 165', got {text!r}"
        )
    parts = _OR.split(text.strip())
    if len(parts) > 1:
        return AnyOf(tuple(_parse_one(t, where) for t in parts), text.strip())
    return _parse_one(text, where)


def _parse_one(text: str, where: str) -> Condition:
    bare = _IF_SEEN.sub("", text)
    if bare != text:
        return replace(_parse_one(bare, where), if_seen=True, text=text.strip())
    m = _SIMPLE.match(text)
    if m:
        name, op, num = m.group(1), m.group(2), float(m.group(3))
        if op in ("<", "<="):
            return Condition(name, high=num, high_inclusive=op == "<=", text=text.strip())
        return Condition(name, low=num, low_inclusive=op == ">=", text=text.strip())
    m = _RANGE.match(text)
    if m:
        lo, op1, name, op2, hi = m.groups()
        if float(lo) >= float(hi):
            raise SpecError(f"{where}: empty range in {text!r}")
        return Condition(
            name,
            low=float(lo),
            high=float(hi),
            low_inclusive=op1 == "<=",
            high_inclusive=op2 == "<=",
            text=text.strip(),
        )
    raise SpecError(
        f"{where}: cannot read condition {text!r}; write 'measure > number', "
        "'measure <= number' or 'low < measure < high' (measure may start with other., near., "
        "left. or right.; '(if seen)' at the end lets an unknown value pass; 'or' joins "
        "alternatives)"
    )


SIDE_READINGS = ("each", "mean", "min", "max")


@dataclass(frozen=True)
class Measure:
    name: str
    kind: str
    joints: tuple[str, ...]
    space: str = "image"
    label: str = ""  # short text drawn next to the vertex joint; "" = not drawn
    per_side: bool = True  # False when every joint is named with its side
    absolute: bool = False  # use the size of the value, not its sign
    # "difference" / "ratio": relative to the person's starting position; "peak_ratio":
    # ratio to the highest value held since then (at least the starting one), for a
    # position that starts a movement from more than one way (feet flat or knees drawn up)
    from_start: str = ""
    # "mean": both sides read the average of the left and right values, for a movement
    # both sides make together (less landmark noise; evens out a side the model reads worse);
    # "min" / "max": both read the smaller / larger one (e.g. the higher of the two feet)
    sides: str = "each"
    # ``peak_ratio`` only: the peak rises only on frames where these hold (e.g. both legs
    # together: one leg raised on its own is not the position the movement starts from)
    peak_when: tuple[Check, ...] = ()
    # "difference": relative to the value once a hold has settled (the median over the
    # session's ``hold_base_s`` of the hold), for a drift during it; unknown outside a
    # hold, until then, while the hold's settle measure has left its band (coming out of
    # it), and when the body reads turned round since (a misread pose)
    from_hold: str = ""
    # "start": torso lengths as the torso was in the starting position, not as it is seen
    # in each frame (a body turning away from the camera looks shorter)
    scale: str = "frame"
    # True: joints the pose model marks hidden are read too (where it guesses them), for
    # a drift it still follows behind the body (a far arm); only joints out of the
    # picture make the value unknown
    hidden: bool = False


@dataclass(frozen=True)
class Cue:
    """A form cue: shown/spoken while ``when`` holds (all conditions) for ``after_s``."""

    id: str
    message: str
    when: tuple[Check, ...]
    phases: tuple[str, ...] = ()  # empty = any phase once counting
    after_s: float = 0.5
    clear_s: float = 0.4
    priority: int = 5  # 1 = most important
    pauses_hold: bool = False  # hold time does not run while this cue is on


@dataclass(frozen=True)
class RepCue:
    """A cue judged on each finished rep (``when`` over rep properties like ``top_s``)."""

    id: str
    message: str
    when: tuple[Check, ...]
    priority: int = 5


@dataclass(frozen=True)
class StartSpec:
    position: tuple[Check, ...]
    message: str
    hold_s: float = 0.5


@dataclass(frozen=True)
class SidesSpec:
    """How the working side is told, for exercises done on each side."""

    mode: str = "none"  # none | each
    measure: str = ""  # the measure that tells the side
    pick: str = "min"  # min | max: working side has the smaller/larger value
    left_when: Condition | None = None  # or: thresholds on a side-less measure
    right_when: Condition | None = None
    # For side and oblique views: the side facing the camera when ``near_when`` holds on
    # ``near_measure`` (or, written as whole conditions, on the near side's measures), the
    # far side when ``far_when`` does (e.g. knees lowered towards the camera look lower in
    # the picture than knees lowered away from it, and their shins longer).
    near_measure: str = ""
    near_when: Check | None = None
    far_when: Check | None = None
    switch: str = "after_each_hold"
    # A limb joint of which one side stays where the starting position left it in the
    # picture (the foot on the floor while the other leg is raised). When the one that
    # stays put sits at the other side's starting place, the pose model has swapped the
    # two limbs' labels, and they are swapped back before anything is measured. Only
    # when the two starting places are at least ``anchor_apart`` torso lengths apart.
    anchor: str = ""
    anchor_apart: float = 0.1


@dataclass(frozen=True)
class RepSpec:
    """Rep counter settings: thresholds on one measure, with hysteresis.

    ``direction: up`` means larger values are further into the rep. A rep starts when the
    measure passes ``start`` (leaving rest), reaches the top at ``top_enter``, leaves it at
    ``top_exit`` and ends back at ``rest``. An attempt that returns to rest without the
    top is a partial rep (cue ``partial_cue``). An ``alternating`` movement (two ends, one
    visit to each per rep) that leaves the top end and comes back to it without reaching
    the rest end is a partial rep too (cue ``rest_partial_cue``).

    With ``top_measure`` the top is judged on another measure (e.g. the movement is the
    hips leaving the floor, the top is the straight hip line); ``top_direction`` then
    says which way that one goes.
    """

    measure: str
    direction: str
    rest: float
    start: float
    top_enter: float
    top_exit: float
    min_phase_s: float = 0.15
    min_rep_s: float = 0.6
    partial_cue: str | None = None
    top_measure: str | None = None
    top_direction: str = "up"
    pause_within: float | None = None  # the pause at the top: within this of the rep's peak
    too_far: float | None = None  # a rep going past this is another movement: not counted
    alternating: bool = False  # swings between two ends: one rep = one visit to each end
    relative: bool = False  # thresholds count from the person's resting value (baseline)
    baseline_s: float = 1.0  # the baseline: median over this long after setup
    too_far_cue: str | None = None
    rest_partial_cue: str | None = None  # alternating: turned back before the rest end
    # The position the movement is made from: a frame where one of these is false is not
    # this exercise (a pelvic tilt with a foot off the floor), so the rep in progress is
    # dropped and the frame does not count towards the resting baseline.
    require: tuple[Check, ...] = ()
    # Thresholds for one camera view, e.g. ("side", <RepSpec>): an angle seen side-on reads
    # true, at a slant flatter, so a view may ask for more (``by_view`` in the YAML).
    view_overrides: tuple[tuple[str, RepSpec], ...] = ()

    def for_view(self, view: str) -> RepSpec:
        """These settings as they apply in ``view`` ("side", "oblique", "front")."""
        for name, spec in self.view_overrides:
            if name == view:
                return spec
        return self


@dataclass(frozen=True)
class HoldSpec:
    """Hold settings. ``settle_measure``/``settle_within``: the hold is timed from when that
    measure comes within ``settle_within`` of its held value (median over the hold) to when
    it leaves, so that getting into and out of the position is not counted as holding.
    ``settle_share``: the same, with "within" as this share of the way between the value
    before the move and the held value (a person easing in slowly settles late); it takes
    over from ``settle_within`` when the value before the move is known.
    ``resume_s``: out of the position longer than ``grace_s`` (a slip, or the pose model
    misreading a moment) pauses the hold for up to this long instead of ending it; back in
    position, the same hold goes on (the time out is not held). Back at the starting
    position meanwhile, the hold ends where it was left. 0: off."""

    position: tuple[Check, ...]
    min_hold_s: float = 1.0
    grace_s: float = 0.7
    resume_s: float = 0.0
    settle_measure: str | None = None
    settle_within: float | None = None
    settle_share: float | None = None


@dataclass(frozen=True)
class ResolutionSpec:
    """Can this camera view resolve the movement? Judged on ``measure`` at rest, for
    ``window_s`` after setup: if its jitter (2 standard deviations) is not well below
    ``min_change`` (the smallest real movement of the exercise), ``message`` says so."""

    measure: str
    min_change: float
    message: str
    window_s: float = 2.0


@dataclass(frozen=True)
class Targets:
    """The article's targets: what a session should reach."""

    hold_s: float | None = None
    hold_max_s: float | None = None
    sets: int | None = None  # per side where the exercise has sides
    reps: int | None = None
    text: str = ""


@dataclass(frozen=True)
class ExerciseSpec:
    id: str
    name: str
    summary: str
    view: str
    joints: tuple[str, ...]
    measures: dict[str, Measure]
    start: StartSpec
    count_kind: str
    reps: RepSpec | None
    hold: HoldSpec | None
    sides: SidesSpec
    targets: Targets
    cues: tuple[Cue, ...]
    rep_cues: tuple[RepCue, ...] = ()
    view_note: str = ""
    aliases: tuple[str, ...] = ()  # other names it is asked for by ("spinal twist")
    # "at_start": the view is checked before counting only (the movement itself turns the
    # body so that the camera's view reads differently, e.g. the hips roll in a twist).
    view_checked: str = "throughout"
    show: tuple[str, ...] = ()  # measures drawn in the overlay
    # The article's cues that the camera cannot judge (from the views the exercise takes):
    # listed in the report as not checked, so that "no cues" is not read as good form.
    not_checked: tuple[str, ...] = ()
    resolution: ResolutionSpec | None = None
    # When the pose model hands a leg joint to the other side's label from one frame to
    # the next, the smoother's state goes with it (``smoothing.swapped_legs: follow``);
    # False: each label is smoothed as it comes, and the two legs blend for a few frames
    # (``average``).
    follow_swapped_legs: bool = True
    # The same exercise filmed from another view, where other measures tell the starting
    # position, the sides or the held position: (view, spec), e.g. a spine twist filmed
    # from above or from the feet end ("front") instead of side-on (``by_view`` in the
    # YAML: the keys given there replace the spec's own).
    by_view: tuple[tuple[str, ExerciseSpec], ...] = field(default=(), compare=False)
    path: Path | None = field(default=None, compare=False)

    def for_view(self, view: str) -> ExerciseSpec:
        """The settings this exercise uses when the camera sees ``view``."""
        for name, spec in self.by_view:
            if name == view:
                return spec
        return self

    @property
    def has_sides(self) -> bool:
        return self.sides.mode == "each"

    @property
    def relative_measure(self) -> str | None:
        """The rep measure when reps count from the person's resting value, else None."""
        return self.reps.measure if self.reps is not None and self.reps.relative else None

    def cue(self, cue_id: str) -> Cue | RepCue | None:
        for c in (*self.cues, *self.rep_cues):
            if c.id == cue_id:
                return c
        return None


# ---------------------------------------------------------------------------- loading


def specs_dir() -> Path:
    """``$POSECHECK_SPECS``, else the ``exercise_specs`` folder beside the package."""
    env = os.environ.get("POSECHECK_SPECS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "exercise_specs"


def list_specs(directory: Path | None = None) -> list[ExerciseSpec]:
    directory = directory or specs_dir()
    return [load_spec_file(p) for p in sorted(directory.glob("*.yaml"))]


def spec_ids(directory: Path | None = None) -> list[str]:
    directory = directory or specs_dir()
    return sorted(p.stem for p in directory.glob("*.yaml"))


def normalize_id(name: str) -> str:
    """An exercise as a person writes it, as the ids are written: "Knee to chest",
    "knee-to-chest", "Child's pose" (any apostrophe), "Cat–cow" (any dash), "BRIDGE"."""
    name = re.sub(r"['\u2018\u2019`]s\b|['\u2018\u2019`]", "", name.strip().lower())
    return re.sub(r"[\s\-\u2010-\u2015]+", "_", name)


def _aliased(wanted: str, directory: Path) -> str | None:
    """The id ``wanted`` (normalised) names: an id, one of a spec's ``aliases`` or its
    ``name``, or any of them in the plural ("pelvic tilts"); None for none."""
    ids = spec_ids(directory)
    if wanted in ids:
        return wanted
    names = {spec_id: spec_id for spec_id in ids}
    for spec_id in ids:
        try:
            with open(directory / f"{spec_id}.yaml", encoding="utf-8") as f:
                data = yaml.safe_load(f)
        except (OSError, yaml.YAMLError):
            continue  # loading it says what is wrong, if it is the one asked for
        if isinstance(data, dict):
            others = data.get("aliases") if isinstance(data.get("aliases"), list) else []
            for other in [data.get("name"), *others]:
                if isinstance(other, str):
                    names.setdefault(normalize_id(other), spec_id)
    plurals = [wanted[: -len(end)] for end in ("es", "s") if wanted.endswith(end)]
    for form in (wanted, *plurals):
        if form in names:
            return names[form]
    return None


def load_spec(exercise_id: str, directory: Path | None = None) -> ExerciseSpec:
    """Load ``exercise_specs/<id>.yaml``.

    Raises:
        ValueError: unknown id (with the valid ids), or a malformed spec.
    """
    directory = directory or specs_dir()
    wanted = normalize_id(exercise_id)
    wanted = _aliased(wanted, directory) or wanted
    path = directory / f"{wanted}.yaml"
    if not re.fullmatch(r"\w+", wanted) or not path.is_file():
        ids = spec_ids(directory)
        close = difflib.get_close_matches(wanted, ids, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise ValueError(f"unknown exercise {exercise_id!r}; {hint}valid ids: {', '.join(ids)}")
    return load_spec_file(path)


class _Reader:
    """Reads one mapping of a spec, tracking the key path for error messages."""

    def __init__(self, data: Any, where: str, allowed: dict[str, bool]):
        if not isinstance(data, dict):
            raise SpecError(f"{where}: expected a mapping of keys, got {type(data).__name__}")
        self.data, self.where = data, where
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), list(allowed), n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
                raise SpecError(f"{where}: unknown key '{key}'; {hint}")
        for key, required in allowed.items():
            if required and key not in data:
                raise SpecError(f"{where}: missing required key '{key}'")

    def at(self, key: str) -> str:
        return f"{self.where}.{key}"

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def str(self, key: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise SpecError(f"{self.at(key)}={value!r}: expected a non-empty string")
        if choices and value not in choices:
            raise SpecError(f"{self.at(key)}={value!r}: allowed values are {', '.join(choices)}")
        return value

    def texts(self, key: str, what: str) -> tuple[str, ...]:
        """A list of texts (none if the key is left out), each stripped; ``what`` says
        what they are, with an example, in the error."""
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise SpecError(f"{self.at(key)}: expected a list of {what}")
        return tuple(v.strip() for v in value)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise SpecError(f"{self.at(key)}={value!r}: expected true or false")
        return value

    def num(
        self, key: str, default: float | None = None, low: float = 0.0, high: float = 1e9
    ) -> float | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"{self.at(key)}={value!r}: expected a number")
        if not low <= value <= high:
            raise SpecError(f"'{self.at(key)}={value}': valid values are between {low} and {high}")
        return float(value)

    def conditions(self, key: str, required: bool = True) -> tuple[Check, ...]:
        value = self.data.get(key)
        if value is None:
            if required:
                raise SpecError(f"{self.where}: missing required key '{key}'")
            return ()
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise SpecError(f"{self.at(key)}: expected a condition or a list of conditions")
        return tuple(parse_condition(t, f"{self.at(key)}[{i}]") for i, t in enumerate(items))


def _joint(name: Any, where: str) -> tuple[str, bool]:
    """Validate a joint name; return it and whether it is generic (side-less)."""
    if not isinstance(name, str):
        raise SpecError(f"{where}={name!r}: a joint is a landmark name like 'left_knee' or 'knee'")
    if name in SIDED_JOINTS:
        return name, True
    try:
        landmark_by_name(name)
    except ValueError as err:
        valid = sorted(SIDED_JOINTS)
        close = difflib.get_close_matches(name, valid, n=1)
        extra = f" (or the side-less '{close[0]}')" if close else ""
        raise SpecError(f"{where}: {err}{extra}") from None
    return name, False


def _measure(name: str, data: Any, where: str) -> Measure:
    allowed = {
        **{k: False for k in MEASURE_KINDS},
        "space": False,
        "label": False,
        "absolute": False,
        "from_start": False,
        "from_hold": False,
        "scale": False,
        "hidden": False,
        "sides": False,
        "peak_when": False,
    }
    r = _Reader(data, where, allowed)
    kinds = [k for k in MEASURE_KINDS if k in data]
    if len(kinds) != 1:
        raise SpecError(f"{where}: give exactly one of {', '.join(MEASURE_KINDS)}")
    kind = kinds[0]
    n, _ = MEASURE_KINDS[kind]
    joints = r.get(kind)
    if isinstance(joints, str):
        joints = [joints]
    many = kind == "height" and isinstance(joints, list) and len(joints) > n
    if not isinstance(joints, list) or (len(joints) != n and not many):
        raise SpecError(f"{r.at(kind)}={joints!r}: expected a list of {n} joint name(s)")
    checked = [_joint(j, f"{r.at(kind)}[{i}]") for i, j in enumerate(joints)]
    if kind == "lateral" and not checked[0][1]:
        raise SpecError(f"{r.at(kind)}: 'lateral' takes a side-less joint like 'knee'")
    space = r.str("space", "image", SPACES)
    per_side = any(g for _, g in checked) and kind != "lateral"
    sides = r.str("sides", "each", SIDE_READINGS)
    if sides != "each" and not per_side:
        raise SpecError(f"{r.at('sides')}: {sides!r} needs side-less joints like 'hip'")
    measure = Measure(
        name=name,
        kind=kind,
        joints=tuple(j for j, _ in checked),
        space=space,
        label=str(r.get("label", "")),
        per_side=per_side,
        absolute=bool(r.get("absolute", False)),
        from_start=r.str("from_start", choices=("difference", "ratio", "peak_ratio"))
        if "from_start" in data
        else "",
        sides=sides,
        peak_when=r.conditions("peak_when", required=False),
        from_hold=r.str("from_hold", choices=("difference",)) if "from_hold" in data else "",
        scale=r.str("scale", "frame", ("frame", "start")),
        hidden=r.flag("hidden"),
    )
    if measure.from_hold and measure.from_start:
        raise SpecError(f"{where}: give from_start or from_hold, not both")
    return measure


def _side_condition(measure: str, text: Any, where: str) -> Condition:
    """``"> 0.3"`` or ``"0.2 <= x < 0.6"`` about ``measure`` (``x`` stands for it)."""
    text = str(text)
    if re.search(r"\bx\b", text):
        return _parse_one(re.sub(r"\bx\b", measure, text), where)
    return _parse_one(f"{measure} {text}", where)


def _near_condition(measure: str, text: Any, names: set[str], where: str) -> Check:
    """``near_when``/``far_when``: a threshold on ``measure`` (``"< 0.57"``), or a whole
    condition on the near side's measures (``"knee_rel < 0.45 or shin_scale > 0.97"``)."""
    text = str(text)
    if re.match(r"^\s*(<|>|-?\d)", text) or re.search(r"\bx\b", text):
        return _side_condition(measure, text, where)
    cond = parse_condition(text, where)
    _check_refs((cond,), names, where)
    return cond


def _check_order(reps: RepSpec, where: str) -> None:
    sign = 1 if reps.direction == "up" else -1
    top_sign = (1 if reps.top_direction == "up" else -1) if reps.top_measure else sign
    v_rest, v_start = sign * reps.rest, sign * reps.start
    v_exit, v_enter = top_sign * reps.top_exit, top_sign * reps.top_enter
    ordered = v_rest <= v_start and v_exit < v_enter + 1e-9
    if not reps.top_measure:
        ordered = ordered and v_start <= v_enter and v_rest < v_exit
    if not ordered:
        rel = "<=" if sign > 0 else ">="
        raise SpecError(
            f"{where}: thresholds out of order for direction '{reps.direction}': need "
            f"rest {rel} start {rel} top_enter, rest {rel} top_exit {rel} top_enter "
            f"(got rest={reps.rest}, start={reps.start}, top_exit={reps.top_exit}, "
            f"top_enter={reps.top_enter})"
        )


def _check_refs(conds: tuple[Check, ...], names: set[str], where: str) -> None:
    for c in conds:
        for name in c.base_measures:
            if name in names:
                continue
            close = difflib.get_close_matches(name, sorted(names), n=1)
            hint = (
                f"did you mean '{close[0]}'?" if close else f"measures: {', '.join(sorted(names))}"
            )
            raise SpecError(f"{where}: condition {c.text!r} uses unknown measure '{name}'; {hint}")


def load_spec_file(path: str | Path) -> ExerciseSpec:
    """Load and validate one spec file.

    Raises:
        SpecError: with the file, the key, the bad value and what is allowed.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark else ""
        raise SpecError(f"{path}{at}: not valid YAML: {getattr(err, 'problem', err)}") from None
    except OSError as err:
        raise SpecError(f"{path}: cannot read: {err.strerror}") from None
    spec = _spec_from(data, path, str(path))
    if not isinstance(data, dict) or data.get("by_view") is None:
        return spec
    others = tuple(v for v in VIEWS if v not in ("any", spec.view))
    bv = _Reader(data["by_view"], f"{path}.by_view", {v: False for v in others})
    variants = []
    for view in bv.data:
        over = bv.get(view)
        fixed = [k for k in _SAME_IN_EVERY_VIEW if isinstance(over, dict) and k in over]
        if not isinstance(over, dict) or fixed:
            what = f"'{fixed[0]}' is the same in every view" if fixed else "expected a mapping"
            raise SpecError(f"{bv.at(view)}: {what}; give the keys that differ in this view")
        merged = {k: v for k, v in _merged(data, over).items() if k != "by_view"}
        variants.append((view, _spec_from({**merged, "view": view}, path, bv.at(view))))
    return replace(spec, by_view=tuple(variants))


_SAME_IN_EVERY_VIEW = ("id", "name", "aliases", "view", "by_view")


def _merged(base: dict, over: dict) -> dict:
    """``base`` with ``over``'s keys in place of its own; mappings are merged key by key,
    and a key given as null (``~``) is removed."""
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        if value is None:
            out.pop(key, None)
        elif isinstance(old, dict) and isinstance(value, dict):
            out[key] = _merged(old, value)
        else:
            out[key] = value
    return out


def _spec_from(data: Any, path: Path, w: str) -> ExerciseSpec:
    """One exercise's settings from its YAML mapping; ``w`` names it in errors."""
    top = _Reader(
        data,
        w,
        {
            "id": True,
            "name": True,
            "summary": False,
            "aliases": False,
            "article": False,
            "view": True,
            "view_note": False,
            "view_checked": False,
            "joints": True,
            "measures": True,
            "start": True,
            "sides": False,
            "count": True,
            "targets": False,
            "cues": False,
            "rep_cues": False,
            "show": False,
            "not_checked": False,
            "resolution": False,
            "smoothing": False,
            "by_view": False,
        },
    )
    spec_id = top.str("id")
    if spec_id != path.stem:
        raise SpecError(f"{w}: id={spec_id!r} must match the file name ({path.stem!r})")
    aliases = top.texts("aliases", "other names, e.g. [spinal twist]")
    not_checked = top.texts(
        "not_checked", "cue messages, e.g. [Keep your elbows close to your body]"
    )

    joints = top.get("joints")
    if not isinstance(joints, list) or not joints:
        raise SpecError(f"{top.at('joints')}: expected a list of joint names, e.g. [hip, knee]")
    joint_names = tuple(_joint(j, f"{top.at('joints')}[{i}]")[0] for i, j in enumerate(joints))

    mdata = top.get("measures")
    if not isinstance(mdata, dict) or not mdata:
        raise SpecError(f"{top.at('measures')}: expected a mapping of named measures")
    measures = {}
    for name, m in mdata.items():
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", str(name)):
            raise SpecError(f"{top.at('measures')}.{name}: names are lower_case_words")
        measures[name] = _measure(name, m, f"{top.at('measures')}.{name}")
    names = set(measures)
    for name, m in measures.items():
        where = f"{top.at('measures')}.{name}.peak_when"
        if m.peak_when and m.from_start != "peak_ratio":
            raise SpecError(f"{where}: only a 'from_start: peak_ratio' measure has a peak")
        _check_refs(m.peak_when, names, where)

    s = _Reader(
        top.get("start"), top.at("start"), {"position": True, "message": True, "hold_s": False}
    )
    start = StartSpec(
        position=s.conditions("position"),
        message=s.str("message"),
        hold_s=s.num("hold_s", 0.5, 0.0, 10.0),
    )
    _check_refs(start.position, names, s.at("position"))
    relative = sorted(n for c in start.position for n in c.base_measures if measures[n].from_start)
    if relative:
        raise SpecError(
            f"{top.at('start')}.position: '{relative[0]}' is measured from the starting "
            "position, so it cannot define it"
        )

    sides = SidesSpec()
    if top.get("sides") is not None:
        sd = _Reader(
            top.get("sides"),
            top.at("sides"),
            {
                "mode": True,
                "measure": False,
                "pick": False,
                "left_when": False,
                "right_when": False,
                "near_measure": False,
                "near_when": False,
                "far_when": False,
                "switch": False,
                "anchor": False,
                "anchor_apart": False,
            },
        )
        mode = sd.str("mode", choices=("none", "each"))
        measure = sd.get("measure", "")
        if mode == "each":
            if measure not in names:
                raise SpecError(
                    f"{sd.at('measure')}={measure!r}: must name one of the measures "
                    f"({', '.join(sorted(names))})"
                )
            lw = sd.get("left_when")
            rw = sd.get("right_when")
            if (lw is None) != (rw is None):
                raise SpecError(f"{sd.where}: give both left_when and right_when, or neither")
            near_measure = sd.get("near_measure", "")
            nw, fw = sd.get("near_when"), sd.get("far_when")
            if (nw is None) != (fw is None) or (nw is not None and near_measure not in names):
                raise SpecError(
                    f"{sd.where}: near_when and far_when go together, with near_measure naming "
                    f"one of the measures ({', '.join(sorted(names))})"
                )
            near_when = _near_condition(near_measure, nw, names, sd.at("near_when")) if nw else None
            far_when = _near_condition(near_measure, fw, names, sd.at("far_when")) if fw else None
            anchor = sd.get("anchor", "")
            limb_joints = [j for j in joint_names if limb_of(j)]
            if anchor and anchor not in limb_joints:
                raise SpecError(
                    f"{sd.at('anchor')}={anchor!r}: must be a limb joint of the spec's joints "
                    f"({', '.join(limb_joints) or 'none listed'})"
                )
            sides = SidesSpec(
                mode=mode,
                measure=measure,
                near_measure=near_measure,
                near_when=near_when,
                far_when=far_when,
                pick=sd.str("pick", "min", ("min", "max")),
                left_when=_side_condition(measure, lw, sd.at("left_when")) if lw else None,
                right_when=_side_condition(measure, rw, sd.at("right_when")) if rw else None,
                switch=sd.str("switch", "after_each_hold", SWITCH_RULES),
                anchor=anchor,
                anchor_apart=sd.num("anchor_apart", 0.1, low=0.0) if anchor else 0.1,
            )

    c = _Reader(top.get("count"), top.at("count"), {"reps": False, "hold": False})
    if ("reps" in c.data) == ("hold" in c.data):
        raise SpecError(f"{c.where}: give exactly one of 'reps' or 'hold'")
    reps = hold = None
    if "reps" in c.data:
        count_kind = "reps"
        rr = _Reader(
            c.get("reps"),
            c.at("reps"),
            {
                "measure": True,
                "direction": True,
                "rest": True,
                "start": True,
                "top_enter": True,
                "top_exit": True,
                "min_phase_s": False,
                "min_rep_s": False,
                "partial_cue": False,
                "top_measure": False,
                "top_direction": False,
                "pause_within": False,
                "too_far": False,
                "too_far_cue": False,
                "rest_partial_cue": False,
                "alternating": False,
                "relative": False,
                "baseline_s": False,
                "require": False,
                "by_view": False,
            },
        )
        measure = rr.str("measure")
        top_measure = rr.get("top_measure")
        for key, value in (("measure", measure), ("top_measure", top_measure)):
            if value is not None and value not in names:
                raise SpecError(
                    f"{rr.at(key)}={value!r}: must name one of the measures "
                    f"({', '.join(sorted(names))})"
                )
        reps = RepSpec(
            measure=measure,
            direction=rr.str("direction", choices=("up", "down")),
            rest=rr.num("rest", low=-1e6),
            start=rr.num("start", low=-1e6),
            top_enter=rr.num("top_enter", low=-1e6),
            top_exit=rr.num("top_exit", low=-1e6),
            min_phase_s=rr.num("min_phase_s", 0.15, 0.0, 5.0),
            min_rep_s=rr.num("min_rep_s", 0.6, 0.0, 30.0),
            partial_cue=rr.get("partial_cue"),
            top_measure=top_measure,
            top_direction=rr.str("top_direction", "up", ("up", "down")),
            pause_within=rr.num("pause_within", None, 0.0, 1e6),
            too_far=rr.num("too_far", None, -1e6, 1e6),
            too_far_cue=rr.get("too_far_cue"),
            rest_partial_cue=rr.get("rest_partial_cue"),
            alternating=bool(rr.get("alternating", False)),
            relative=bool(rr.get("relative", False)),
            baseline_s=rr.num("baseline_s", 1.0, 0.2, 30.0),
            require=rr.conditions("require", required=False),
        )
        _check_refs(reps.require, names, rr.at("require"))
        _check_order(reps, rr.where)
        overrides = []
        if rr.get("by_view") is not None:
            bv = _Reader(rr.get("by_view"), rr.at("by_view"), {v: False for v in VIEW_NAMES})
            for view in bv.data:
                vr = _Reader(bv.get(view), bv.at(view), {k: False for k in VIEW_THRESHOLDS})
                changed = {k: vr.num(k, low=-1e6) for k in vr.data}
                over = replace(reps, **changed)
                _check_order(over, vr.where)
                overrides.append((view, over))
        reps = replace(reps, view_overrides=tuple(overrides))
        held = [m.name for m in measures.values() if m.from_hold]
        if held:
            raise SpecError(
                f"{top.at('measures')}.{held[0]}: from_hold needs a hold to count ('count: hold')"
            )
    else:
        count_kind = "hold"
        hr = _Reader(
            c.get("hold"),
            c.at("hold"),
            {
                "position": True,
                "min_hold_s": False,
                "grace_s": False,
                "resume_s": False,
                "settle": False,
            },
        )
        settle_measure = settle_within = settle_share = None
        if hr.get("settle") is not None:
            st = _Reader(
                hr.get("settle"),
                hr.at("settle"),
                {"measure": True, "within": False, "share": False},
            )
            settle_measure = st.str("measure")
            if (
                not re.fullmatch(_NAME, settle_measure)
                or settle_measure.split(".")[-1] not in names
            ):
                raise SpecError(
                    f"{st.at('measure')}={settle_measure!r}: must name one of the measures "
                    f"({', '.join(sorted(names))})"
                )
            settle_within = st.num("within", low=1e-6)
            settle_share = st.num("share", low=0.01, high=0.5)
            if settle_within is None and settle_share is None:
                raise SpecError(
                    f"{hr.at('settle')}: give 'within' (in the measure's units), 'share' (of "
                    f"the move, 0.01-0.5) or both"
                )
        hold = HoldSpec(
            position=hr.conditions("position"),
            min_hold_s=hr.num("min_hold_s", 1.0, 0.0, 60.0),
            grace_s=hr.num("grace_s", 0.7, 0.0, 5.0),
            resume_s=hr.num("resume_s", 0.0, 0.0, 30.0),
            settle_measure=settle_measure,
            settle_within=settle_within,
            settle_share=settle_share,
        )
        _check_refs(hold.position, names, hr.at("position"))

    targets = Targets()
    if top.get("targets") is not None:
        t = _Reader(
            top.get("targets"),
            top.at("targets"),
            {"hold_s": False, "hold_max_s": False, "sets": False, "reps": False, "text": False},
        )
        sets = t.num("sets", None, 1, 100)
        reps_t = t.num("reps", None, 1, 1000)
        targets = Targets(
            hold_s=t.num("hold_s", None, 1, 3600),
            hold_max_s=t.num("hold_max_s", None, 1, 3600),
            sets=int(sets) if sets else None,
            reps=int(reps_t) if reps_t else None,
            text=str(t.get("text", "")),
        )

    cues = []
    for i, cd in enumerate(top.get("cues") or []):
        where = f"{top.at('cues')}[{i}]"
        cr = _Reader(
            cd,
            where,
            {
                "id": True,
                "message": True,
                "when": True,
                "phases": False,
                "after_s": False,
                "clear_s": False,
                "priority": False,
                "pauses_hold": False,
            },
        )
        phases = cr.get("phases", [])
        if isinstance(phases, str):
            phases = [phases]
        allowed = PHASES[count_kind]
        for p in phases:
            if p not in allowed:
                raise SpecError(
                    f"{cr.at('phases')}={p!r}: allowed phases for {count_kind} "
                    f"are {', '.join(allowed)}"
                )
        cue = Cue(
            id=cr.str("id"),
            message=cr.str("message"),
            when=cr.conditions("when"),
            phases=tuple(phases),
            after_s=cr.num("after_s", 0.5, 0.0, 30.0),
            clear_s=cr.num("clear_s", 0.4, 0.0, 10.0),
            priority=int(cr.num("priority", 5, 1, 9)),
            pauses_hold=bool(cr.get("pauses_hold", False)),
        )
        _check_refs(cue.when, names, cr.at("when"))
        cues.append(cue)
    rep_cues = []
    for i, cd in enumerate(top.get("rep_cues") or []):
        where = f"{top.at('rep_cues')}[{i}]"
        cr = _Reader(cd, where, {"id": True, "message": True, "when": True, "priority": False})
        rc = RepCue(
            id=cr.str("id"),
            message=cr.str("message"),
            when=cr.conditions("when"),
            priority=int(cr.num("priority", 5, 1, 9)),
        )
        _check_refs(rc.when, set(REP_PROPERTIES), cr.at("when"))
        rep_cues.append(rc)
    ids = [x.id for x in (*cues, *rep_cues)]
    dup = {x for x in ids if ids.count(x) > 1}
    if dup:
        raise SpecError(
            f"{top.at('cues')}: cue ids must be unique; repeated: {', '.join(sorted(dup))}"
        )
    for key in ("too_far_cue", "partial_cue", "rest_partial_cue"):
        cue_id = getattr(reps, key) if reps else None
        if cue_id and cue_id not in ids:
            raise SpecError(
                f"{top.at('count')}.reps.{key}={cue_id!r}: no cue has that id "
                f"(cue ids: {', '.join(ids)})"
            )
    if reps and reps.rest_partial_cue and not reps.alternating:
        raise SpecError(
            f"{top.at('count')}.reps.rest_partial_cue: only an alternating movement turns "
            "back before its rest end; add 'alternating: true' or remove it"
        )

    show = top.get("show", [])
    for m in show:
        if m not in names:
            raise SpecError(
                f"{top.at('show')}: unknown measure {m!r}; measures: {', '.join(sorted(names))}"
            )

    resolution = None
    if top.get("resolution") is not None:
        rs = _Reader(
            top.get("resolution"),
            top.at("resolution"),
            {"measure": True, "min_change": True, "message": True, "window_s": False},
        )
        rmeasure = rs.str("measure")
        if rmeasure not in names:
            raise SpecError(
                f"{rs.at('measure')}={rmeasure!r}: must name one of the measures "
                f"({', '.join(sorted(names))})"
            )
        resolution = ResolutionSpec(
            measure=rmeasure,
            min_change=rs.num("min_change", low=1e-6),
            message=rs.str("message"),
            window_s=rs.num("window_s", 2.0, 0.5, 30.0),
        )

    swapped_legs = "follow"
    if top.get("smoothing") is not None:
        sm = _Reader(top.get("smoothing"), top.at("smoothing"), {"swapped_legs": False})
        swapped_legs = sm.str("swapped_legs", "follow", choices=SWAPPED_LEGS)

    return ExerciseSpec(
        id=spec_id,
        name=top.str("name"),
        summary=str(top.get("summary", "")).strip(),
        aliases=aliases,
        view=top.str("view", choices=VIEWS),
        view_note=str(top.get("view_note", "")).strip(),  # a folded block ends in a newline
        view_checked=top.str("view_checked", "throughout", choices=VIEW_CHECKED),
        joints=joint_names,
        measures=measures,
        start=start,
        count_kind=count_kind,
        reps=reps,
        hold=hold,
        sides=sides,
        targets=targets,
        cues=tuple(cues),
        rep_cues=tuple(rep_cues),
        show=tuple(show),
        not_checked=not_checked,
        resolution=resolution,
        follow_swapped_legs=swapped_legs == "follow",
        path=path,
    )


PHASES = {
    "reps": ("rest", "rising", "top", "lowering"),
    "hold": ("out", "holding"),
}
