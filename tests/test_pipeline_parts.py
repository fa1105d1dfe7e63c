"""Smoothing, sources and overlay: the stages around the session."""

import json
import os
import time
from dataclasses import replace

import cv2
import numpy as np
import pytest
from poses import knee_hug, pose_from_points, supine, with_points
from test_cli import write_video

from posecheck.analyze import VideoSink
from posecheck.frame import PoseFrame
from posecheck.landmarks import Landmark
from posecheck.overlay import (
    PANEL_OVER_PERSON_ALPHA,
    OverlayStyle,
    _fmt,
    _panel_alpha,
    annotate,
    draw_cue,
    draw_measures,
    draw_status,
    ring_text,
)
from posecheck.report import (
    _clock,
    _gaps_while_counting,
    count_line,
    merged_cues,
    share,
    write_report,
)
from posecheck.session import ExerciseSession
from posecheck.smoothing import (
    LookBack,
    OneEuroFilter,
    OneEuroSettings,
    PoseSmoother,
    handed_across,
    join_opening,
)
from posecheck.source import VideoFileSource
from posecheck.spec import load_spec


def test_one_euro_smooths_jitter_at_rest_and_follows_movement():
    rng = np.random.default_rng(0)
    f = OneEuroFilter(OneEuroSettings())
    still = [f(np.array([100.0 + rng.normal(0, 2)]), i / 30)[0] for i in range(90)]
    assert np.std(still[30:]) < 0.5 * 2.0  # jitter at least halved
    moving = [f(np.array([100.0 + 300 * i / 30]), 3 + i / 30)[0] for i in range(30)]
    assert abs(moving[-1] - (100 + 300 * 29 / 30)) < 60  # keeps up with a fast move


def test_smoother_resets_when_the_person_leaves():
    sm = PoseSmoother()
    a = supine(t=0.0)
    sm.update(a)
    gone = sm.update(PoseFrame.empty(0.1, a.image_size))
    assert not gone.present
    moved = supine(hip_deg=170, t=0.2)
    # after a reset the first frame passes through unchanged (no lag from the old pose)
    assert np.allclose(sm.update(moved).xy, moved.xy)


def _knees_swapped(pose: PoseFrame, t: float, shift: float = 0.0) -> PoseFrame:
    """``pose`` at ``t`` with the two knees' labels crossed (each moved by ``shift`` px)."""
    left, right = pose.xy[Landmark.LEFT_KNEE], pose.xy[Landmark.RIGHT_KNEE]
    moved = {"left_knee": tuple(right + shift), "right_knee": tuple(left + shift)}
    return replace(with_points(pose, moved), timestamp_s=t)


@pytest.mark.parametrize(
    "second, crossed",
    [
        ("knees swapped", ["knee"]),
        ("knees swapped and moved a little", ["knee"]),
        ("the same pose", []),
        ("knees swapped, a second later", []),  # too far apart to compare
        ("knees side by side, swapped", []),  # a jump too small to tell
    ],
)
def test_legs_handed_across(second, crossed):
    hug = knee_hug("left", t=0.0)
    together = with_points(hug, {"right_knee": tuple(hug.xy[Landmark.LEFT_KNEE] + (8, 0))})
    first, then = {
        "knees swapped": (hug, _knees_swapped(hug, 0.033)),
        "knees swapped and moved a little": (hug, _knees_swapped(hug, 0.033, shift=10)),
        "the same pose": (hug, replace(hug, timestamp_s=0.033)),
        "knees swapped, a second later": (hug, _knees_swapped(hug, 1.0)),
        "knees side by side, swapped": (together, _knees_swapped(together, 0.033)),
    }[second]
    names = [a.name.removeprefix("LEFT_").lower() for a, _ in handed_across(first, then)]
    assert names == crossed


