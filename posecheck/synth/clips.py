"""Clips: an exercise script, filmed from a view, rendered to mp4 with its ground truth."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posecheck.spec import ARTICLE_EXERCISES
from posecheck.synth import motions as m
from posecheck.synth.body import Body, joints
from posecheck.synth.render import Camera, Look, Renderer

EXERCISES = ARTICLE_EXERCISES
SIDED = ("knee_to_chest", "hamstring_stretch", "spine_twist")
NEGATIVES = {"squat": "bridge", "sitting": "knee_to_chest", "empty": "cobra"}
VIEWS = ("side", "oblique", "feet", "above")
FPS = 30.0
SIZE = (640, 480)


@dataclass(frozen=True)
class ClipSpec:
    """What to render. ``exercise`` is one of EXERCISES or a negative (NEGATIVES)."""

    exercise: str
    view: str = "side"
    head: str = "left"  # image side of the head (side and oblique views)
    fault: bool = False
    first_side: str = "left"
    seed: int = 0
    hold_s: float = 5.0
    reps: int = 3
    name: str = ""

    @property
    def stem(self) -> str:
        if self.name:
            return self.name
        bits = [self.exercise, self.view]
        if self.view != "feet":
            bits.append(f"head{self.head}")
        if self.exercise in SIDED:
            bits.append(f"{self.first_side}first")
        bits.append("fault" if self.fault else "clean")
        bits.append(f"s{self.seed}")
        return "_".join(bits)


PALETTE_SHIRTS = [
    (170, 90, 40),
    (60, 60, 180),
    (90, 140, 60),
    (40, 40, 40),
    (150, 80, 140),
    (30, 120, 200),
]
PALETTE_PANTS = [(50, 45, 45), (90, 60, 40), (60, 60, 70), (110, 80, 70)]
PALETTE_SKIN = [(140, 170, 215), (110, 145, 190), (80, 105, 150), (160, 190, 225), (60, 80, 120)]
PALETTE_HAIR = [(30, 35, 45), (40, 70, 110), (20, 20, 20), (90, 120, 160)]
PALETTE_MAT = [(120, 150, 60), (150, 110, 60), (80, 80, 160), (140, 140, 140)]


def _look(rng: np.random.Generator) -> Look:
    def pick(p):
        return p[int(rng.integers(len(p)))]

    light = (float(rng.uniform(-0.6, 0.6)), 0.85, float(rng.uniform(0.2, 0.7)))
    return Look(
        skin=pick(PALETTE_SKIN),
        shirt=pick(PALETTE_SHIRTS),
        pants=pick(PALETTE_PANTS),
        hair=pick(PALETTE_HAIR),
        mat=pick(PALETTE_MAT),
        light=light,
        ambient=float(rng.uniform(0.32, 0.45)),
    )


def _bridge_lift(body: Body) -> float:
    """The torso lift at which shoulders, hips and knees form a straight line."""
    best, best_err = 20.0, 1e9
    for lift in np.arange(5.0, 40.0, 0.5):
        j = joints(body, m.supine(body, lift_deg=float(lift)))
        a, b, c = j["left_shoulder"], j["left_hip"], j["left_knee"]
        v1, v2 = a - b, c - b
        ang = math.degrees(math.acos(np.dot(v1, v2) / np.linalg.norm(v1) / np.linalg.norm(v2)))
        if abs(ang - 177) < best_err:
            best, best_err = float(lift), abs(ang - 177)
    return best


def build_script(spec: ClipSpec, body: Body, rng: np.random.Generator) -> m.Script:
    """The exercise's motion, with its truth."""
    tempo = float(rng.uniform(0.9, 1.12))
    ex = spec.exercise
    sides = (spec.first_side, "right" if spec.first_side == "left" else "left")
    if ex in ("bridge", "pelvic_tilt", "knee_to_chest", "hamstring_stretch"):
        s = m.Script(body, m.supine(body), tempo)
    elif ex == "spine_twist":
        s = m.Script(body, m.supine(body, arms="T"), tempo)
    elif ex == "cobra":
        s = m.Script(body, m.prone(body), tempo)
    elif ex == "cat_cow":
        s = m.Script(body, m.tabletop(body), tempo)
    elif ex == "child_pose":
        s = m.Script(body, m.kneel_up(body), tempo)
    elif ex == "squat":
        s = m.Script(body, m.standing(body), tempo)
    else:
        s = m.Script(body, m.sitting(body), tempo)
    s.stay(1.2)
    fault_rep = 1 if spec.fault else -1

    if ex in ("bridge", "pelvic_tilt"):
        rest = s.pose
        full = m.supine(body, lift_deg=_bridge_lift(body))
        if ex == "bridge":  # the fault: hips only half way up
            good, bad, cue, up, down = (
                full,
                m.supine(body, lift_deg=_bridge_lift(body) * 0.6),
                "hips_higher",
                1.0,
                1.4,
            )
        else:  # the fault: the tilt turns into a bridge lift
            # The tilt as a side camera sees it on real footage: the hips do not rise,
            # the feet stay planted, the pelvis rolls and the body eases up the mat, so
            # the hip angle opens 3-4 degrees and the thighs flatten about 3 degrees.
            good = m.supine(body, pelvis_dy=0.003, arch=-0.02, slide=0.035)
            bad, cue, up, down = (
                m.supine(body, lift_deg=_bridge_lift(body) * 0.8),
                "dont_lift_hips",
                0.8,
                0.8,
            )
        for i in range(spec.reps):
            start = s.t
            if i == fault_rep:
                s.move(bad, 1.0).stay(1.0).move(rest, 1.2)
                s.fault_span(cue, start)
            else:
                s.move(good, up).stay(1.0 if ex == "bridge" else 1.2, hold_side=None).move(
                    rest, down
                )
                s.rep()
            s.stay(0.9 if ex == "bridge" else 1.0)
    elif ex in ("knee_to_chest", "hamstring_stretch"):
        rest = s.pose
        for k, side in enumerate(sides):
            pose = m.knee_hug(body, side) if ex == "knee_to_chest" else m.hamstring(body, side)
            s.move(pose, 1.5)
            if k == 0 and spec.fault:
                s.stay(spec.hold_s * 0.3, hold_side=None)
                bad = (
                    m.knee_hug(body, side, other_lift=0.35)
                    if ex == "knee_to_chest"
                    else m.hamstring(body, side, knee_bend=60.0)
                )
                start_hold = s.holds.pop()["start_s"]
                fstart = s.t
                s.move(bad, 0.6).stay(2.0).move(pose, 0.6)
                s.fault_span(
                    "other_foot_flat" if ex == "knee_to_chest" else "straighten_knee", fstart
                )
                s.stay(spec.hold_s * 0.4)
                s.holds.append({"side": side, "start_s": start_hold, "end_s": round(s.t, 3)})
            else:
                s.stay(spec.hold_s, hold_side=side)
            s.move(rest, 1.5).stay(1.0)
            s.rep(side)
    elif ex == "spine_twist":
        rest = m.knees_up(body)
        s.move(rest, 1.2).stay(0.8)
        for k, side in enumerate(sides):
            roll = 62.0 if side == "left" else -62.0
            pose = m.knees_up(body, roll=roll)
            s.move(pose, 1.6)
            if k == 0 and spec.fault:
                other = "right" if side == "left" else "left"
                s.stay(spec.hold_s * 0.3)
                h0 = s.keys[-2][0]
                fstart = s.t
                s.move(m.knees_up(body, roll=roll, shoulder_lift=other), 0.6).stay(2.0)
                s.move(pose, 0.6)
                s.fault_span("shoulders_down", fstart)
                s.stay(spec.hold_s * 0.4)
                s.holds.append({"side": side, "start_s": round(h0, 3), "end_s": round(s.t, 3)})
            else:
                s.stay(spec.hold_s, hold_side=side)
            s.move(rest, 1.6).stay(1.0)
            s.rep(side)
    elif ex == "cobra":
        rest = s.pose
        for i in range(spec.reps):
            start = s.t
            if i == fault_rep:
                s.move(m.prone(body, chest_deg=28.0, hips_up=0.12), 1.2).stay(1.2).move(rest, 1.2)
                s.fault_span("hips_on_floor", start)
                s.rep()
            else:
                s.move(m.prone(body, chest_deg=30.0), 1.2).stay(1.0, hold_side=None).move(rest, 1.2)
                s.rep()
            s.stay(1.0)
        if spec.fault:
            # the faulty lift is a rep with a top pause too
            pass
    elif ex == "cat_cow":
        level = s.pose
        cow, cat = m.tabletop(body, arch=-0.07, head="up"), m.tabletop(body, arch=0.09, head="down")
        for i in range(spec.reps):
            start = s.t
            fast = i == fault_rep
            k = 0.3 if fast else 1.0
            s.move(cow, 1.2 * k).stay(0.5 * k).move(cat, 1.5 * k).stay(0.5 * k)
            s.rep()
            if fast:
                s.fault_span("move_slowly", start)
        s.move(level, 1.2).stay(0.8)
    elif ex == "child_pose":
        up = s.pose
        fold = m.child(body)
        s.move(fold, 2.0)
        if spec.fault:
            s.stay(spec.hold_s * 0.3, hold_side=None)
            h = s.holds.pop()
            fstart = s.t
            s.move(m.child(body, arms_forward=False), 0.8).stay(2.0).move(fold, 0.8)
            s.fault_span("reach_arms_forward", fstart)
            s.stay(spec.hold_s * 0.4)
            s.holds.append({"side": None, "start_s": h["start_s"], "end_s": round(s.t, 3)})
        else:
            s.stay(spec.hold_s + 3.0, hold_side=None)
        s.move(up, 1.8).stay(1.0)
    elif ex == "squat":
        up = s.pose
        for _ in range(spec.reps + 1):
            s.move(m.standing(body, squat=1.0), 1.0).stay(0.3).move(up, 1.0).stay(0.4)
    else:  # sitting, empty
        s.stay(8.0)
    s.stay(0.6)
    return s


