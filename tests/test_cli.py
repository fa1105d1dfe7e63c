"""Bad input gets one clear line and a non-zero exit, never a traceback."""

import json
import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecheck.analyze import Progress, analyze_video, print_progress
from posecheck.cli import _output_stem, clock_time, error_text, main
from posecheck.frame import PoseFrame
from posecheck.pose import PoseOptions
from posecheck.report import output_path, write_report
from posecheck.stopping import frame_step, stop_signals


def write_video(path: Path, seconds: float = 1.0, fps: float = 10.0, size=(160, 120)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(int(seconds * fps)):
        frame = np.full((size[1], size[0], 3), 40 + i % 50, np.uint8)
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture
def blank_video(tmp_path):
    return write_video(tmp_path / "blank.mp4")


def _bad_inputs(tmp_path: Path, blank: Path) -> dict:
    (tmp_path / "notvideo.mp4").write_text("this is not a video")
    (tmp_path / "empty.mp4").write_bytes(b"")
    long = write_video(tmp_path / "long.mp4", seconds=4)
    data = long.read_bytes()
    (tmp_path / "truncated.mp4").write_bytes(data[: len(data) // 3])
    (tmp_path / "model.task").write_text("nope")
    return {
        "missing file": (
            ["analyze", str(tmp_path / "nope.mp4"), "-e", "bridge"],
            2,
            "video not found",
        ),
        "not a video": (
            ["analyze", str(tmp_path / "notvideo.mp4"), "-e", "bridge"],
            2,
            "not a video that can be decoded",
        ),
        "empty file": (["analyze", str(tmp_path / "empty.mp4"), "-e", "bridge"], 2, "is empty"),
        "a folder": (["analyze", str(tmp_path), "-e", "bridge"], 2, "is a folder"),
        "truncated": (["analyze", str(tmp_path / "truncated.mp4"), "-e", "bridge"], None, None),
        "unknown exercise": (
            ["analyze", str(blank), "-e", "brige"],
            2,
            "did you mean bridge? valid ids:",
        ),
        "missing model": (
            ["analyze", str(blank), "-e", "bridge", "--model", str(tmp_path / "x.task")],
            2,
            "model file not found",
        ),
        "--to before --from": (
            ["analyze", str(blank), "-e", "bridge", "--from", "0:05", "--to", "3"],
            2,
            "--to 3 s must come after --from 5 s",
        ),
        "--to 0": (
            ["analyze", str(blank), "-e", "bridge", "--to", "0:00"],
            2,
            "--to 0 s must come after the start (0 s)",
        ),
        "not a time": (
            ["analyze", str(blank), "-e", "bridge", "--from", "nan"],
            2,
            "--from 'nan' is not a time: write seconds (95), minutes:seconds (1:35)",
        ),
        "a part with no frame": (
            ["analyze", str(blank), "-e", "bridge", "--from", "0.95"],
            2,
            "has no frame from 0.95 s (it is 1.0 s long",
        ),
        "--from after the end": (
            ["analyze", str(blank), "-e", "bridge", "--from", "1:00"],
            2,
            "is 1.0 s long: nothing after 60 s",
        ),
        "a turn not by quarters": (
            ["analyze", str(blank), "-e", "bridge", "--rotate", "45"],
            2,
            "--rotate 45: give the degrees to turn the picture clockwise, 90, 180 or 270",
        ),
        "invalid model": (
            ["analyze", str(blank), "-e", "bridge", "--model", str(tmp_path / "model.task")],
            2,
            "not a pose landmarker model bundle",
        ),
    }


CASES = [
    "missing file",
    "not a video",
    "empty file",
    "a folder",
    "truncated",
    "unknown exercise",
    "missing model",
    "invalid model",
    "--to before --from",
    "--to 0",
    "not a time",
    "--from after the end",
    "a part with no frame",
    "a turn not by quarters",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_one_line_no_traceback(case, tmp_path, blank_video, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv, code, text = _bad_inputs(tmp_path, blank_video)[case]
    rc = main([*argv, "--no-video", "-q"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if case == "truncated":
        # Either unreadable at once, or read up to the cut and flagged: never a clean exit.
        assert rc != 0 and err.strip().count("\n") == 0 and "posecheck: error:" in err
        return
    assert rc == code
    assert err.startswith("posecheck: error:") and text in err and err.strip().count("\n") == 0


def test_malformed_spec_is_one_line(tmp_path, blank_video, capsys, monkeypatch):
    (tmp_path / "bridge.yaml").write_text("id: bridge\nname: Bridge\nview: sideways\n")
    monkeypatch.setenv("POSECHECK_SPECS", str(tmp_path))
    rc = main(["analyze", str(blank_video), "-e", "bridge", "--no-video", "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and "bridge.yaml" in err and "Traceback" not in err


def test_video_with_nobody_says_so(tmp_path, blank_video, capsys):
    report_path = tmp_path / "r.json"
    rc = main(
        ["analyze", str(blank_video), "-e", "bridge", "--no-video", "-q", "-r", str(report_path)]
    )
    out = capsys.readouterr().out
    report = json.loads(report_path.read_text())
    assert rc == 0
    assert "No person was found" in out
    assert report["frames_seen"] == 10 and report["frames_with_person"] == 0
    assert report["reps"]["total"] == 0 and report["setup"]["passed"] is False


@pytest.mark.parametrize(
    "given, made, expected",
    [
        (None, [], "blank_report.json"),
        ("r.json", [], "r.json"),
        ("out", ["out/"], "out/blank_report.json"),  # an existing folder
        ("new/", [], "new/blank_report.json"),  # a folder to make
        ("new/deeper/r.json", [], "new/deeper/r.json"),
        ("results", [], "results/blank_report.json"),  # no file type: a folder, as --out
        ("results", ["results/"], "results/blank_report.json"),
    ],
)
def test_where_an_output_goes(given, made, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for folder in made:
        (tmp_path / folder).mkdir()
    assert output_path(given, "blank_report.json", option="--report") == Path(expected)


def test_a_video_named_without_a_file_type_is_a_folder_to_make(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    got = output_path("results", "a_annotated.mp4", option="--out", suffixes=(".mp4",))
    assert got == Path("results/a_annotated.mp4")


@pytest.mark.parametrize(
    "video, exercise, stem",
    [
        ("monday.mp4", "bridge", "monday_bridge"),
        ("bridge.mp4", "bridge", "bridge"),  # the name says it already
        ("clips/Knee-to-Chest 2.mov", "knee_to_chest", "Knee-to-Chest 2"),
        ("pelvic_tilt.mp4", "bridge", "pelvic_tilt_bridge"),  # one clip, two exercises
    ],
)
def test_default_output_names(video, exercise, stem):
    assert _output_stem(video, exercise) == stem


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--out", "clip.webm"], "--out clip.webm: end the file name in .mp4"),
        (["--report", "blank.mp4/r.json"], "blank.mp4 is a file, not a folder"),
        (["--out", "blank.mp4/a.mp4"], "blank.mp4 is a file, not a folder"),
        (["--out", "blank.mp4"], "--out blank.mp4: that is the input video"),
        (["--report", "./blank.mp4"], "--report ./blank.mp4: that is the input video"),
    ],
)
def test_an_output_that_cannot_be_written_fails_before_the_run(
    argv, says, tmp_path, blank_video, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.iterdir())
    rc = main(["analyze", str(blank_video), "-e", "bridge", "-q", *argv])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("posecheck: error:") and says in err
    assert sorted(tmp_path.iterdir()) == before  # nothing analysed, nothing written


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux's /proc")
def test_a_folder_that_refuses_files_fails_before_the_run(blank_video, capsys):
    # /proc passes a permission check but refuses a new file: found at the start, not
    # when the report is written after a whole session
    rc = main(["analyze", str(blank_video), "-e", "bridge", "-q", "--report", "/proc/r.json"])
    assert rc == 2 and "--report /proc/r.json: cannot write in /proc" in capsys.readouterr().err


@pytest.mark.parametrize(
    "folder",
    [lambda p: f"{p}/", str],  # "r/", or "r" as for one video: a name without a file type
    ids=["ending in a slash", "no file type"],
)
def test_several_videos_each_get_a_report_and_a_bad_one_does_not_stop_the_rest(
    folder, tmp_path, blank_video, capsys
):
    other = tmp_path / "other.mp4"
    other.write_bytes(blank_video.read_bytes())
    argv = [str(blank_video), str(tmp_path / "gone.mp4"), str(other)]
    rc = main(["analyze", *argv, "-e", "bridge", "-q", "--no-video", "-r", folder(tmp_path / "r")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("posecheck: error:") == 1 and "gone.mp4" in err
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "blank_bridge_report.json",
        "other_bridge_report.json",
    ]


@pytest.mark.parametrize(
    "second, options, says",
    [
        ("other.mp4", ["-r", "one.json"], "with several videos, give a folder"),
        ("sub/blank.mp4", ["--no-video"], "two videos would both write"),
        # the first one's annotated video would replace the second before it is read
        ("blank_bridge_annotated.mp4", [], "it is one of the videos to analyse"),
    ],
)
def test_several_videos_whose_outputs_would_collide_are_refused_first(
    second, options, says, tmp_path, blank_video, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / second).write_bytes(blank_video.read_bytes())
    before = sorted(tmp_path.rglob("*"))
    rc = main(["analyze", str(blank_video), second, "-e", "bridge", "-q", *options])
    assert rc == 2 and says in capsys.readouterr().err
    assert sorted(tmp_path.rglob("*")) == before  # nothing analysed, nothing written


def _fail_at_frame_5():
    raise RuntimeError("the disk is full")


def test_a_run_that_fails_leaves_no_half_video(tmp_path, blank_video):
    out = tmp_path / "out" / "clip.mp4"
    with pytest.raises(RuntimeError):
        analyze_video(
            blank_video, "bridge", out_video=out, estimator=NobodyEstimator(_fail_at_frame_5)
        )
    assert list(out.parent.iterdir()) == []  # neither the video nor its part file


@pytest.mark.parametrize(
    "make, given, suffixes, says",
    [
        (lambda d: os.mkfifo(d / "p.mp4"), "p.mp4", (".mp4",), "--out p.mp4: not a file"),
        (lambda d: (d / "loop.json").symlink_to("loop.json"), "loop.json", (),
         "a link that leads nowhere"),
        (lambda d: None, "x" * 252 + ".mp4", (".mp4",), "the file name is too long"),
    ],
)  # fmt: skip
def test_outputs_that_could_only_fail_late_are_refused(
    make, given, suffixes, says, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    make(tmp_path)
    with pytest.raises(ValueError, match=says):
        output_path(given, "x.mp4", option="--out", suffixes=suffixes)


def test_progress_nobody_reads_does_not_stop_the_run(monkeypatch):
    class Gone:
        def write(self, text):
            raise BrokenPipeError

        def flush(self):
            raise BrokenPipeError

        def isatty(self):
            return False

    for stderr in (Gone(), None):  # a reader gone; started with fd 2 closed
        monkeypatch.setattr(sys, "stderr", stderr)
        print_progress(Progress(done=300, total=300, fps=30.0, final=True))  # no exception


def test_a_report_is_written_through_a_link_and_into_a_pipe(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_report({"reps": 3}, link)
    assert link.is_symlink() and json.loads(real.read_text()) == {"reps": 3}

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    write_report({"reps": 4}, fifo)
    reader.join(timeout=10)
    assert json.loads(got[0]) == {"reps": 4} and stat.S_ISFIFO(fifo.stat().st_mode)


def test_outputs_go_into_a_folder_given_for_them(tmp_path, blank_video, capsys):
    rc = main(
        [
            "analyze", str(blank_video), "-e", "bridge", "-q",
            "--out", f"{tmp_path}/videos/", "--report", f"{tmp_path}/reports/",
        ]
    )  # fmt: skip
    assert rc == 0
    videos = sorted(p.name for p in (tmp_path / "videos").iterdir())
    assert videos == ["blank_bridge_annotated.mp4"]
    report = json.loads((tmp_path / "reports" / "blank_bridge_report.json").read_text())
    assert report["annotated_video"] == str(tmp_path / "videos" / "blank_bridge_annotated.mp4")


@pytest.mark.parametrize(
    "out, written",
    [
        ("videos/", {"videos/blank_bridge_annotated.mp4", "videos/blank_bridge_report.json"}),
        ("videos", {"videos/blank_bridge_annotated.mp4", "videos/blank_bridge_report.json"}),
        ("videos/monday.mp4", {"videos/monday.mp4", "videos/blank_bridge_report.json"}),
    ],
)
def test_the_report_goes_with_the_annotated_video_when_only_that_is_placed(
    tmp_path, blank_video, monkeypatch, out, written
):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["analyze", str(blank_video), "-e", "bridge", "-q", "--out", out]) == 0
    assert {str(p.relative_to(work)) for p in work.rglob("*") if p.is_file()} == written


class NobodyEstimator:
    """Stands in for the pose estimator: nobody in any frame. Counts the frames it reads;
    ``at_frame_5`` is called as the 5th is read (the user stopping the run)."""

    model_name = model_path = "fake"
    options = PoseOptions()

    def __init__(self, at_frame_5=None):
        self.reads = 0
        self.at_frame_5 = at_frame_5

    def detect(self, image, t):
        self.reads += 1
        if self.reads == 5 and self.at_frame_5 is not None:
            self.at_frame_5()
        return PoseFrame.empty(t, (image.shape[1], image.shape[0]))


def _press_ctrl_c():
    raise KeyboardInterrupt


def test_ctrl_c_keeps_the_report_so_far_marked_partial(tmp_path, blank_video):
    report = analyze_video(
        blank_video, "bridge", estimator=NobodyEstimator(at_frame_5=_press_ctrl_c)
    )
    assert report["partial"] is True
    assert report["frames_seen"] == 4


def test_progress_ends_with_every_frame_read(blank_video):
    said = []
    report = analyze_video(
        blank_video, "bridge", estimator=NobodyEstimator(), progress=said.append, lookback=None
    )
    assert said and said[-1].final and said[-1].done == report["frames_seen"] > 0
    assert sum(p.final for p in said) == 1


def test_exercises_lists_the_specs(capsys):
    assert main(["exercises"]) == 0
    out = capsys.readouterr().out
    assert "bridge" in out and "knee_to_chest" in out and "each side" in out
    assert "camera: Put the camera at floor level, 2-3 m away, at an angle" in out  # knee to chest


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--help"], "analyze"),
        (["analyze", "--help"], "--exercise"),
        (["live", "--help"], "--camera"),
        (["evaluate", "--help"], "--cross"),
        (["synth", "--help"], "samples"),  # handed to its own parser whole
        (["synth", "suite", "--help"], "--seed"),
    ],
)
def test_every_command_has_help(argv, says, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 0
    assert says in capsys.readouterr().out


def test_output_piped_into_head_ends_quietly():
    # `posecheck exercises | head -1`: the reader stops; no error, no traceback
    code = "import sys; from posecheck.cli import main; sys.exit(main(['exercises']))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.close()  # the reader has gone before the first line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and err == ""


def test_synth_without_what_names_the_choices(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["synth"])
    assert stop.value.code == 2
    assert "{samples,suite}" in capsys.readouterr().err


# Stopping a run: a signal during a frame's work waits for the frame to be done.


def _send(name):
    os.kill(os.getpid(), getattr(signal, name))


@pytest.fixture
def signals_as_in_a_terminal():
    """The stop signals as a terminal's foreground command has them: a run started with
    nohup, or as `cmd &` in a script, inherits SIGHUP or SIGINT ignored, and posecheck
    rightly leaves an ignored signal ignored (tested below)."""
    handlers = {
        signal.SIGINT: signal.default_int_handler,
        signal.SIGTERM: signal.SIG_DFL,
        signal.SIGHUP: signal.SIG_DFL,
    }
    before = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    yield
    for sig, handler in before.items():
        signal.signal(sig, handler)


def _run(signals_inside, signals_after):
    """Signals sent inside one frame_step, then after it; returns where the stop came:
    'inside', 'end of frame', 'after' or None."""
    with stop_signals():
        try:
            with frame_step():
                for name in signals_inside:
                    try:
                        _send(name)
                    except KeyboardInterrupt:
                        return "inside"
        except KeyboardInterrupt:
            return "end of frame"
        try:
            for name in signals_after:
                _send(name)
        except KeyboardInterrupt:
            return "after"
    return None


@pytest.mark.parametrize(
    "inside, after, stops",
    [
        ((), (), None),
        (("SIGTERM",), (), "end of frame"),
        (("SIGINT",), (), "end of frame"),  # Ctrl-C
        (("SIGHUP",), (), "end of frame"),  # the terminal closed
        (("SIGTERM", "SIGTERM"), (), "inside"),  # asked twice: at once
        ((), ("SIGTERM",), "after"),  # between frames: at once
    ],
)
@pytest.mark.usefixtures("signals_as_in_a_terminal")
def test_where_a_stop_takes_effect(inside, after, stops):
    assert _run(inside, after) == stops


@pytest.mark.usefixtures("signals_as_in_a_terminal")
def test_handlers_come_back_after():
    before = signal.getsignal(signal.SIGTERM)
    with stop_signals():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.usefixtures("signals_as_in_a_terminal")
def test_signals_while_closing_are_let_pass():
    with stop_signals():
        with pytest.raises(KeyboardInterrupt), frame_step():
            _send("SIGINT")
        for name in ("SIGINT", "SIGINT", "SIGTERM"):  # impatient: the closing goes on
            _send(name)
    assert _run(("SIGINT",), ()) == "end of frame"  # the next run stops again


def test_a_signal_set_to_be_ignored_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as for `cmd &` in a script
    try:
        with stop_signals():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            _send("SIGINT")
        assert _run((), ("SIGTERM",)) == "after"
    finally:
        signal.signal(signal.SIGINT, previous)


def test_kill_mid_frame_leaves_report_and_video_agreeing(tmp_path, blank_video):
    out = tmp_path / "out.mp4"
    with stop_signals():
        kill_at_frame_5 = NobodyEstimator(at_frame_5=lambda: _send("SIGTERM"))
        report = analyze_video(
            blank_video, "bridge", out_video=out, estimator=kill_at_frame_5, lookback=None
        )
    assert report["partial"] is True
    assert report["frames_seen"] == 5  # the frame being read when kill came is kept
    assert cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FRAME_COUNT) == 5


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("95", 95.0),
        ("95.5", 95.5),
        ("1:35", 95.0),
        ("01:35.5", 95.5),
        ("1:02:05", 3725.0),
        ("0", 0.0),
        ("1:75", "minutes and seconds run to 59"),
        ("1:-5", "is not negative"),
        ("-5", "is not negative"),
        ("abc", "is not a time"),
        ("", "is not a time"),
        ("1::5", "is not a time"),
        ("1:2:3:4", "is not a time"),
        ("nan", "is not a time"),
        ("inf", "is not a time"),
    ],
)
def test_times_written_as_people_write_them(text, seconds):
    if isinstance(seconds, str):
        with pytest.raises(ValueError, match=seconds):
            clock_time(text)
    else:
        assert clock_time(text) == seconds


def test_one_part_of_a_longer_recording(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    video = write_video(tmp_path / "session.mp4", seconds=4.0, fps=10.0)
    rc = main(["analyze", str(video), "-e", "bridge", "--from", "1.5", "--to", "0:03", "-q"])
    assert rc == 0
    report = json.loads((tmp_path / "session_bridge_report.json").read_text())
    assert report["part_s"] == [1.5, 3.0] and report["frames_seen"] == 16
    assert report["duration_s"] == pytest.approx(1.6) and not report["truncated"]
    assert "Only 1.5-3.0 s (0:01.5-0:03.0) of the video was analysed" in capsys.readouterr().out
    annotated = cv2.VideoCapture(str(tmp_path / "session_bridge_annotated.mp4"))
    assert int(annotated.get(cv2.CAP_PROP_FRAME_COUNT)) == 16  # that part only


@pytest.mark.parametrize(
    "span, part",
    [
        (["--to", "30"], None),  # past the end: the whole video, no part to speak of
        (["--from", "0", "--to", "30"], None),
        (["--to", "2"], [0.0, 2.0]),
        (["--from", "3"], [3.0, 3.9]),
    ],
)
def test_a_part_is_named_only_when_some_of_the_video_was_left_out(
    tmp_path, monkeypatch, span, part
):
    monkeypatch.chdir(tmp_path)
    video = write_video(tmp_path / "session.mp4", seconds=4.0, fps=10.0)
    assert main(["analyze", str(video), "-e", "bridge", *span, "-q", "--no-video"]) == 0
    report = json.loads((tmp_path / "session_bridge_report.json").read_text())
    assert report["part_s"] == part


@pytest.mark.parametrize(
    "err, text",
    [
        (FileNotFoundError(2, "No such file or directory", "/proc/x"), "/proc/x: no such file or directory"),
        (PermissionError(13, "Permission denied"), "permission denied"),
        (PermissionError("--report r.json: cannot write to it"), "--report r.json: cannot write to it"),
        (ValueError("unknown exercise 'squat'"), "unknown exercise 'squat'"),
    ],
)  # fmt: skip
def test_a_system_error_reads_as_words(err, text):
    assert error_text(err) == text