@pytest.mark.parametrize(
    "follow_swaps, frames, left_knee_within",
    [
        # the filter's state goes with the label: the left knee reads where the model
        # now puts it (within this share of the two knees' distance)
        (True, 1, (0.0, 0.05)),
        (True, 4, (0.0, 0.2)),  # handed over bit by bit: caught against the estimate
        # each label filtered as it comes: the two legs blend
        (False, 1, (0.5, 0.95)),
        (False, 4, (0.4, 0.95)),
    ],
)
def test_smoother_and_a_leg_handed_across(follow_swaps, frames, left_knee_within):
    sm = PoseSmoother(follow_swaps=follow_swaps)
    hug = knee_hug("left")
    for i in range(30):  # a second still: the filter has settled
        sm.update(replace(hug, timestamp_s=i / 30))
    hugged, resting = hug.xy[Landmark.LEFT_KNEE], hug.xy[Landmark.RIGHT_KNEE]
    for k in range(1, frames + 1):  # the model moves the labels over, the knees stay
        w = k / frames
        handed = {
            "left_knee": tuple(hugged + w * (resting - hugged)),
            "right_knee": tuple(resting + w * (hugged - resting)),
        }
        out = sm.update(replace(with_points(hug, handed), timestamp_s=(29 + k) / 30))
    off = np.linalg.norm(out.xy[Landmark.LEFT_KNEE] - resting)
    low, high = left_knee_within
    assert low * np.linalg.norm(resting - hugged) <= off <= high * np.linalg.norm(resting - hugged)


@pytest.mark.parametrize("fps", [25.0, 30.0])
def test_file_timestamps_come_from_the_file(tmp_path, fps):
    path = write_video(tmp_path / "v.mp4", seconds=1.0, fps=fps)
    frames = list(VideoFileSource(path))
    assert len(frames) == int(fps)
    ts = [f.timestamp_s for f in frames]
    assert ts[0] == 0.0 and ts[1] == pytest.approx(1 / fps, abs=1e-3)
    assert all(b > a for a, b in zip(ts, ts[1:]))


def _tag_rotation(path, degrees: int) -> None:
    """Write a rotation tag into an MP4's track header (its display matrix), as phones do
    for a portrait or upside-down recording; the pixels stay as they are."""
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd")
    assert at > 0 and data[at + 4] == 0  # version 0 header: the matrix is 40 bytes in
    one, minus_one = 0x00010000, 0xFFFF0000
    a, b, c, d = {90: (0, one, minus_one, 0), 180: (minus_one, 0, 0, minus_one)}[degrees]
    matrix = [a, b, 0, c, d, 0, 0, 0, 0x40000000]
    data[at + 44 : at + 80] = b"".join(v.to_bytes(4, "big") for v in matrix)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "degrees, rotate, size, marked_corner",
    [
        (0, 0, (160, 120), (0, 0)),  # the mark top left, as written
        (90, 0, (120, 160), (0, 119)),  # a portrait phone video: shown turned, as players do
        (180, 0, (160, 120), (119, 159)),  # upside down
        # pixels on their side with no tag, turned upright by --rotate (clockwise)
        (0, 90, (120, 160), (0, 119)),
        (0, 180, (160, 120), (119, 159)),
        (0, 270, (120, 160), (159, 0)),
        (90, 90, (160, 120), (119, 159)),  # a tag, and a turn on top of it
    ],
)
def test_video_frames_are_turned_as_players_show_them(
    tmp_path, degrees, rotate, size, marked_corner
):
    path = tmp_path / "phone.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (160, 120))
    for _ in range(5):
        frame = np.zeros((120, 160, 3), np.uint8)
        frame[:30, :30] = 255  # a white square in the top left corner of the pixels
        writer.write(frame)
    writer.release()
    if degrees:
        _tag_rotation(path, degrees)
    src = VideoFileSource(path, rotate=rotate)
    frames = list(src)
    assert src.size == size and len(frames) == 5
    image = frames[0].image
    assert (image.shape[1], image.shape[0]) == size
    row, col = marked_corner
    assert image[row, col].mean() > 200, "the white mark is not where a player shows it"


