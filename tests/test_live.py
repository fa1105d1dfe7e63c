"""Live mode without a webcam: a sample clip played at its real pace as a camera."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest
from test_end_to_end import sideways_bridge

from posecheck.capture import RealTimePlayer
from posecheck.live import (
    add_arguments,
    display_problem,
    run_live,
    session_report,
    window_size,
)

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"


def live_args(**kw) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_arguments(p)
    argv = []
    for k, v in kw.items():
        flag = "--" + k.replace("_", "-")
        argv += [flag] if v is True else [flag, str(v)]
    return p.parse_args(argv)


def test_player_keeps_real_pace_and_drops_stale_frames():
    with RealTimePlayer(str(SAMPLES / "bridge.mp4")) as player:
        start = time.monotonic()
        first = player.take(timeout=2.0)
        time.sleep(0.5)  # a slow consumer: frames pile up, only the newest is kept
        newest = player.take(timeout=1.0)
        assert first is not None and newest is not None
        assert newest.index - first.index >= 10
        assert player.dropped >= 10
        # real pace: the frames' own time follows the wall clock, never ahead of it (a busy
        # machine may hold the player back, which is why only a loose floor is checked)
        played, wall = newest.timestamp_s - first.timestamp_s, time.monotonic() - start
        assert 0.25 <= played <= wall + 0.05


@pytest.mark.slow
def test_live_loop_headless_counts_like_the_truth(tmp_path):
    clip = SAMPLES / "knee_to_chest.mp4"
    truth = json.loads(clip.with_suffix(".json").read_text())
    report_path = tmp_path / "live.json"
    snapshot = tmp_path / "live.png"
    rc = run_live(
        live_args(
            exercise="knee_to_chest",
            camera=clip,
            headless=True,
            mute=True,
            report=report_path,
            snapshot=snapshot,
        )
    )
    assert rc == 0
    report = json.loads(report_path.read_text())
    assert (report["reps"]["left"], report["reps"]["right"]) == (
        truth["reps"]["left"],
        truth["reps"]["right"],
    )
    assert [h["side"] for h in report["holds"]] == [h["side"] for h in truth["holds"]]
    assert report["live_stats"]["frames_processed"] > 0.5 * report["live_stats"]["frames_delivered"]
    assert snapshot.stat().st_size > 10_000
    assert report["schema"] == 1 and "cues" in report and "setup" in report


@pytest.mark.slow
def test_a_camera_on_its_side_is_turned_upright_by_rotate(tmp_path):
    report_path = tmp_path / "live.json"
    rc = run_live(
        live_args(
            exercise="bridge",
            camera=sideways_bridge(tmp_path / "sideways.mp4"),
            rotate=-90,
            headless=True,
            mute=True,
            report=report_path,
        )
    )
    assert rc == 0
    report = json.loads(report_path.read_text())
    assert report["rotate"] == 270 and report["frame_size"] == [640, 480]
    assert report["reps"]["total"] == 2


@pytest.mark.parametrize(
    "routine, first",
    [
        (True, "cat_cow"),  # the article's eight, in its order
        ("Knee to chest,bridge", "knee_to_chest"),  # a physio's own list, as written
    ],
)
def test_a_routine_stopped_in_its_first_exercise_still_reports_as_a_routine(
    routine, first, tmp_path
):
    report_path = tmp_path / "routine.json"
    args = live_args(
        routine=routine, camera=SAMPLES / f"{first}.mp4", headless=True, mute=True,
        report=report_path, max_seconds=3,
    )  # fmt: skip
    assert run_live(args) == 0
    report = json.loads(report_path.read_text())
    assert [r["exercise"] for r in report["routine"]] == [first]
    assert report["live_stats"]["frames_processed"] > 0


def test_an_opencv_error_mid_session_keeps_the_report(tmp_path, monkeypatch, capsys):
    # e.g. the window lost to the desktop: the session stops with a clear line, and what
    # was done is in the report (it said "cannot open a window", and wrote no report)
    import posecheck.live as live

    drawn = []

    def annotate_then_fail(*args, **kw):
        drawn.append(1)
        if len(drawn) == 5:
            raise cv2.error("the window is gone")
        return real(*args, **kw)

    real = live.annotate
    monkeypatch.setattr(live, "annotate", annotate_then_fail)
    report_path = tmp_path / "live.json"
    args = live_args(
        exercise="bridge", camera=SAMPLES / "bridge.mp4", headless=True, mute=True,
        report=report_path, max_seconds=3,
    )  # fmt: skip
    assert live.main(args) == 1
    assert "the session stopped: the window is gone" in capsys.readouterr().err
    report = json.loads(report_path.read_text())
    assert report["partial"] is True and report["exercise"] == "bridge"


def test_latency_is_timed_on_processed_frames_only(tmp_path, monkeypatch):
    # a routine whose first exercise is done at once: the rest of the run is the rest
    # screen, whose frames are shown without the pose model and must not be timed
    import dataclasses

    import posecheck.live as live
    from posecheck.session import ExerciseSession, SessionEvent

    real = ExerciseSession.update

    def done_at_once(self, pose):
        state = real(self, pose)
        done = SessionEvent("done", state.timestamp_s)
        return dataclasses.replace(state, events=(*state.events, done))

    monkeypatch.setattr(ExerciseSession, "update", done_at_once)
    runs, made = [], live.LiveStats
    monkeypatch.setattr(live, "LiveStats", lambda: runs.append(made()) or runs[-1])
    args = live_args(
        routine="bridge,cobra", camera=SAMPLES / "bridge.mp4", headless=True, mute=True,
        report=tmp_path / "r.json", max_seconds=2,
    )  # fmt: skip
    assert run_live(args) == 0
    (stats,) = runs
    assert stats.processed == 1 and len(stats.latencies_ms) == 1


def _live(*args: str) -> list[str]:
    """The command line of ``posecheck live -e bridge`` with ``args``, as a user runs it."""
    return [sys.executable, "-m", "posecheck.cli", "live", "-e", "bridge", *args]


def test_no_camera_is_one_clear_line(tmp_path):
    env = dict(os.environ)
    proc = subprocess.run(
        _live("--camera", "7", "--headless", "--mute", "--report", str(tmp_path / "r.json")),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    err = [line for line in proc.stderr.splitlines() if line.startswith("posecheck:")]
    assert err and "no camera at index 7" in err[-1]
    assert "Traceback" not in proc.stderr
    assert "WARN" not in proc.stderr and "ERROR" not in proc.stderr  # OpenCV's own lines


def test_a_routine_of_nothing_is_one_clear_error():
    with pytest.raises(ValueError, match="--routine: name the exercises"):
        run_live(live_args(routine=" , ", camera=7, headless=True, mute=True))


@pytest.mark.parametrize(
    "option, given, says",
    [
        ("record", "session.webm", "--record session.webm: end the file name in .mp4"),
        ("snapshot", "last.mp4", "--snapshot last.mp4: end the file name in .png"),
        ("report", "sample/r.json", "is a file, not a folder"),
    ],
)
def test_an_output_that_cannot_be_written_fails_before_the_camera_opens(
    option, given, says, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sample").write_text("a file")
    args = live_args(camera=7, exercise="bridge", headless=True, mute=True, **{option: given})
    with pytest.raises(ValueError, match=says):  # not "no camera at index 7"
        run_live(args)


def test_kill_stops_like_ctrl_c_with_the_report_and_a_playable_recording(tmp_path):
    report, recording = tmp_path / "r.json", tmp_path / "rec.mp4"
    proc = subprocess.Popen(
        _live(
            "--camera",
            str(SAMPLES / "bridge.mp4"),
            "--loop",
            "--headless",
            "--mute",
            "--record",
            str(recording),
            "--report",
            str(report),
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120

        def recording_begun() -> bool:  # written to a part file, named rec.mp4 once closed
            return any(tmp_path.glob(".rec.*.part.mp4"))

        while not recording_begun() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)  # the recording is opened once the run has begun
        time.sleep(2.0)
        proc.terminate()  # SIGTERM, as kill and timeout send
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err[-500:]
    written = json.loads(report.read_text())
    assert written["partial"] is True and written["frames_seen"] > 0
    rec = cv2.VideoCapture(str(recording))
    frames, fps = rec.get(cv2.CAP_PROP_FRAME_COUNT), rec.get(cv2.CAP_PROP_FPS)
    # Closed properly: every frame is there, and frames the loop had no time for are
    # filled in, so the recording lasts as long as the session did.
    assert frames >= written["frames_seen"]
    assert frames / fps == pytest.approx(written["duration_s"], abs=0.1)


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("Xvfb"), reason="Xvfb not installed (apt-get install xvfb)")
def test_window_under_xvfb_shows_the_overlay(tmp_path):
    display = ":97"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x720x24"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        socket = Path("/tmp/.X11-unix/X97")
        deadline = time.monotonic() + 30
        while not socket.exists() and xvfb.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)  # the server is up once its socket is there
        env = dict(os.environ, DISPLAY=display)
        snapshot = tmp_path / "window.png"
        proc = subprocess.run(
            _live(
                "--camera",
                str(SAMPLES / "bridge.mp4"),
                "--mute",
                "--max-seconds",
                "4",
                "--report",
                str(tmp_path / "r.json"),
                "--snapshot",
                str(snapshot),
            ),
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-500:]
        assert snapshot.stat().st_size > 10_000
        if shutil.which("import"):
            shot = tmp_path / "screen.png"
            subprocess.run(
                ["import", "-display", display, "-window", "root", str(shot)], timeout=30
            )
    finally:
        xvfb.terminate()


@pytest.mark.parametrize(
    "load_s, max_seconds, written",
    [
        (0.0, 1e-9, False),  # stopped before a frame was shown: said, nothing written
        (3.0, 2.0, True),  # a slow model load is not part of the session's time
    ],
)
def test_a_snapshot_is_written_or_its_absence_said(
    tmp_path, capsys, monkeypatch, load_s, max_seconds, written
):
    import posecheck.live as live_module

    class SlowToLoad(live_module.PoseEstimator):
        def open(self):
            time.sleep(load_s)  # a busy machine
            super().open()

    monkeypatch.setattr(live_module, "PoseEstimator", SlowToLoad)
    snapshot = tmp_path / "live.png"
    rc = run_live(
        live_args(
            exercise="bridge",
            camera=SAMPLES / "bridge.mp4",
            headless=True,
            mute=True,
            report=tmp_path / "live.json",
            snapshot=snapshot,
            max_seconds=max_seconds,
        )
    )
    assert rc == 0 and snapshot.exists() is written
    out = capsys.readouterr()
    said = "no frame was shown, so no snapshot was written" in out.err
    assert said is not written
    stats = json.loads((tmp_path / "live.json").read_text())["live_stats"]
    assert (stats["latency_ms_p50"] is None) is not written  # null, not NaN, in the JSON
    assert ("no frame processed" in out.out) is not written


@pytest.mark.parametrize(
    "environ, platform, problem",
    [
        ({}, "linux", "no display (DISPLAY is not set)"),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", None),
        ({"DISPLAY": ":7391"}, "linux", "no display is running at DISPLAY=:7391"),
        ({"DISPLAY": "otherhost:0"}, "linux", None),  # not checked: a remote display
        ({}, "darwin", None),  # a desktop of its own
        ({}, "win32", None),
    ],
)
def test_a_window_without_a_display_is_one_clear_line(environ, platform, problem):
    assert display_problem(environ, platform) == problem


def test_no_display_fails_before_the_camera_opens(tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    args = live_args(exercise="bridge", camera="no_such_file.mp4", report=tmp_path / "r.json")
    with pytest.raises(ValueError, match="cannot open a window: no display.*--headless"):
        run_live(args)


@pytest.mark.parametrize(
    "picture, window",
    [
        ((640, 480), (907, 680)),  # enlarged to read from the floor, within a laptop's screen
        ((1280, 720), (1209, 680)),
        ((1920, 1080), (1209, 680)),  # a large camera picture is shown smaller
        ((202, 360), (382, 680)),  # a phone held upright
    ],
)
def test_the_window_fits_a_laptop_screen(picture, window):
    assert window_size(picture) == window


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("text_scale", "0", "--text-scale 0: give a size above 0"),
        ("text_scale", "-2", "--text-scale -2: give a size above 0"),
        ("text_scale", "inf", "--text-scale inf: give a size above 0"),
        ("text_scale", "nan", "--text-scale nan: give a size above 0"),
        ("max_seconds", "-1", "--max-seconds -1: give seconds above 0"),
        ("rest_s", "-5", "--rest-s -5: give seconds, 0 or more"),
        ("rest_s", "inf", "--rest-s inf: give seconds, 0 or more"),
    ],
)
def test_live_options_out_of_range_are_one_line(option, value, message, tmp_path):
    args = live_args(
        exercise="bridge", headless=True, report=tmp_path / "r.json", **{option: value}
    )
    with pytest.raises(ValueError) as err:
        run_live(args)
    assert str(err.value) == message


@pytest.mark.parametrize(
    "parts, routine, keys, before",
    [
        ([{"reps": 3}], False, {"reps"}, None),
        ([{"reps": 2, "ended_by_reset": True}, {"reps": 1}], False, {"reps", "before_reset"}, [2]),
        ([{"reps": 2}, {"reps": 1}], True, {"routine", "live_stats"}, None),
    ],
)
def test_a_reset_keeps_what_came_before_it_in_the_report(parts, routine, keys, before):
    report = session_report(parts, routine, {"processed_fps": 25})
    assert set(report) == keys
    if before is not None:
        assert report["reps"] == parts[-1]["reps"]  # the part since the reset
        assert [p["reps"] for p in report["before_reset"]] == before


@pytest.mark.parametrize(
    "width, lines",
    [(1280, 1), (640, 1), (202, 4)],  # a narrow picture: the keys take more lines, not smaller text
)
def test_the_key_strip_stays_readable(width, lines):
    import numpy as np

    from posecheck.live import _key_help
    from posecheck.voice import Speaker

    image = np.zeros((360, width, 3), np.uint8)
    strip = _key_help(image, Speaker(None, muted=True), mirrored=True)[360:]
    rows = np.flatnonzero((strip > 150).any(axis=(1, 2)))  # rows with text in them
    runs = 1 + int(np.sum(np.diff(rows) > 1)) if rows.size else 0
    assert runs == lines


@pytest.mark.parametrize(
    "backend, muted, mirrored, off",
    [
        ("engine", False, False, []),
        ("engine", True, True, ["[muted]", "[mirrored]"]),
        # no speech engine: said on the screen, where a person on the floor looks
        (None, False, False, ["[no voice: install espeak-ng]"]),
        (None, True, False, ["[muted]"]),
    ],
)
def test_the_key_strip_says_what_is_off(backend, muted, mirrored, off):
    from posecheck.live import KEYS, _key_texts
    from posecheck.voice import Speaker

    keys = _key_texts(Speaker(backend, muted=muted), mirrored)
    assert keys == KEYS.split("  ") + off


@pytest.mark.parametrize("results", [1, 8])  # one exercise, or a routine's eight
def test_the_end_screen_fits_the_picture(results):
    import numpy as np

    from posecheck.overlay import OverlayStyle, text_screen

    lines = ["Routine complete: well done"]
    lines += ["Knee to chest: Holds: left 3, right 3 (6 reached the 30 s target)"] * results
    out = text_screen(
        np.zeros((480, 640, 3), np.uint8), [*lines, "Press any key"], OverlayStyle(1.4)
    )
    rows = np.flatnonzero((out > 200).any(axis=(1, 2)))  # rows with text in them
    cols = np.flatnonzero((out > 200).any(axis=(0, 2)))
    assert rows.min() > 0 and rows.max() < 479 and cols.min() > 0 and cols.max() < 639
    assert 1 + int(np.sum(np.diff(rows) > 1)) == len(lines) + 1  # every line is there
