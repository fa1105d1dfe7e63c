"""Overlay: draws a :class:`FrameState` on a frame. Draws only; computes nothing.

Sizes scale with the frame height, so one layout reads at 640x480 and at 1080p;
``OverlayStyle.text_scale`` enlarges the text further for a screen seen from 2-3 m.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from posecheck.frame import PoseFrame
from posecheck.landmarks import SKELETON, Landmark
from posecheck.rules import vertex_point
from posecheck.session import FrameState, Stage
from posecheck.spec import ExerciseSpec

FONT = cv2.FONT_HERSHEY_DUPLEX
# BGR colours
LEFT_COLOUR = (255, 170, 60)  # person's left: blue
RIGHT_COLOUR = (60, 170, 255)  # person's right: orange
MID_COLOUR = (230, 230, 230)
PANEL = (30, 30, 30)
WHITE = (255, 255, 255)
GREEN = (90, 200, 90)
CUE_COLOURS = {
    "form": (40, 90, 230),
    "rep": (40, 140, 240),
    "setup": (200, 120, 40),
    "info": (60, 160, 60),
}


@dataclass(frozen=True)
class OverlayStyle:
    """Drawing settings.

    Attributes:
        text_scale: multiplies every text size (live mode uses ~1.4 for reading from afar).
        min_visibility: landmarks below this visibility are not drawn.
        mirrored: the image was flipped left-right for display; pose x is flipped too.
        clock: the frame's time in the video, in seconds as the report gives times, beside
            the exercise's name (a recorded video's annotated copy).
    """

    text_scale: float = 1.0
    min_visibility: float = 0.5
    mirrored: bool = False
    clock: bool = False


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


def _overlap(a: Box, b: Box) -> float:
    """The area two boxes share."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


def _unit(image: np.ndarray) -> float:
    """Sizes scale with the picture's shorter side (at least 360 pixels' worth), and no
    more than a 640-pixel-wide picture's per pixel of width, so that a picture taller
    than wide (a phone held upright) still has room for the panels."""
    h, w = image.shape[:2]
    return min(max(min(h, w), 360) / 720.0, w / 640.0)


def _text(img, text, org, size, colour=WHITE, thick=1):
    x, y = int(org[0]), int(org[1])
    # the outline without anti-aliasing (it is dark and mostly covered): half the cost
    cv2.putText(img, text, (x, y), FONT, size, (0, 0, 0), thick + max(2, thick), cv2.LINE_8)
    cv2.putText(img, text, (x, y), FONT, size, colour, thick, cv2.LINE_AA)


def _text_size(text, size, thick):
    (w, h), base = cv2.getTextSize(text, FONT, size, thick)
    return w, h, base


