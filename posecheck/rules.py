"""Rules: evaluate a spec's named measures on a pose, and resolve condition references.

Measures with side-less joints (``knee``) are evaluated on both sides (``left.knee_bend``,
``right.knee_bend``). A landmark that is out of frame or not visible makes its measures
NaN, so that counting pauses instead of guessing.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from posecheck import geometry as g
from posecheck.frame import PoseFrame
from posecheck.landmarks import SIDES, Landmark, landmark_by_name, other_side, sided
from posecheck.spec import Check, ExerciseSpec, Measure

NAN = float("nan")


@dataclass(frozen=True)
class Visibility:
    """When a landmark is trusted: visibility score and margin inside the frame."""

    # Side views leave the far limbs at 0.3-0.5: their positions are still usable.
    min_visibility: float = 0.3
    margin_px: float = 0.0


@functools.lru_cache(maxsize=1024)
def measure_landmarks(m: Measure, side: str | None) -> tuple[Landmark, ...]:
    if m.kind == "lateral":
        return (landmark_by_name(f"left_{m.joints[0]}"), landmark_by_name(f"right_{m.joints[0]}"))
    return tuple(sided(j, side or "left") for j in m.joints)


def usable_mask(pose: PoseFrame, vis: Visibility) -> np.ndarray:
    """Which landmarks can be trusted: visible enough and inside the frame."""
    if not pose.present:
        return np.zeros(len(pose.visibility), bool)
    w, h = pose.image_size
    x, y = pose.xy[:, 0], pose.xy[:, 1]
    m = vis.margin_px
    with np.errstate(invalid="ignore"):
        inside = (x >= m) & (x <= w - m) & (y >= m) & (y <= h - m)
    return inside & (pose.visibility >= vis.min_visibility)


def evaluate(
    m: Measure,
    pose: PoseFrame,
    side: str | None,
    vis: Visibility,
    mask: np.ndarray | None = None,
    torso: tuple[float, float] | None = None,
) -> float:
    """One measure on one side (``side`` None for a measure whose joints name their side).

    ``mask`` (from :func:`usable_mask`) and ``torso`` (pixel and world torso lengths) may
    be passed in when many measures are evaluated on the same pose.
    """
    value = _evaluate(m, pose, side, vis, mask, torso)
    return abs(value) if m.absolute else value


def _evaluate(m, pose, side, vis, mask, torso) -> float:
    if not pose.present:
        return NAN
    lms = measure_landmarks(m, side)
    if m.hidden:  # hidden joints are read where the model guesses them: in the picture
        mask = usable_mask(pose, Visibility(min_visibility=0.0, margin_px=vis.margin_px))
    elif mask is None:
        mask = usable_mask(pose, vis)
    if not mask[list(lms)].all():
        return NAN
    pts = pose.world if m.space == "world" else pose.xy
    p = [pts[lm] for lm in lms]
    if m.kind == "angle":
        return g.angle_deg(*p)
    if m.kind == "elevation":
        return g.elevation_deg(*p)
    if m.kind == "inclination":
        return g.inclination_deg(*p)
    if torso is None:
        torso = (g.torso_length_px(pose), g.torso_length_m(pose))
    unit = torso[1] if m.space == "world" else torso[0]
    if m.kind == "distance":
        return g.distance(p[0], p[1], unit)
    if m.kind == "height":
        return g.height_above(np.mean(p[:-1], axis=0), p[-1], unit)
    if m.kind == "forward":
        return g.forward_offset(pose, p[0], p[1], space=m.space)
    if m.kind == "lateral":
        if m.space == "world":
            return g.lateral_offset(pose, lms[0], lms[1])
        return g.lateral_offset_image(pose, lms[0], lms[1])
    raise ValueError(f"unknown measure kind {m.kind!r}")


_SIDE_READING = {"mean": lambda v: sum(v) / len(v), "min": min, "max": max}


def value_keys(m: Measure) -> tuple[str, ...]:
    """Where a measure's values are kept in ``MeasureValues.values``: "left.<name>" and
    "right.<name>" for one measured on each side, else "<name>"."""
    return tuple(f"{side}.{m.name}" for side in SIDES) if m.per_side else (m.name,)


class MeasureValues:
    """All of a spec's measures on one pose, with the working side for lookups.

    ``get("knee_bend")`` is the working side's value; ``get("other.knee_bend")`` the
    other side's; ``get("near.knee_bend")`` the side facing the camera's;
    ``get("left.knee_bend")`` the person's left.
    """

    def __init__(self, spec: ExerciseSpec, pose: PoseFrame, vis: Visibility):
        self.values: dict[str, float] = {}
        mask = usable_mask(pose, vis)
        torso = (g.torso_length_px(pose), g.torso_length_m(pose)) if pose.present else (NAN, NAN)
        self.torso = torso  # (px, m)
        for m in spec.measures.values():
            if m.per_side:
                for side in SIDES:
                    self.values[f"{side}.{m.name}"] = evaluate(m, pose, side, vis, mask, torso)
                if m.sides != "each" and not m.from_hold:  # from_hold: after its baseline
                    self.join_sides(m)
            else:
                self.values[m.name] = evaluate(m, pose, None, vis, mask, torso)
        self.spec = spec
        self.side = "left"
        self.near = g.facing_side(pose) if pose.present else "left"

    def join_sides(self, m: Measure) -> None:
        """Both sides of ``m`` take the two read together (``sides``: mean, min or max of
        the known)."""
        known = [self.values[k] for k in value_keys(m)]
        known = [v for v in known if v == v]
        both = _SIDE_READING[m.sides](known) if known else NAN
        for k in value_keys(m):
            self.values[k] = both

    def with_side(self, side: str) -> MeasureValues:
        self.side = side
        return self

    def get(self, ref: str) -> float:
        if ref in self.values:
            return self.values[ref]
        prefix, _, name = ref.rpartition(".")
        if prefix == "other":
            return self.values.get(f"{other_side(self.side)}.{name}", NAN)
        if prefix == "near":
            return self.values.get(f"{self.near}.{name}", NAN)
        if prefix in SIDES:
            return self.values.get(ref, NAN)
        return self.values.get(f"{self.side}.{ref}", NAN)

    def test(self, conditions: tuple[Check, ...]) -> bool | None:
        """All hold: True; one fails: False; otherwise (some unknown) None."""
        unknown = False
        for c in conditions:
            r = c.judge(self.get)
            if r is False:
                return False
            unknown |= r is None
        return None if unknown else True

    def pick_side(self, measure: str, pick: str) -> str | None:
        """The side whose ``measure`` is smaller (``pick='min'``) or larger; None if unknown."""
        lv, rv = self.values.get(f"left.{measure}", NAN), self.values.get(f"right.{measure}", NAN)
        if math.isnan(lv) and math.isnan(rv):
            return None
        if math.isnan(lv):
            return "right"
        if math.isnan(rv):
            return "left"
        if pick == "min":
            return "left" if lv <= rv else "right"
        return "left" if lv >= rv else "right"


def required_landmarks(spec: ExerciseSpec, side: str | None) -> list[Landmark]:
    """The landmarks the exercise needs, on ``side`` (None = both sides)."""
    sides = SIDES if side is None else (side,)
    out: list[Landmark] = []
    for j in spec.joints:
        for s in sides:
            lm = sided(j, s)
            if lm not in out:
                out.append(lm)
    return out


def vertex_point(m: Measure, pose: PoseFrame, side: str) -> np.ndarray | None:
    """Where to draw a measure's value: the middle joint of an angle, else the first joint."""
    lms = measure_landmarks(m, side)
    lm = lms[1] if m.kind == "angle" else lms[0]
    p = pose.xy[lm]
    return p if np.isfinite(p).all() else None