def _slant(degrees: float, feet_sign: float, z_sign: float) -> np.ndarray:
    """A camera's direction from the body, turned this far from side-on towards the feet."""
    az = math.radians(degrees)
    return np.array([feet_sign * math.sin(az), 0.0, z_sign * math.cos(az)])


def _camera(spec: ClipSpec, body: Body, pose0, rng: np.random.Generator) -> Camera:
    j = joints(body, pose0)
    pts = np.array([j[k] for k in ("head", "pelvis_c", "left_ankle", "right_ankle", "left_knee")])
    centre = (pts.min(0) + pts.max(0)) / 2
    head_x = j["head"][0] - j["pelvis_c"][0]
    # Frame the whole body: its length along the mat, or its height when upright.
    extent = max(float(np.ptp(pts[:, 0])) + 0.5, 1.5 * (float(pts[:, 1].max()) + 0.3))
    # Which side of the body the camera stands on decides where the head appears.
    z_sign = 1.0 if (head_x > 0) == (spec.head == "right") else -1.0
    feet_sign = -1.0 if head_x > 0 else 1.0
    dist = max(1.7, extent * 1.05) * float(rng.uniform(0.95, 1.1))
    height = float(rng.uniform(0.35, 0.6))
    if spec.view == "side":
        direction = np.array([0.0, 0.0, z_sign])
    elif spec.view == "oblique":
        direction = _slant(float(rng.uniform(35, 45)), feet_sign, z_sign)
        height += 0.25
    elif spec.view == "above":  # high (a shelf, a tripod raised), looking down at a slant
        direction = _slant(float(rng.uniform(30, 50)), feet_sign, z_sign)
        pos = centre + float(rng.uniform(1.2, 1.5)) * direction
        pos[1] = float(rng.uniform(2.2, 2.5))
        target = (float(centre[0]), 0.1, float(centre[2]))
        return Camera(position=tuple(float(x) for x in pos), target=target, size=SIZE)
    else:  # feet end, raised
        direction = np.array([feet_sign, 0.0, 0.18 * z_sign])
        direction /= np.linalg.norm(direction)
        dist *= 0.95
        height = float(rng.uniform(0.85, 1.05))
    pos = centre + dist * direction
    pos[1] = height
    target = (float(centre[0]), max(0.25, float(pts[:, 1].max()) * 0.45), float(centre[2]))
    return Camera(position=tuple(float(x) for x in pos), target=target, size=SIZE)


