"""The pose stage: the default model is derived from the wheel; an empty picture gives the
explicit "no person" value; only this module imports mediapipe."""

import ast
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecheck.frame import PoseFrame
from posecheck.landmarks import NUM_LANDMARKS, Landmark
from posecheck.pose import (
    _TURNS,
    PoseEstimator,
    PoseOptions,
    _turn_back,
    check_model_file,
    default_model_path,
    grain,
)
from posecheck.source import VideoFileSource

PACKAGE = Path(__file__).resolve().parent.parent / "posecheck"
SAMPLES = PACKAGE.parent / "sample_videos"


def test_default_model_is_an_uncompressed_task_bundle_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("POSECHECK_CACHE", str(tmp_path))
    path = default_model_path()
    assert path.parent == tmp_path and path.suffix == ".task"
    with zipfile.ZipFile(path) as zf:
        infos = {i.filename: i for i in zf.infolist()}
    assert set(infos) == {"pose_detector.tflite", "pose_landmarks_detector.tflite"}
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos.values())
    assert default_model_path() == path  # cached: built once
    assert check_model_file(path) == path


def test_empty_picture_gives_no_person():
    with PoseEstimator() as estimator:
        pose = estimator.detect(np.zeros((240, 320, 3), np.uint8), 0.0)
    assert not pose.present and pose.image_size == (320, 240)
    assert np.isnan(pose.xy).all() and (pose.visibility == 0).all()


def test_timestamps_may_repeat_without_crashing_video_mode():
    blank = np.zeros((120, 160, 3), np.uint8)
    with PoseEstimator() as estimator:
        for t in (0.0, 0.0, 0.0004, 0.01):  # the model itself: detect() shares such readings
            assert not estimator._read(blank, t).present


@pytest.mark.parametrize(
    "fps, read_per_second",
    [
        (15.0, 15),  # every frame
        (29.97, 30),
        (30.0, 30),
        (50.0, 25),  # every other frame
        (60.0, 30),
        (120.0, 30),  # every fourth
    ],
)
def test_the_model_reads_at_most_30_frames_a_second(fps, read_per_second, monkeypatch):
    estimator = PoseEstimator()
    read = []

    def fake_read(image, t):
        read.append(t)
        return PoseFrame.empty(t, (160, 120))

    monkeypatch.setattr(estimator, "_read", fake_read)
    blank = np.zeros((120, 160, 3), np.uint8)
    poses = [estimator.detect(blank, i / fps) for i in range(round(2 * fps))]
    assert len(read) == pytest.approx(2 * read_per_second, abs=1)
    assert [p.timestamp_s for p in poses] == [i / fps for i in range(round(2 * fps))]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_only_pose_module_imports_mediapipe(path):
    if path.name == "pose.py" and path.parent == PACKAGE:
        assert "mediapipe" in _imports(path)
    else:
        assert "mediapipe" not in _imports(path)


# A pixel marked in a frame, found again after OpenCV turns the frame a quarter: mapping
# its turned position back must give the mark, and a step right/down turns with it.
@pytest.mark.parametrize("turn", ["none", "cw", "ccw"])
@pytest.mark.parametrize("mark", [(10, 5), (150, 100), (0, 119)])
def test_turn_back_maps_a_turned_frame_to_the_frame_as_it_came(turn, mark):
    w, h = 160, 120
    image = np.zeros((h, w), np.uint8)
    image[mark[1], mark[0]] = 255
    image[mark[1], min(mark[0] + 1, w - 1)] = 128  # one step right
    turned = image if _TURNS[turn] is None else cv2.rotate(image, _TURNS[turn])
    th, tw = turned.shape
    (y0,), (x0,) = np.nonzero(turned == 255)
    (y1,), (x1,) = np.nonzero(turned == 128) if mark[0] < w - 1 else ((y0,), (x0,))
    # Pixel centres in the turned frame's normalised coordinates.
    norm = np.array([[(x0 + 0.5) / tw, (y0 + 0.5) / th]])
    step = np.array([[x1 - x0, y1 - y0, 0.25]], float)
    back, world = _turn_back(norm, step, turn)
    assert back[0] * (w, h) - 0.5 == pytest.approx(mark, abs=1e-6)
    expected_step = (1.0, 0.0) if mark[0] < w - 1 else (0.0, 0.0)
    assert tuple(world[0]) == pytest.approx((*expected_step, 0.25))


def test_a_turned_reading_lands_where_the_upright_one_does():
    """Forced to switch turns at once, the estimator still puts the joints in place."""
    frame = next(iter(VideoFileSource(SAMPLES / "bridge.mp4"))).image
    h, w = frame.shape[:2]
    with PoseEstimator(options=PoseOptions(probe_every_s=0)) as estimator:
        upright = estimator.detect(frame, 0.0)
    forced = PoseOptions(probe_margin=-1.0, probe_wins=1)  # any other turn wins at once
    with PoseEstimator(options=forced) as estimator:
        turned = estimator.detect(frame, 0.0)
        assert estimator.turn != "none"
    assert upright.present and turned.present
    body = [lm for lm in Landmark if lm.name.endswith(("SHOULDER", "HIP", "KNEE", "ANKLE"))]
    gap = np.linalg.norm(turned.xy[body] - upright.xy[body], axis=1)
    assert np.median(gap) < 0.03 * max(w, h), gap