@pytest.mark.parametrize(
    "written, degrees, max_side, size",
    [
        ((160, 120), 0, None, (160, 120)),  # no limit
        ((160, 120), 0, 160, (160, 120)),  # at the limit: as it is
        ((160, 120), 0, 100, (100, 75)),  # larger (as a 4K video is): scaled, same shape
        ((160, 120), 90, 100, (75, 100)),  # a portrait phone video: turned, then scaled
        ((150, 98), 0, 80, (80, 52)),  # sizes round to whole pixels
    ],
)
def test_large_frames_are_scaled_down_as_they_are_decoded(
    tmp_path, written, degrees, max_side, size
):
    path = write_video(tmp_path / "v.mp4", seconds=0.3, size=written)
    if degrees:
        _tag_rotation(path, degrees)
    src = VideoFileSource(path, max_side=max_side)
    shown = written if not degrees else written[::-1]
    assert src.size == size and src.video_size == shown
    assert {(f.image.shape[1], f.image.shape[0]) for f in src} == {size}


@pytest.mark.parametrize(
    "declared, first_frame_at, last_t, ended_early",
    [
        (482, 0, 16.03, False),  # whole: 482 frames at 30 fps, the last at 16.03 s
        (482, 0, 15.6, False),  # a few frames short: estimates are rough
        (482, 0, 8.07, True),  # cut off half way
        (782, 300, 16.03, False),  # WebM cut to start at 10 s: its estimate counts from 0
        (782, 300, 8.07, True),  # ... and cut off half way as well
        (482, 0, 16.0, False),  # variable rate: 307 frames over the same 16 s
        (0, 0, 3.3, False),  # a streamed recording declares no length
    ],
)
def test_a_video_that_ends_early_is_told_from_one_that_starts_late(
    tmp_path, declared, first_frame_at, last_t, ended_early
):
    src = VideoFileSource(write_video(tmp_path / "v.mp4", seconds=1.0, fps=30.0))
    src.frame_count, src.first_frame_at = declared, first_frame_at
    assert src.ended_early(last_t) is ended_early


@pytest.mark.parametrize(
    "declared, first_frame_at, expected",
    [(482, 0, 482), (782, 300, 482), (0, 0, 0)],  # as above: whole, WebM from 10 s, streamed
)
def test_progress_and_length_count_the_frames_the_file_holds(
    tmp_path, declared, first_frame_at, expected
):
    src = VideoFileSource(write_video(tmp_path / "v.mp4", seconds=1.0, fps=30.0))
    src.frame_count, src.first_frame_at = declared, first_frame_at
    assert src.frames_expected == expected
    assert src.duration_s == (expected / 30.0 if expected else None)


def test_stopping_early_releases_the_decoder(tmp_path):
    src = VideoFileSource(write_video(tmp_path / "v.mp4", seconds=3.0))
    for i, _ in enumerate(src):
        if i == 2:
            break
    assert src.frames_decoded == 3


@pytest.mark.parametrize("size", [(640, 480), (1920, 1080)])
def test_overlay_draws_and_keeps_size(size, tmp_path):
    spec = load_spec("knee_to_chest")
    session = ExerciseSession(spec)
    scale = size[0] / 640
    state = None
    for i in range(40):
        pose = supine(hip_deg=130, knee_deg=100, t=i / 10, size=(640, 480))
        pose = PoseFrame(pose.timestamp_s, size, pose.xy * scale, pose.world, pose.visibility)
        state = session.update(pose)
    image = np.full((size[1], size[0], 3), 90, np.uint8)
    out = annotate(image, state, spec)
    assert out.shape == image.shape and (out != image).any()
    assert (image == 90).all()  # the input is not drawn on
    cv2.imwrite(str(tmp_path / "overlay.png"), out)


def _knee_hug_state(size=(640, 480)):
    """A knee-to-chest frame state while counting, with the hold timer and a message."""
    session = ExerciseSession(load_spec("knee_to_chest"))
    state = None
    for i in range(40):
        state = session.update(supine(hip_deg=130, knee_deg=100, t=i / 10, size=size))
    assert state.hold is not None and state.measures
    return replace(state, message="Hold... 12 s left")


def _panel_boxes(state, size):
    img = np.zeros((size[1], size[0], 3), np.uint8)
    spec = load_spec("knee_to_chest")
    return draw_status(img, state, spec, OverlayStyle(1.4)) + draw_cue(
        img, state, OverlayStyle(1.4)
    )


