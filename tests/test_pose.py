"""The pose stage: the default model is derived from the wheel; an empty picture gives the
explicit "no person" value; only this module imports mediapipe."""

import ast
import zipfile
from pathlib import Path

import numpy as np
import pytest

from posecheck.pose import PoseEstimator, check_model_file, default_model_path

PACKAGE = Path(__file__).resolve().parent.parent / "posecheck"


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
        for t in (0.0, 0.0, 0.0004, 0.01):
            assert not estimator.detect(blank, t).present


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
