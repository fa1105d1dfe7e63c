"""Pose estimation: the only module that imports mediapipe.

The default model is assembled, on first use, from the two TFLite files that the
mediapipe 0.10.21 wheel ships (``pose_detection.tflite`` and ``pose_landmark_full.tflite``):
both get image-input metadata from mediapipe's own metadata writer and go into an
uncompressed zip, which is the Tasks API's ``.task`` bundle format. The bundle is cached
(``$POSECHECK_CACHE`` or ``~/.cache/posecheck``), so nothing is downloaded, ever. An official
``pose_landmarker_{lite,full,heavy}.task`` can be passed instead with ``--model``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
import zipfile
from dataclasses import dataclass, fields, replace
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from posecheck.frame import PoseFrame, turn_points
from posecheck.landmarks import NUM_LANDMARKS

_DETECTOR = "pose_detector.tflite"
_LANDMARKER = "pose_landmarks_detector.tflite"
# Input normalisation of the two shipped models: the detector takes [-1, 1], the
# landmark model [0, 1].
_DETECTOR_NORM = (127.5, 127.5)
_LANDMARKER_NORM = (0.0, 255.0)


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence what MediaPipe's C++ core prints to fd 2 while it starts (GPU/EGL probes,
    XNNPACK and feedback-tensor notes, and a one-off note on a landmarker's first landmark
    pass): noise to a user, and no Python switch turns it off. Used only until then, so that
    what MediaPipe says later still shows."""
    if os.environ.get("POSECHECK_DEBUG"):
        yield
        return
    try:
        if sys.stderr is not None:  # None when the process was started with fd 2 closed
            sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def cache_dir() -> Path:
    """Where posecheck keeps what it derives (the default model bundle)."""
    env = os.environ.get("POSECHECK_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "posecheck"


def _shipped_models() -> tuple[Path, Path]:
    import mediapipe as mp

    root = Path(mp.__file__).parent / "modules"
    detector = root / "pose_detection" / "pose_detection.tflite"
    landmarker = root / "pose_landmark" / "pose_landmark_full.tflite"
    for path in (detector, landmarker):
        if not path.is_file():
            raise FileNotFoundError(
                f"the installed mediapipe ({mp.__version__}) does not ship {path.name}; "
                "install mediapipe==0.10.21 (pip install -e .) or pass --model "
                "pose_landmarker_full.task"
            )
    return detector, landmarker


def _with_image_metadata(path: Path, norm: tuple[float, float], name: str) -> bytes:
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    writer = metadata_writer.MetadataWriter.create(bytearray(path.read_bytes()))
    writer.add_general_info(name, f"{path.name} from the mediapipe wheel, for posecheck")
    writer.add_image_input(norm_mean=[norm[0]], norm_std=[norm[1]])
    model, _ = writer.populate()
    return bytes(model)


def default_model_path() -> Path:
    """Return the default ``.task`` bundle, building and caching it on first use."""
    from mediapipe.tasks.python.metadata.metadata_writers import model_asset_bundle_utils

    detector, landmarker = _shipped_models()
    digest = hashlib.sha256()
    for path in (detector, landmarker):
        digest.update(path.read_bytes())
    target = cache_dir() / f"pose_landmarker_full_{digest.hexdigest()[:12]}.task"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    models = {
        _DETECTOR: _with_image_metadata(detector, _DETECTOR_NORM, "pose_detector"),
        _LANDMARKER: _with_image_metadata(landmarker, _LANDMARKER_NORM, "pose_landmarks_detector"),
    }
    # Write beside the target, then rename: two processes building at once both succeed.
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".task.tmp")
    os.close(fd)
    try:
        model_asset_bundle_utils.create_model_asset_bundle(models, tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def check_model_file(path: str | os.PathLike) -> Path:
    """Check that ``path`` looks like a pose landmarker ``.task`` bundle.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a pose landmarker bundle.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except zipfile.BadZipFile:
        raise ValueError(
            f"{path} is not a pose landmarker model bundle (.task); use an official "
            "pose_landmarker_lite/full/heavy.task or leave out --model"
        ) from None
    missing = {_DETECTOR, _LANDMARKER} - names
    if missing:
        raise ValueError(
            f"{path} is a .task bundle but not a pose landmarker one "
            f"(lacks {', '.join(sorted(missing))})"
        )
    return path


# The pose model reads at most this many frames a second; a frame sooner than 0.8 of a
# reading's interval after the last one read gets that reading again, at its own time.
# A 60 fps phone video is read at 30, the rate the specs were tuned at, with half the
# work (an 18 s sample at 60 fps: 36 s to analyse before, 23 s after).
READ_RATE_FPS = 30.0
_SHARED_WITHIN_S = 0.8 / READ_RATE_FPS


def reads_every_frame(fps: float) -> bool:
    """Whether each frame of a video at ``fps`` gets a reading of its own."""
    return fps <= 0 or 1.0 / fps >= _SHARED_WITHIN_S


# How often a video's grain is measured (seconds of video).
GRAIN_EVERY_S = 1.0


@dataclass(frozen=True)
class PoseOptions:
    """Settings of the estimator (MediaPipe's confidence thresholds, in [0, 1]).

    Detection and presence are below MediaPipe's 0.5: a person lying or folded on the floor
    (child's pose, a bridge seen from the feet end) scores low; at 0.3 the synthetic suite
    found such poses in 99-100% of frames instead of 66-95%, and still nobody in an empty
    room. Counting does not trust a pose for that: the setup check and the landmarks'
    visibility still gate it.
    """

    min_detection_confidence: float = 0.3
    min_presence_confidence: float = 0.3
    min_tracking_confidence: float = 0.5
    # Turning the frame: the person detector was trained on upright people and can take a
    # lying body's drawn-up legs for a person (then the tracker keeps that reading for
    # seconds). Every ``probe_every_s`` the frame is also read turned a quarter either way;
    # a turn whose reading is surer (mean landmark visibility) by ``probe_margin`` on
    # ``probe_wins`` probes in a row becomes the one tracked. Probes are that frequent for
    # ``probe_search_s`` after the tracker starts or loses the person (when misreads
    # start), then every ``probe_settled_s``. probe_every_s 0 turns probing off.
    probe_every_s: float = 0.5
    probe_search_s: float = 5.0
    probe_settled_s: float = 2.0
    probe_margin: float = 0.08
    probe_wins: int = 2
    # Grain (a webcam in a dim room): the model then loses a person lying on the floor, or
    # reads a small movement as jitter. When a frame's grain (see :func:`grain`, measured
    # once a second) is above ``denoise_above``, frames are median-filtered over
    # ``denoise_kernel`` pixels before the model reads them. Every clip of our suites,
    # footage and samples measures at most 1.3 on every second; the grainy clips we made
    # measure 3.7-9.9. 0 turns it off.
    denoise_above: float = 2.5
    denoise_kernel: int = 5

    def key(self, grainy: bool) -> str:
        """These settings as a cache key: the denoising ones only for a grainy video (a
        video read the same either way keeps the key it had before they existed)."""
        skip = () if grainy else ("denoise_above", "denoise_kernel")
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.name not in skip
        )
        return f"{type(self).__qualname__}({shown})"


# The fine-detail kernel of Immerkaer's noise estimate: flat areas and straight edges
# give 0, pixel-to-pixel grain does not.
_GRAIN_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


def grain(image_bgr: np.ndarray) -> float:
    """How grainy a frame is: a robust standard deviation of its finest detail, in grey
    levels (the median, so that edges and texture hardly count)."""
    grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    detail = cv2.filter2D(grey, -1, _GRAIN_KERNEL)[1:-1, 1:-1]
    return float(np.median(np.abs(detail))) * 1.4826 / 6.0


# Quarter turns of the frame: OpenCV's rotate code, and how a point given in the turned
# frame's normalised coordinates (and a world vector in its camera axes) maps back.
_TURNS = {
    "none": None,
    "cw": cv2.ROTATE_90_CLOCKWISE,
    "ccw": cv2.ROTATE_90_COUNTERCLOCKWISE,
}


_TURNED_BACK = {"cw": 270, "ccw": 90}  # the turn that undoes each


def _turn_back(norm_xy: np.ndarray, world: np.ndarray, turn: str) -> tuple[np.ndarray, np.ndarray]:
    """Map landmarks read in a turned frame back to the frame as it came."""
    if turn == "none":
        return norm_xy, world
    _, xy, world = turn_points(norm_xy, world, (1, 1), _TURNED_BACK[turn])
    return xy, world


def _sureness(result) -> float:
    """How sure a reading is: its mean landmark visibility, 0 with nobody found."""
    if not result.pose_landmarks:
        return 0.0
    return float(np.mean([p.visibility or 0.0 for p in result.pose_landmarks[0]]))


class PoseEstimator:
    """MediaPipe PoseLandmarker in video mode, giving :class:`PoseFrame` values.

    The frame is tracked as it comes, or turned a quarter when that reads the person
    better (see :class:`PoseOptions`): a body lying across the picture can be found more
    surely head-up.

    Use as a context manager::

        with PoseEstimator() as estimator:
            pose = estimator.detect(image_bgr, timestamp_s)

    Args:
        model_path: a ``pose_landmarker_*.task``; None for the default bundle.
        options: detection settings.
    """

    def __init__(
        self, model_path: str | os.PathLike | None = None, options: PoseOptions | None = None
    ):
        self.options = options or PoseOptions()
        if model_path is None:
            self.model_path = default_model_path()
            self.model_name = "pose_landmark_full (from the mediapipe wheel)"
        else:
            self.model_path = check_model_file(model_path)
            self.model_name = str(self.model_path)
        self._landmarker = None  # video mode: tracks the frame turned by self.turn
        self._prober = None  # image mode: reads the other turns now and then
        self.turn = "none"
        self._last_ms = -1
        self._next_probe_s = -np.inf
        self._search_until_s = np.inf  # probe often until then (set when a track starts)
        self._wins: dict[str, int] = {}
        self._read_person = {"video": False, "image": False}  # past its one-off note
        self._last_read: PoseFrame | None = None  # the last frame read (READ_RATE_FPS)
        self._grain = 0.0  # of the frames lately (see PoseOptions.denoise_above)
        self._grain_due_s = -np.inf

    def __enter__(self) -> PoseEstimator:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _create(self, video: bool):
        from mediapipe.tasks.python import BaseOptions, vision

        mode = vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE
        opts = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=mode,
            num_poses=1,
            min_pose_detection_confidence=self.options.min_detection_confidence,
            min_pose_presence_confidence=self.options.min_presence_confidence,
            min_tracking_confidence=self.options.min_tracking_confidence,
        )
        try:
            with _quiet_native_stderr():
                landmarker = vision.PoseLandmarker.create_from_options(opts)
                # The first inference prints its own start-up notes; run it here, quietly.
                blank = _image(np.zeros((64, 64, 3), np.uint8))
                if video:
                    landmarker.detect_for_video(blank, 0)
                else:
                    landmarker.detect(blank)
        except (RuntimeError, ValueError) as err:
            raise ValueError(f"cannot load pose model {self.model_path}: {err}") from None
        return landmarker

    def open(self) -> None:
        self._landmarker = self._create(video=True)
        self._read_person = {"video": False, "image": False}
        if self.options.probe_every_s > 0:
            self._prober = self._create(video=False)
        self._last_ms = 0
        self._last_read = None
        self._grain_due_s = -np.inf

    def close(self) -> None:
        for landmarker in (self._landmarker, self._prober):
            if landmarker is not None:
                landmarker.close()
        self._landmarker = self._prober = None

    def detect(self, image_bgr: np.ndarray, timestamp_s: float) -> PoseFrame:
        """Estimate the pose in one BGR frame; timestamps must not go backwards. Frames
        faster than READ_RATE_FPS share a reading."""
        last = self._last_read
        if last is not None and 0 <= timestamp_s - last.timestamp_s < _SHARED_WITHIN_S:
            return replace(last, timestamp_s=timestamp_s)
        pose = self._read(image_bgr, timestamp_s)
        self._last_read = pose
        return pose

    def _read(self, image_bgr: np.ndarray, timestamp_s: float) -> PoseFrame:
        if self._landmarker is None:
            self.open()
        h, w = image_bgr.shape[:2]
        opts = self.options
        if opts.denoise_above > 0:
            if timestamp_s >= self._grain_due_s:
                self._grain, self._grain_due_s = grain(image_bgr), timestamp_s + GRAIN_EVERY_S
            if self._grain > opts.denoise_above:
                image_bgr = cv2.medianBlur(image_bgr, opts.denoise_kernel)
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        turned = {"none": rgb}

        def frame(turn: str):
            if turn not in turned:
                turned[turn] = cv2.rotate(rgb, _TURNS[turn])
            return _image(turned[turn])

        result = self._track(frame(self.turn), timestamp_s)
        if not result.pose_landmarks or self._search_until_s == np.inf:
            self._search_until_s = timestamp_s + opts.probe_search_s
        if self._prober is not None and timestamp_s >= self._next_probe_s:
            searching = timestamp_s < self._search_until_s
            every = (
                opts.probe_every_s if searching else max(opts.probe_settled_s, opts.probe_every_s)
            )
            self._next_probe_s = timestamp_s + every
            better = self._probe(frame, _sureness(result))
            if better is not None:
                self.turn, result = better
                # The tracker restarts on the new turn (its old track is of other frames).
                self._landmarker.close()
                self._landmarker = self._create(video=True)
                self._read_person["video"] = False
                self._last_ms = 0
                self._track(frame(self.turn), timestamp_s)
                self._search_until_s = timestamp_s + opts.probe_search_s
        if not result.pose_landmarks:
            return PoseFrame.empty(timestamp_s, (w, h))
        lms = result.pose_landmarks[0]
        norm_xy = np.array([(p.x, p.y) for p in lms], dtype=float)
        vis = np.array([p.visibility if p.visibility is not None else 1.0 for p in lms])
        if result.pose_world_landmarks:
            world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[0]], dtype=float)
        else:
            world = np.full((NUM_LANDMARKS, 3), np.nan)
        norm_xy, world = _turn_back(norm_xy, world, self.turn)
        return PoseFrame(
            timestamp_s=timestamp_s,
            image_size=(w, h),
            xy=norm_xy * (w, h),
            world=world,
            visibility=np.clip(vis, 0.0, 1.0),
        )

    def _track(self, image, timestamp_s: float):
        # Video mode needs strictly increasing integer milliseconds.
        ms = max(int(round(timestamp_s * 1000.0)), self._last_ms + 1)
        self._last_ms = ms
        return self._quietly_at_first(
            "video", partial(self._landmarker.detect_for_video, image, ms)
        )

    def _quietly_at_first(self, mode: str, infer):
        """One inference, with fd 2 silenced until this mode's landmarker has read a person."""
        if self._read_person[mode]:
            return infer()
        with _quiet_native_stderr():
            result = infer()
        self._read_person[mode] = bool(result.pose_landmarks)
        return result

    def _probe(self, frame, tracked: float):
        """Read the other turns; return (turn, reading) once one has won often enough."""
        best = None
        for turn in _TURNS:
            if turn == self.turn:
                continue
            reading = self._quietly_at_first("image", partial(self._prober.detect, frame(turn)))
            score = _sureness(reading)
            if score >= tracked + self.options.probe_margin and (best is None or score > best[0]):
                best = (score, turn, reading)
        for turn in _TURNS:
            won = best is not None and best[1] == turn
            self._wins[turn] = self._wins.get(turn, 0) + 1 if won else 0
        if best is not None and self._wins[best[1]] >= self.options.probe_wins:
            self._wins.clear()
            return best[1], best[2]
        return None


def _image(rgb: np.ndarray):
    import mediapipe as mp

    return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))


class Opening:
    """A recorded video's first ``seconds`` (from its first frame read), kept
    JPEG-compressed (6 s of 1080p take about 60 MB at 30 fps, 120 MB at 60), to be read
    again backwards by :func:`read_backwards`."""

    def __init__(self, seconds: float, quality: int = 95):
        self.seconds = seconds
        self.quality = quality
        self.frames: list[tuple[float, bytes]] = []

    def add(self, image_bgr: np.ndarray, timestamp_s: float) -> bool:
        """Keep the frame if it is in the opening; False once past it."""
        if self.frames and timestamp_s >= self.frames[0][0] + self.seconds:
            return False
        ok, jpeg = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise ValueError("cannot compress a video frame")
        self.frames.append((timestamp_s, jpeg.tobytes()))
        return True


def read_backwards(opening: Opening, like: PoseEstimator) -> list[PoseFrame]:
    """The opening's poses read last frame first, by a fresh estimator set up as ``like``
    (so it tracks from the end of the opening back to its start); in frame order."""
    estimator = PoseEstimator(like.model_path, like.options)
    poses: list[PoseFrame] = []
    with estimator:
        end = opening.frames[-1][0] if opening.frames else 0.0
        for t, jpeg in reversed(opening.frames):
            image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
            # Video mode needs rising timestamps: time runs back from the opening's end.
            pose = estimator.detect(image, end - t)
            poses.append(replace(pose, timestamp_s=t))
    poses.reverse()
    return poses