LABEL_PLACES = [
    # where the labelled joint (the hip, for knee to chest) is put, from the panel boxes
    (
        "just under the hold timer's left edge",
        lambda boxes, w, h: (boxes[-2][0] + 5, boxes[-2][3] + 5),
    ),
    ("just under the counts", lambda boxes, w, h: (boxes[0][2] - 20, boxes[0][3] + 8)),
    ("just over the message banner", lambda boxes, w, h: (w / 2, boxes[-1][1] - 3)),
    ("at the right edge", lambda boxes, w, h: (w - 3, h / 2)),
    ("in the open", lambda boxes, w, h: (w / 2, h / 2)),
]


@pytest.mark.parametrize("size", [(640, 480), (1280, 720)])
@pytest.mark.parametrize("name, place", LABEL_PLACES, ids=[p[0] for p in LABEL_PLACES])
def test_measure_labels_keep_clear_of_the_panels(name, place, size):
    state = _knee_hug_state(size)
    w, h = size
    boxes = _panel_boxes(state, size)
    assert len(boxes) == 3  # counts, hold timer, message
    hip = place(boxes, w, h)
    pose = state.pose
    xy = pose.xy + (np.array(hip) - pose.xy[Landmark.LEFT_HIP])
    state = replace(state, pose=replace(pose, xy=xy))
    img = np.zeros((h, w, 3), np.uint8)
    (label,) = draw_measures(img, state, load_spec("knee_to_chest"), OverlayStyle(1.4), boxes)
    assert label[0] >= 0 and label[1] >= 0 and label[2] <= w and label[3] <= h
    for box in boxes:
        cover_w = min(label[2], box[2]) - max(label[0], box[0])
        cover_h = min(label[3], box[3]) - max(label[1], box[1])
        assert cover_w <= 0 or cover_h <= 0, (label, box)


@pytest.mark.parametrize("size", [(640, 480), (1280, 720)])
def test_an_angle_label_ends_in_a_degree_sign_inside_its_box(size):
    state = _knee_hug_state(size)  # knee to chest shows the knee hug, an angle
    img = np.zeros((size[1], size[0], 3), np.uint8)
    (box,) = draw_measures(img, state, load_spec("knee_to_chest"), OverlayStyle(1.4))
    x0, y0, x1, y1 = box
    rows, cols = np.nonzero(img.any(axis=2))
    assert cols.max() <= x1 + 1  # the sign is within the label's box (kept clear of panels)
    # the sign: a ring at the top of the text, after the number
    last = cols >= x1 - 0.1 * (x1 - x0)
    assert last.any() and rows[last].max() < y0 + 0.6 * (y1 - y0)


@pytest.mark.parametrize(
    "size",
    [(640, 480), (1280, 720), (480, 640), (202, 360), (1080, 1920)],  # landscape, upright
)
def test_the_panels_fit_side_by_side_in_the_picture(size):
    """The counts (with a short hold and the clock) and the hold ring fit across, also in
    a picture taller than wide (a phone held upright)."""
    state = replace(_knee_hug_state(), short_holds=2, timestamp_s=1234.5)
    img = np.zeros((size[1], size[0], 3), np.uint8)
    counts, ring = draw_status(img, state, load_spec("knee_to_chest"), OverlayStyle(clock=True))
    assert counts[2] <= ring[0] + 1 and ring[2] <= size[0], (counts, ring)


@pytest.mark.parametrize(
    "name, value, kind, signed, text",
    [
        ("hips", 131.6, "angle", False, "hips 132"),
        ("tilt", -0.3, "elevation", True, "tilt +0"),  # never "-0"
        ("tilt", -2.6, "elevation", True, "tilt -3"),
        ("gap", -0.001, "distance", False, "gap 0.00"),
    ],
)
def test_measure_label_text(name, value, kind, signed, text):
    assert _fmt(name, value, kind, signed) == text


@pytest.mark.parametrize(
    "elapsed, target, big, small",
    [
        (0.0, 10, "10", "0/10 s"),
        (4.6, 10, "6", "4/10 s"),  # 4 done + 6 to go: the two add up to the target
        (9.2, 10, "1", "9/10 s"),
        (10.0, 10, "done", "10/10 s"),
        (12.4, 10, "done", "12/10 s"),
        (3.7, None, "3", "seconds"),  # no target: a stopwatch
    ],
)
def test_hold_ring_text(elapsed, target, big, small):
    assert ring_text(elapsed, target) == (big, small)