def _picture(noise_sd: float, edges: bool = False, seed: int = 0) -> np.ndarray:
    """A grey picture (with large dark squares when ``edges``), plus grain."""
    image = np.full((240, 320), 120.0)
    if edges:
        image[(np.arange(240)[:, None] // 40 + np.arange(320)[None, :] // 40) % 2 == 1] = 40
    image += np.random.default_rng(seed).normal(0, noise_sd, image.shape)
    return np.repeat(np.clip(image, 0, 255).astype(np.uint8)[..., None], 3, axis=2)


@pytest.mark.parametrize(
    "noise_sd, edges, low, high",
    [
        (0.0, False, 0.0, 0.01),  # a flat picture
        (0.0, True, 0.0, 0.01),  # sharp edges are not grain
        (1.0, True, 0.5, 1.5),  # a clean camera (all our clips: at most 1.3)
        (5.0, False, 4.0, 6.0),  # a dim room's grain: about its standard deviation
        (5.0, True, 4.0, 6.0),
    ],
)
def test_grain_is_told_from_edges(noise_sd, edges, low, high):
    assert low <= grain(_picture(noise_sd, edges)) <= high


@pytest.mark.parametrize(
    "noise_sd, denoise_above, filtered",
    [(0.0, 2.5, False), (1.0, 2.5, False), (6.0, 2.5, True), (6.0, 0.0, False)],
)
def test_grainy_frames_are_filtered_before_the_model_reads_them(
    noise_sd, denoise_above, filtered, monkeypatch
):
    import posecheck.pose as pose_module

    calls = []
    blur = pose_module.cv2.medianBlur
    monkeypatch.setattr(pose_module.cv2, "medianBlur", lambda im, k: calls.append(k) or blur(im, k))
    options = PoseOptions(denoise_above=denoise_above)
    with PoseEstimator(options=options) as estimator:
        for i in range(3):
            estimator.detect(_picture(noise_sd, seed=i), i / 30)
    assert calls == ([options.denoise_kernel] * 3 if filtered else [])


def test_the_pose_cache_key_names_the_filter_only_for_grainy_video():
    options = PoseOptions()
    assert "denoise" not in options.key(grainy=False)  # as before the filter: caches stay
    assert "denoise_above=2.5, denoise_kernel=5" in options.key(grainy=True)
    assert options.key(grainy=True) == repr(options)


# A pose turned with its picture (a video lying on its side, turned upright by --rotate):
# a marked pixel turned by OpenCV is where the turned pose puts it, and a step right in
# the world turns with it; two turns that make a full one give the pose back.
@pytest.mark.parametrize(
    "degrees, code, world_step",
    [
        (90, cv2.ROTATE_90_CLOCKWISE, (0.0, 1.0, 0.25)),  # right becomes down
        (180, cv2.ROTATE_180, (-1.0, 0.0, 0.25)),
        (270, cv2.ROTATE_90_COUNTERCLOCKWISE, (0.0, -1.0, 0.25)),
    ],
)
@pytest.mark.parametrize("mark", [(10, 5), (150, 100), (0, 119)])
def test_a_turned_pose_lands_where_opencv_turns_the_picture(degrees, code, world_step, mark):
    w, h = 160, 120
    image = np.zeros((h, w), np.uint8)
    image[mark[1], mark[0]] = 255
    turned = cv2.rotate(image, code)
    (row,), (col,) = np.nonzero(turned == 255)
    pose = PoseFrame(
        timestamp_s=0.0,
        image_size=(w, h),
        xy=np.tile(np.array(mark, float) + 0.5, (NUM_LANDMARKS, 1)),  # pixel centres
        world=np.tile([1.0, 0.0, 0.25], (NUM_LANDMARKS, 1)),
        visibility=np.ones(NUM_LANDMARKS),
    )
    out = pose.turned(degrees)
    assert out.image_size == (turned.shape[1], turned.shape[0])
    assert tuple(out.xy[0]) == pytest.approx((col + 0.5, row + 0.5))
    assert tuple(out.world[0]) == pytest.approx(world_step)
    back = out.turned((360 - degrees) % 360)
    assert back.image_size == (w, h)
    assert np.allclose(back.xy, pose.xy) and np.allclose(back.world, pose.world)


@pytest.mark.parametrize("degrees", [45, -90, 360])
def test_a_pose_turns_by_quarters_only(degrees):
    with pytest.raises(ValueError, match="0, 90, 180 or 270"):
        PoseFrame.empty(0.0, (160, 120)).turned(degrees)