def truth(spec: ClipSpec, script: m.Script | None, duration: float, head: str | None) -> dict:
    ex = spec.exercise
    negative = ex in NEGATIVES
    if negative:
        reps = {"total": None, "left": None, "right": None}
    elif ex in SIDED:
        reps = dict(script.reps)
    elif ex == "child_pose":
        reps = {"total": None, "left": None, "right": None}
    else:
        reps = {"total": script.reps["total"], "left": None, "right": None}
    return {
        "file": f"{spec.stem}.mp4",
        "exercise": None if negative else ex,
        "ask_as": NEGATIVES.get(ex),
        "view": spec.view,
        "head": head,
        "usable": [[0.0, round(duration, 3)]],
        "people": 0 if ex == "empty" else 1,
        "reps": reps,
        "holds": [] if negative else script.truth_holds(),
        "faults": [] if negative else script.faults,
        "seed": spec.seed,
        "confidence": "exact",
        "note": f"synthetic ({'faulty' if spec.fault else 'clean'}), rendered by posecheck.synth",
    }


# A clip is rendered to a hidden ``.<stem>`` file with this suffix and renamed once whole,
# so that a stopped render leaves no half clip.
PART_SUFFIX = ".part.mp4"


def render_clip(spec: ClipSpec, out_dir: str | Path, fps: float = FPS) -> dict:
    """Render ``spec`` to ``out_dir/<stem>.mp4`` with ``<stem>.json``; return the truth."""
    rng = np.random.default_rng(
        spec.seed * 7919 + EXERCISES.index(spec.exercise) * 31
        if spec.exercise in EXERCISES
        else spec.seed * 7919 + 5
    )
    body = Body().scaled(float(rng.uniform(0.92, 1.08)), float(rng.uniform(0.9, 1.15)))
    script = build_script(spec, body, rng)
    look = _look(rng)
    camera = _camera(spec, body, script.at(0.0), rng)
    renderer = Renderer(body, camera, look)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{spec.stem}.mp4"
    part = out_dir / f".{spec.stem}{PART_SUFFIX}"  # renamed once whole
    writer = cv2.VideoWriter(str(part), cv2.VideoWriter_fourcc(*"mp4v"), fps, SIZE)
    try:
        n = _render_frames(spec, script, renderer, writer, rng, fps)
    except BaseException:
        writer.release()
        part.unlink(missing_ok=True)
        raise
    writer.release()
    os.replace(part, path)
    head = None
    if spec.exercise not in ("empty",):
        j = joints(body, script.at(0.0))
        uv = camera.project(np.array([j["head"], j["pelvis_c"]]))
        head = "left" if uv[0][0] < uv[1][0] else "right"
    gt = truth(spec, script, n / fps, head)
    (out_dir / f"{spec.stem}.json").write_text(json.dumps(gt, indent=2) + "\n")
    return gt