def _cue(start, end, message="Lift your hips higher"):
    return {"id": "x", "message": message, "start_s": start, "end_s": end}


MERGE_CASES = [
    # name, cue spans, lines printed
    ("one cue", [_cue(1, 2)], [(1, 2, "Lift your hips higher")]),
    (
        "a partial rep's reason and the cue shown while rising: one line",
        [_cue(6.7, 8.5), _cue(6.9, 8.7)],
        [(6.7, 8.7, "Lift your hips higher")],
    ),
    (
        "the same cue again later: two lines",
        [_cue(1, 2), _cue(5, 6)],
        [(1, 2, "Lift your hips higher"), (5, 6, "Lift your hips higher")],
    ),
    (
        "other messages at the same time stay",
        [_cue(1, 3), _cue(2, 4, "Keep your feet flat")],
        [(1, 3, "Lift your hips higher"), (2, 4, "Keep your feet flat")],
    ),
    ("still showing at the end", [_cue(1, None), _cue(2, 3)], [(1, None, "Lift your hips higher")]),
]


@pytest.mark.parametrize("name, cues, lines", MERGE_CASES, ids=[c[0] for c in MERGE_CASES])
def test_report_lists_overlapping_spans_of_a_cue_once(name, cues, lines):
    assert [(c["start_s"], c["end_s"], c["message"]) for c in merged_cues(cues)] == lines


@pytest.mark.parametrize(
    "part, whole, text",
    [
        (418, 418, "100%"),
        (417, 418, "99.8%"),  # not "100%": a frame had nobody
        (9999, 10000, "99.9%"),
        (300, 418, "72%"),
        (1, 10000, "0.1%"),  # not "0%": somebody was seen
        (0, 418, "0%"),
        (0, 0, "0%"),
    ],
)
def test_share_of_frames_with_a_person(part, whole, text):
    assert share(part, whole) == text