def _wrap(text: str, size: float, thick: int, max_w: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if _text_size(trial, size, thick)[0] <= max_w or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


PANEL_ALPHA = 0.65
PANEL_OVER_PERSON_ALPHA = 0.3  # a panel over the person lets the body show through


def _panel(img, x0, y0, x1, y1, colour=PANEL, alpha=PANEL_ALPHA):
    x0, y0 = max(0, int(x0)), max(0, int(y0))
    x1, y1 = min(img.shape[1], int(x1)), min(img.shape[0], int(y1))
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    roi[:] = (roi * (1 - alpha) + np.array(colour) * alpha).astype(np.uint8)


def _panel_alpha(pose: PoseFrame, style: OverlayStyle, box) -> float:
    """The default panel opacity, or less where a seen joint of the person lies under it
    or near (a foot raised into the corner in a hamstring stretch: the foot reaches past
    the ankle)."""
    if pose.present:
        xy = _points(pose, style)[pose.visibility >= style.min_visibility]
        near = 0.15 * pose.image_size[1]  # the foot reaches past the ankle (and is misread)
        x0, y0, x1, y1 = box[0] - near, box[1] - near, box[2] + near, box[3] + near
        inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
        if inside.any():
            return PANEL_OVER_PERSON_ALPHA
    return PANEL_ALPHA


def _points(pose: PoseFrame, style: OverlayStyle) -> np.ndarray:
    xy = pose.xy.copy()
    if style.mirrored:
        xy[:, 0] = pose.image_size[0] - 1 - xy[:, 0]
    return xy


def draw_skeleton(img: np.ndarray, pose: PoseFrame, style: OverlayStyle = OverlayStyle()) -> None:
    if not pose.present:
        return
    u = _unit(img)
    xy = _points(pose, style)
    thick = max(2, int(round(4 * u)))
    ok = pose.visibility >= style.min_visibility
    for a, b in SKELETON:
        if not (ok[a] and ok[b]):
            continue
        name = a.name
        colour = (
            LEFT_COLOUR
            if name.startswith("LEFT") and b.name.startswith("LEFT")
            else (
                RIGHT_COLOUR
                if name.startswith("RIGHT") and b.name.startswith("RIGHT")
                else MID_COLOUR
            )
        )
        cv2.line(img, tuple(np.int32(xy[a])), tuple(np.int32(xy[b])), colour, thick, cv2.LINE_AA)
    r = max(3, int(round(5 * u)))
    for lm in Landmark:
        if ok[lm] and lm >= Landmark.LEFT_SHOULDER:
            cv2.circle(img, tuple(np.int32(xy[lm])), r, WHITE, -1, cv2.LINE_AA)
            cv2.circle(img, tuple(np.int32(xy[lm])), r, (0, 0, 0), 1, cv2.LINE_AA)


# Measure kinds read in degrees (the label carries a degree sign); the rest are in torso
# lengths.
DEGREE_KINDS = ("angle", "elevation", "inclination")


LABEL_COLOUR = (120, 255, 255)  # a measure's value beside its joint (BGR: light yellow)


def _fmt(name: str, value: float, kind: str, signed: bool = False) -> str:
    sign = "+" if signed else ""
    digits = 0 if kind in DEGREE_KINDS else 2
    value = round(value, digits) + 0.0  # never "-0"
    return f"{name} {value:{sign}.{digits}f}"


def draw_measures(
    img, state: FrameState, spec: ExerciseSpec, style: OverlayStyle, avoid: Sequence[Box] = ()
) -> list[Box]:
    """Each shown measure's value beside its joint, in the first place around the joint
    (right, left, above or below) inside the picture and clear of the ``avoid`` boxes
    (the panels) and of the labels already drawn; else where it covers the least.

    Returns the labels' boxes."""
    if not state.pose.present:
        return []
    u = _unit(img) * style.text_scale
    vis = state.pose.visibility
    side = state.side or (
        "left" if vis[Landmark.LEFT_SHOULDER] >= vis[Landmark.RIGHT_SHOULDER] else "right"
    )
    taken = list(avoid)
    placed: list[Box] = []
    h, w = img.shape[:2]
    for name, value in state.measures.items():
        if value != value:
            continue
        m = spec.measures[name]
        p = vertex_point(m, state.pose, side)
        if p is None:
            continue
        x = state.pose.image_size[0] - 1 - p[0] if style.mirrored else p[0]
        y = p[1]
        label = _fmt(m.label or name, value, m.kind, signed=name == spec.relative_measure)
        thick = max(1, int(2 * u))
        text_w, th, base = _text_size(label, 0.7 * u, thick)
        ring = max(2, round(0.2 * th)) if m.kind in DEGREE_KINDS else 0  # the degree sign
        tw = text_w + (2 * ring + 2 * thick if ring else 0)
        gap = 12 * u
        # text origins (bottom left): right, left, above, below the joint
        spots = [
            (x + gap, y - gap),
            (x - gap - tw, y - gap),
            (x - tw / 2, y - gap - base),
            (x - tw / 2, y + gap + th),
        ]
        best = None
        for lx, ly in spots:
            # kept inside the picture
            lx = min(max(0.0, lx), w - tw - 4)
            ly = min(max(th + 4.0, ly), h - base - 4)
            box = (lx, ly - th, lx + tw, ly + base)
            cover = sum(_overlap(box, other) for other in taken)
            if best is None or cover < best[0]:
                best = (cover, lx, ly, box)
            if cover == 0:
                break
        _, lx, ly, box = best
        _text(img, label, (lx, ly), 0.7 * u, LABEL_COLOUR, thick)
        if ring:
            centre = (int(lx + text_w + ring + thick), int(ly - th + ring))
            cv2.circle(img, centre, ring, (0, 0, 0), thick + max(2, thick), cv2.LINE_8)
            cv2.circle(img, centre, ring, LABEL_COLOUR, thick, cv2.LINE_AA)
        taken.append(box)
        placed.append(box)
    return placed


def _counts_lines(state: FrameState, spec: ExerciseSpec) -> list[str]:
    lines = []
    if spec.count_kind == "reps":
        target = f" / {spec.targets.reps}" if spec.targets.reps else ""
        lines.append(f"Reps {state.reps['total']}{target}")
        if state.partial_reps:
            lines.append(f"Partial {state.partial_reps}")
    elif spec.has_sides:
        sets = spec.targets.sets
        suffix = f"/{sets}" if sets else ""
        done = state.sets_done  # holds that met the target
        lines.append(f"Left {done['left']}{suffix}   Right {done['right']}{suffix}")
    else:
        lines.append(f"Holds {state.sets_done['total']}")
    if state.short_holds:
        lines.append(f"Short of {spec.targets.hold_s:.0f} s: {state.short_holds}")
    return lines


def draw_status(img, state: FrameState, spec: ExerciseSpec, style: OverlayStyle) -> list[Box]:
    """The counts panel (top left) and the hold timer (top right); returns their boxes."""
    h, w = img.shape[:2]
    u = _unit(img) * style.text_scale
    pad = int(14 * u)
    title_size, count_size = 0.8 * u, 1.25 * u
    t1, t2 = max(1, int(1.5 * u)), max(2, int(2.5 * u))
    lines = _counts_lines(state, spec)
    title = f"{spec.name}   {state.timestamp_s:.1f} s" if style.clock else spec.name
    box_w = (
        max(
            [_text_size(title, title_size, t1)[0]]
            + [_text_size(x, count_size, t2)[0] for x in lines]
        )
        + 2 * pad
    )
    line_h = int(48 * u)
    box_h = int(36 * u) + line_h * len(lines) + pad
    _panel(img, 0, 0, box_w, box_h, alpha=_panel_alpha(state.pose, style, (0, 0, box_w, box_h)))
    boxes: list[Box] = [(0, 0, box_w, box_h)]
    _text(img, title, (pad, pad + 22 * u), title_size, (200, 200, 200), t1)
    for i, line in enumerate(lines):
        _text(img, line, (pad, int(36 * u) + line_h * (i + 1) - 6 * u), count_size, WHITE, t2)
    flag = "SETTING UP" if state.stage is Stage.SETUP else ("PAUSED" if state.paused else "")
    if flag:  # on a panel of its own, under the counts: readable against a light wall
        size, thick = 0.9 * u, max(1, int(2 * u))
        fw, fh, base = _text_size(flag, size, thick)
        box = (0, box_h, fw + 2 * pad, box_h + fh + base + pad)
        _panel(img, *box, alpha=_panel_alpha(state.pose, style, box))
        _text(img, flag, (pad, box_h + fh + pad / 2), size, (120, 200, 255), thick)
        boxes.append(box)
    if state.hold is not None:
        boxes.append(draw_hold(img, state, style))
    return boxes


def ring_text(elapsed_s: float, target_s: float) -> tuple[str, str]:
    """The hold ring's big and small text: seconds left (counted down, rounded up) and
    seconds held (counted up, whole seconds done), which add up to the target."""
    if not target_s:
        return f"{int(elapsed_s)}", "seconds"
    left = max(0.0, target_s - elapsed_s)
    return ("done" if left <= 0 else f"{math.ceil(left)}"), f"{int(elapsed_s)}/{target_s:.0f} s"


def draw_hold(img, state: FrameState, style: OverlayStyle) -> Box:
    """A ring filling up to the target, with the seconds left in the middle; returns its
    panel's box."""
    h, w = img.shape[:2]
    u = _unit(img) * style.text_scale
    hold = state.hold
    r = int(62 * u)
    cx, cy = w - r - int(20 * u), r + int(20 * u)
    box = (cx - r - 12 * u, cy - r - 12 * u, w, cy + r + 48 * u)
    _panel(img, *box, alpha=_panel_alpha(state.pose, style, box))
    target = hold.target_s or 0
    frac = min(1.0, hold.elapsed_s / target) if target else 0.0
    thick = max(4, int(10 * u))
    cv2.circle(img, (cx, cy), r, (80, 80, 80), thick, cv2.LINE_AA)
    counting = hold.running and not hold.stopped  # grey: not counting (a cue stops it)
    colour = GREEN if frac >= 1 else ((60, 200, 255) if counting else (150, 150, 150))
    if frac > 0:
        cv2.ellipse(img, (cx, cy), (r, r), -90, 0, 360 * frac, colour, thick, cv2.LINE_AA)
    big, sub = ring_text(hold.elapsed_s, target)
    size = (1.6 if len(big) <= 2 else 1.0) * u
    tw, th, _ = _text_size(big, size, max(2, int(3 * u)))
    _text(img, big, (cx - tw / 2, cy + th / 2), size, WHITE, max(2, int(3 * u)))
    side = f"{hold.side.upper()} " if hold.side else ""
    label = f"{side}{sub}" if hold.running or not hold.side else f"next: {hold.side.upper()}"
    if hold.stopped:
        label = f"{side}paused"
    sw, _, _ = _text_size(label, 0.6 * u, max(1, int(1.5 * u)))
    _text(
        img, label, (cx - sw / 2, cy + r + 34 * u), 0.6 * u, (220, 220, 220), max(1, int(1.5 * u))
    )
    return box


def draw_cue(img, state: FrameState, style: OverlayStyle) -> list[Box]:
    """The one current cue (or message), in a banner across the bottom; returns its box
    (none without a message)."""
    text, kind = None, "info"
    if state.cue is not None:
        text, kind = state.cue.message, state.cue.kind
    elif state.message:
        text = state.message
    if not text:
        return []
    h, w = img.shape[:2]
    u = _unit(img) * style.text_scale
    size, thick = 1.0 * u, max(2, int(2.2 * u))
    pad = int(16 * u)
    lines = _wrap(text, size, thick, w - 2 * pad)
    line_h = int(44 * u)
    box_h = line_h * len(lines) + pad
    _panel(img, 0, h - box_h, w, h, CUE_COLOURS.get(kind, PANEL), 0.8)
    for i, line in enumerate(lines):
        tw, _, _ = _text_size(line, size, thick)
        _text(img, line, ((w - tw) / 2, h - box_h + line_h * (i + 1) - 8 * u), size, WHITE, thick)
    return [(0, h - box_h, w, h)]


def annotate(
    image: np.ndarray, state: FrameState, spec: ExerciseSpec, style: OverlayStyle = OverlayStyle()
) -> np.ndarray:
    """Draw skeleton, counts, hold timer, the current cue and the measures on a copy of
    ``image``; the measures last, placed clear of the panels."""
    img = image.copy()
    draw_skeleton(img, state.pose, style)
    panels = draw_status(img, state, spec, style) + draw_cue(img, state, style)
    draw_measures(img, state, spec, style, panels)
    return img


def text_screen(image: np.ndarray, lines: list[str], style: OverlayStyle) -> np.ndarray:
    """The picture dimmed under centred lines of text (live's pause, rest between
    exercises, the end); many lines (a routine's eight results) are made smaller to fit
    the height. The first line is the title."""
    img = image.copy()
    h, w = img.shape[:2]
    u = _unit(img) * style.text_scale
    u *= min(1.0, 0.9 * h / (len(lines) * 60 * u + 40 * u))  # a line takes about 60u
    _panel(img, 0, 0, w, h, (20, 20, 20), 0.6)
    y = h / 2 - len(lines) * 30 * u
    for i, line in enumerate(lines):
        size = (1.4 if i == 0 else 0.9) * u
        thick = max(2, int(2.5 * u))
        tw, th, _ = _text_size(line, size, thick)
        if tw > 0.94 * w:  # a long line is made smaller to fit
            size *= 0.94 * w / tw
            thick = max(1, int(thick * 0.94 * w / tw))
            tw, th, _ = _text_size(line, size, thick)
        _text(img, line, ((w - tw) / 2, y + th), size, (255, 255, 255), thick)
        y += th + 28 * u
    return img


def key_strip(image: np.ndarray, keys: list[str], min_size: float) -> np.ndarray:
    """The picture with ``keys`` (a list of "key what" texts) on a strip of their own under
    it, nothing of the picture covered: as many lines as they need at a readable size
    (``min_size``, an OpenCV font scale, at the least)."""
    h, w = image.shape[:2]
    u = _unit(image)
    size = max(0.5 * u, min_size)
    room = w - 20 * u
    lines = [""]  # as many lines as the keys need at a readable size
    for key in keys:
        joined = f"{lines[-1]}  {key}" if lines[-1] else key
        if lines[-1] and _text_size(joined, size, 1)[0] > room:
            lines.append(key)
        else:
            lines[-1] = joined
    widest = max(_text_size(line, size, 1)[0] for line in lines)
    size *= min(1.0, room / widest)  # a single key wider than the picture
    _, th, base = _text_size("[" + lines[0], size, 1)
    gap = max(5 * u, 3)
    step = th + base + gap  # descenders clear of the next line
    strip = np.full((int(step * len(lines) + gap), w, 3), 30, np.uint8)
    for i, line in enumerate(lines):
        tw = _text_size(line, size, 1)[0]
        org = (int((w - tw) / 2), int(gap + th + step * i))
        cv2.putText(strip, line, org, FONT, size, (230, 230, 230), 1, cv2.LINE_AA)
    return np.vstack([image, strip])
