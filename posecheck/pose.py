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
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posecheck.frame import PoseFrame
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
    XNNPACK and feedback-tensor notes): noise to a user, and no Python switch turns it off."""
    if os.environ.get("POSECHECK_DEBUG"):
        yield
        return
    try:
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


class PoseEstimator:
    """MediaPipe PoseLandmarker in video mode, giving :class:`PoseFrame` values.

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
        self._landmarker = None
        self._last_ms = -1
        self._seen_person = False

    def __enter__(self) -> PoseEstimator:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        opts = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=self.options.min_detection_confidence,
            min_pose_presence_confidence=self.options.min_presence_confidence,
            min_tracking_confidence=self.options.min_tracking_confidence,
        )
        try:
            with _quiet_native_stderr():
                self._landmarker = vision.PoseLandmarker.create_from_options(opts)
                # The first inference prints its own start-up notes; run it here, quietly.
                blank = np.zeros((64, 64, 3), np.uint8)
                self._landmarker.detect_for_video(
                    mp.Image(image_format=mp.ImageFormat.SRGB, data=blank), 0
                )
        except (RuntimeError, ValueError) as err:
            raise ValueError(f"cannot load pose model {self.model_path}: {err}") from None
        self._last_ms = 0

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def detect(self, image_bgr: np.ndarray, timestamp_s: float) -> PoseFrame:
        """Estimate the pose in one BGR frame; timestamps must not go backwards."""
        import mediapipe as mp

        if self._landmarker is None:
            self.open()
        h, w = image_bgr.shape[:2]
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        # Video mode needs strictly increasing integer milliseconds.
        ms = max(int(round(timestamp_s * 1000.0)), self._last_ms + 1)
        self._last_ms = ms
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        if self._seen_person:
            result = self._landmarker.detect_for_video(image, ms)
        else:
            # The first landmark pass prints a one-off note on fd 2; keep it quiet.
            with _quiet_native_stderr():
                result = self._landmarker.detect_for_video(image, ms)
        if not result.pose_landmarks:
            return PoseFrame.empty(timestamp_s, (w, h))
        self._seen_person = True
        lms = result.pose_landmarks[0]
        xy = np.array([(p.x * w, p.y * h) for p in lms], dtype=float)
        vis = np.array([p.visibility if p.visibility is not None else 1.0 for p in lms])
        if result.pose_world_landmarks:
            world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[0]], dtype=float)
        else:
            world = np.full((NUM_LANDMARKS, 3), np.nan)
        return PoseFrame(
            timestamp_s=timestamp_s,
            image_size=(w, h),
            xy=xy,
            world=world,
            visibility=np.clip(vis, 0.0, 1.0),
        )