def test_report_file_is_readable_like_any_written_file(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_report({"schema": 1}, tmp_path / "r.json")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
    assert json.loads(path.read_text()) == {"schema": 1}


def _readings(kinds: str, fps: float = 10.0) -> list[PoseFrame]:
    """One reading a frame: ``g`` a good one (lying, knees bent), ``w`` a wrong one (the
    legs read as a person upright), ``.`` nobody found."""
    good, wrong = supine(), supine(hip_deg=60.0, knee_deg=170.0, hip_lift_px=120.0)
    out = []
    for i, k in enumerate(kinds):
        t = i / fps
        base = {"g": good, "w": wrong}.get(k)
        out.append(
            PoseFrame.empty(t, good.image_size) if base is None else replace(base, timestamp_s=t)
        )
    return out


@pytest.mark.parametrize(
    "name, forward, backward, joined, taken_until",
    [
        (
            "both agree throughout: forward stands",
            "gggggggggggggg",
            "gggggggggggggg",
            "gggggggggggggg",
            None,
        ),
        (
            "forward misreads the start: backward taken up to the agreement",
            "wwwwgggggggggggg",
            "gggggggggggggggg",
            "gggggggggggggggg",
            0.4,
        ),
        (
            "backward misreads its own start (the opening's end): forward kept there",
            "wwgggggggggggggg",
            "gggggggggggggwww",
            "gggggggggggggggg",
            0.2,
        ),
        (
            "they never agree for 1 s: forward stands",
            "wwwwwgggggwwwww",
            "gggggwwwwwggggg",
            "wwwwwgggggwwwww",
            None,
        ),
        (
            "backward finds nobody where forward misreads: forward kept there",
            "wwwggggggggggggg",
            ".ggggggggggggggg",
            "wggggggggggggggg",
            0.3,
        ),
        (
            "a forward gap before the agreement is filled",
            "..gggggggggggg",
            "gggggggggggggg",
            "gggggggggggggg",
            0.2,
        ),
    ],
)
def test_opening_read_backwards_is_joined_where_the_readings_agree(
    name, forward, backward, joined, taken_until
):
    poses, until = join_opening(_readings(forward), _readings(backward), LookBack(agree_for_s=1.0))
    kinds = _readings(joined)
    assert len(poses) == len(kinds), name
    for got, want in zip(poses, kinds):
        assert got.present == want.present, name
        if want.present:
            assert np.allclose(got.xy, want.xy), name
    assert until == (None if taken_until is None else pytest.approx(taken_until)), name


def _frames_in(path) -> int:
    cap, n = cv2.VideoCapture(str(path)), 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


@pytest.mark.parametrize(
    "times, shown",
    [
        ([0.0, 0.1, 0.2, 0.3], [0, 1, 2, 3]),  # a steady rate: frame for frame
        ([0.0, 0.1, 0.34, 0.5], [0, 1, 1, 2, 2, 3]),  # a frame shown longer stays on
        ([0.0, 0.1, 0.12, 0.3], [0, 1, 2, 3]),  # one in a filled slot waits for the next
        ([5.0, 5.1, 5.2], [0, 1, 2]),  # times counted from the first frame
        ([0.0, 0.1, 100.0, 100.1], [0, 1, 2, 3]),  # a jump in the clock is not filled
    ],
)
def test_the_annotated_video_keeps_in_step_with_the_frames_times(tmp_path, times, shown):
    path = tmp_path / "out.mp4"
    with VideoSink(path, fps=10.0, size=(64, 48)) as sink:
        for i, t in enumerate(times):
            sink.write(np.full((48, 64, 3), 40 * i, np.uint8), t)
    cap = cv2.VideoCapture(str(path))
    seen = []
    while (got := cap.read())[0]:
        seen.append(round(float(got[1].mean()) / 40))
    assert seen == shown


def test_two_runs_writing_one_video_name_leave_a_whole_video(tmp_path):
    out = tmp_path / "clip_annotated.mp4"
    first, second = VideoSink(out, 30.0, (160, 120)), VideoSink(out, 30.0, (160, 120))
    for i in range(40):  # both at once, as two analyses of one clip in one folder
        first.write(np.full((120, 160, 3), 3 * i, np.uint8))
        if i % 2:
            second.write(np.full((120, 160, 3), 250 - 3 * i, np.uint8))
        assert not out.exists()  # nothing there until a video is whole
    first.close()
    assert _frames_in(out) == 40
    second.close()
    assert _frames_in(out) == 20
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no part files left
    assert out.stat().st_mode & 0o777 == 0o666 & ~_umask()  # readable as any file written


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _msg(start, end, text="Step into the picture: nobody is in view"):
    return {"id": "no_person", "message": text, "start_s": start, "end_s": end}


@pytest.mark.parametrize(
    "passed_at, messages, listed",
    [
        (0.3, [_msg(5.0, 9.0)], [(5.0, 9.0)]),  # nobody in view mid-session
        (0.3, [_msg(0.0, 0.3), _msg(5.0, 9.0)], [(5.0, 9.0)]),  # not the setup itself
        (0.3, [_msg(5.0, 5.5)], []),  # a moment is not worth a line
        (0.3, [_msg(14.0, None)], [(14.0, None)]),  # gone at the end (16 s)
        (None, [_msg(0.0, 16.0)], []),  # never counted: said otherwise
    ],
)
def test_the_summary_lists_where_counting_paused(passed_at, messages, listed):
    report = {"setup": {"passed_at_s": passed_at}, "setup_messages": messages, "duration_s": 16}
    assert [(g["start_s"], g["end_s"]) for g in _gaps_while_counting(report)] == listed


@pytest.mark.parametrize(
    "points, mirrored, see_through",
    [
        ({"ankle": (100, 50)}, False, True),  # a foot raised into the corner
        ({"ankle": (100, 250)}, False, False),  # well below it
        ({"ankle": (540, 50)}, True, True),  # the other corner, drawn mirrored
        ({}, False, False),  # nobody
    ],
)
def test_a_panel_over_the_person_lets_them_show_through(points, mirrored, see_through):
    pose = pose_from_points(points) if points else PoseFrame.empty(0.0, (640, 480))
    alpha = _panel_alpha(pose, OverlayStyle(mirrored=mirrored), (0, 0, 200, 60))
    assert (alpha == PANEL_OVER_PERSON_ALPHA) is see_through


@pytest.mark.parametrize(
    "start, end",
    [(None, None), (0.5, None), (None, 0.5), (0.3, 0.7), (0.95, None)],
)
def test_a_part_of_a_video_is_the_same_frames_as_read_whole(tmp_path, start, end):
    path = write_video(tmp_path / "v.mp4", seconds=1.0, fps=30.0)  # each frame its own grey
    whole = [(f.timestamp_s, f.image.mean()) for f in VideoFileSource(path)]
    want = [
        (t, m)
        for t, m in whole
        if (start is None or t >= start - 1e-6) and (end is None or t <= end + 1e-6)
    ]
    src = VideoFileSource(path, start_s=start, end_s=end)
    part = [(f.timestamp_s, f.image.mean()) for f in src]
    assert [t for t, _ in part] == pytest.approx([t for t, _ in want])
    assert [m for _, m in part] == pytest.approx([m for _, m in want], abs=1.0)
    assert src.frames_to_read == pytest.approx(len(want), abs=1)
    assert part and not src.ended_early(part[-1][0])


@pytest.mark.parametrize(
    "seconds, shown",
    [(0.0, "0:00.0"), (95.25, "1:35.2"), (59.96, "1:00.0"), (3725.0, "1:02:05.0")],
)
def test_times_shown_as_a_player_shows_them(seconds, shown):
    assert _clock(seconds) == shown


# A run killed outright (kill -9, a power cut) leaves its hidden part file; the next run
# writing that name removes it once it has sat untouched for an hour. A part being
# written now (another run), or one of another name, stays.
@pytest.mark.parametrize(
    "name, age_s, removed",
    [
        (".clip_annotated.k3j_x9ab.part.mp4", 2 * 3600, True),  # left by a killed run
        (".clip_annotated.a8b2c4de.part.mp4", 5, False),  # another run writing it now
        (".other_annotated.k3j_x9.part.mp4", 2 * 3600, False),  # another video's
        (".clip_annotated.v2.k3j_x9ab.part.mp4", 2 * 3600, False),  # clip_annotated.v2.mp4's
        ("clip_annotated.k3j_x9.part.mp4", 2 * 3600, False),  # not a hidden part file
    ],
)
def test_a_part_file_left_by_a_killed_run_is_removed_by_the_next(tmp_path, name, age_s, removed):
    left = tmp_path / name
    left.write_bytes(b"half a video")
    old = time.time() - age_s
    os.utime(left, (old, old))
    sink = VideoSink(tmp_path / "clip_annotated.mp4", 30.0, (160, 120))
    sink.close(keep=False)
    assert left.exists() is not removed


def _hold(met):
    return {"met": met}


@pytest.mark.parametrize(
    "kind, reps, holds, target, line",
    [
        ("reps", {"total": 8, "left": None, "right": None}, [], None, "Reps: 8"),
        ("reps", {"total": 3, "left": None, "right": None, "not_counted": 2}, [], None,
         "Reps: 3, 2 not counted"),
        ("reps", {"total": 3, "left": 2, "right": 1}, [], None, "Reps: 3 (left 2, right 1)"),
        ("holds", {"total": 3, "left": 2, "right": 1}, [_hold(True), _hold(False), _hold(True)], 30.0,
         "Holds: left 2, right 1 (2 reached the 30 s target)"),
        ("holds", {"total": 1, "left": None, "right": None}, [_hold(True)], 10.0,
         "Holds: 1 (1 reached the 10 s target)"),
        ("holds", {"total": 0, "left": None, "right": None}, [], 10.0, "Holds: 0"),
    ],
)  # fmt: skip
def test_what_was_counted_in_a_line(kind, reps, holds, target, line):
    report = {"count_kind": kind, "reps": reps, "holds": holds, "targets": {"hold_s": target}}
    report["partial_reps"] = [{}] * reps.pop("not_counted", 0)
    assert count_line(report) == line