def _render_frames(spec: ClipSpec, script, renderer: Renderer, writer, rng, fps: float) -> int:
    """Render and write every frame of ``script``; return how many."""
    n = int(round(script.duration * fps))
    shake = np.zeros(2)
    # Sensor noise: a few precomputed fields, cycled (drawing fresh noise costs more
    # than rendering the frame).
    noises = [rng.normal(0, 2.0, (SIZE[1], SIZE[0], 3)).astype(np.int16) for _ in range(4)]
    for i in range(n):
        t = i / fps
        if spec.exercise == "empty":
            frame = renderer.render_room()
        else:
            frame = renderer.render(script.at(t))
        shake = 0.9 * shake + rng.normal(0, 0.25, 2)
        M = np.float32([[1, 0, shake[0]], [0, 1, shake[1]]])
        frame = cv2.warpAffine(frame, M, SIZE, borderMode=cv2.BORDER_REPLICATE)
        frame = np.clip(frame.astype(np.int16) + noises[i % 4], 0, 255).astype(np.uint8)
        writer.write(frame)
    return n


# Per-leg exercises are filmed obliquely: from a pure side view the pose model tends to
# take a raised leg for the far one (see README, "Camera placement").
SAMPLES = [
    ClipSpec(
        ex,
        "oblique" if ex in SIDED else "side",
        "right" if ex in SIDED else "left",
        False,
        "left",
        seed=1,
        hold_s=4.0,
        reps=3,
        name=ex,
    )
    for ex in EXERCISES
] + [
    ClipSpec("bridge", "side", "right", True, seed=2, reps=3, name="bridge_partial"),
    ClipSpec("squat", "side", "left", seed=3, reps=3, name="squat_negative"),
]


SUITE_VIEWS = (("side", "left"), ("side", "right"), ("oblique", "right"))
# Views left out of the suite where they cannot work (and the app does not advise them):
# - per-leg holds from a pure side view: the pose model takes a raised leg for the far
#   one, so left and right swap; the oblique views give it depth.
# - cobra and pelvic tilt from an elevated oblique camera: the image angles they rest on
#   assume a level side view (a person lying flat reads as a 16-degree chest lift).
VIEWS_BY_EXERCISE = {
    "knee_to_chest": (("oblique", "left"), ("oblique", "right")),
    "hamstring_stretch": (("oblique", "left"), ("oblique", "right")),
    "cobra": (("side", "left"), ("side", "right")),
    "pelvic_tilt": (("side", "left"), ("side", "right")),
}


def suite_specs(
    exercise: str | None = None, seed: int = 0, view: str | None = None
) -> list[ClipSpec]:
    """Every exercise x three views x both sides (or two seeds) x clean and faulty, and
    negatives; with ``view``, the exercises filmed from that view only (head left and
    right), without negatives: a view the suite leaves out, measured on its own."""
    out = []
    for ex in EXERCISES:
        if exercise and ex != exercise:
            continue
        if view == "feet":
            views = (("feet", "left"),)  # no head side: the head is away from the camera
        elif view:
            views = ((view, "left"), (view, "right"))
        else:
            views = VIEWS_BY_EXERCISE.get(ex, SUITE_VIEWS)
        for view_, head in views:
            for fault in (False, True):
                firsts = ("left", "right") if ex in SIDED else ("left",)
                for k, first in enumerate(firsts):
                    out.append(
                        ClipSpec(ex, view_, head, fault, first, seed=seed + k, hold_s=5.0, reps=3)
                    )
    if not exercise and not view:
        for neg in NEGATIVES:
            out.append(ClipSpec(neg, "side", "left", seed=seed, reps=3))
    return out
