"""Reports: the JSON a session leaves behind, and its plain-text summary."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

SAFETY = (
    "Stop if pain gets sharp or spreads down a leg. posecheck gives guidance on form, "
    "not medical advice."
)
SCHEMA_VERSION = 1
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv")  # what OpenCV's mp4v writer takes
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def names_folder(given: str | None) -> bool:
    """Whether ``given`` names a folder: one that exists, or any name ending in a slash
    (False, not an error, for a name that cannot be looked up)."""
    if not given:
        return False
    if given.endswith(("/", os.sep)):
        return True
    try:
        return Path(given).is_dir()
    except OSError:  # a name too long to look up, say
        return False


def taken_as_folder(given: str, suffixes: tuple[str, ...] = ()) -> bool:
    """Whether :func:`output_path` puts its file inside ``given``: a folder that exists,
    a name ending in a slash, or a name without a file type (a folder to make; for an
    output of any type, such as a report, only one that does not exist yet, as a pipe or
    a device may have no type)."""
    return names_folder(given) or (
        not Path(given).suffix and bool(suffixes or not Path(given).exists())
    )


def beside(placed: Path | None, given: str | None) -> str | None:
    """The folder of an output whose place the user gave (``given``), for another output
    whose place they did not: the report goes with the annotated video they asked for."""
    return f"{placed.parent}{os.sep}" if placed is not None and given else None


def output_path(
    given: str | None,
    default_name: str,
    *,
    option: str,
    suffixes: tuple[str, ...] = (),
    not_over: Sequence[str | Path] = (),
) -> Path:
    """Where an output goes: ``given`` as a file name; ``default_name`` inside ``given`` when
    that is a folder (one that exists, any name ending in a slash, or a name with no file
    type: for a report, one that does not exist yet, as a pipe or a device may have
    none); ``default_name`` in the current folder when nothing is given. ``not_over``:
    files the output must never replace (the videos to analyse).

    Checked before any work starts, so a name that cannot be written fails at once and
    not after a long video or a whole live session."""
    if not given:
        path = Path(default_name)
    elif taken_as_folder(given, suffixes):
        path = Path(given) / default_name
    else:
        path = Path(given)
    if len(os.fsencode(path.name)) > 255:
        raise ValueError(f"{option} {given}: the file name is too long")
    if suffixes and path.suffix.lower() not in suffixes:
        raise ValueError(
            f"{option} {given}: end the file name in {' or '.join(suffixes)}, or give a folder"
        )
    inputs = [p for p in not_over if path.exists() and Path(p).exists()]
    if any(os.path.samefile(path, p) for p in inputs):
        if len(not_over) == 1:
            raise ValueError(f"{option} {given}: that is the input video")
        raise ValueError(
            f"{path.absolute()} would be written over, and it is one of the videos to analyse"
        )
    if path.exists() and not path.is_file():  # a device or a pipe
        if suffixes:  # a video or a picture is renamed into place: it would replace it
            raise ValueError(f"{option} {given}: not a file")
        if not os.access(path, os.W_OK):
            raise PermissionError(f"{option} {given}: cannot write to it")
        return path  # a report is written to it as it is
    try:
        target = path.resolve() if path.is_symlink() else path  # written through
    except (RuntimeError, OSError):  # a link that points at itself
        raise ValueError(f"{option} {given}: a link that leads nowhere") from None
    folder = target.parent.absolute()
    while not folder.exists():  # made when the output is written
        folder = folder.parent
    if not folder.is_dir():
        raise ValueError(f"{option} {given}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"{option} {given}: cannot write in {folder}")
    try:  # some folders say yes and still refuse a file (/proc, a read-only mount)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".posecheck-probe.")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise PermissionError(
            f"{option} {given}: cannot write in {folder} ({err.strerror or err})"
        ) from None
    return path


def build_report(
    session,
    *,
    video: str | None,
    partial: bool,
    duration_s: float,
    video_fps: float,
    frame_size: tuple[int, int],
    frames: int,
    model: str,
    elapsed_s: float,
    annotated_video=None,
    part_s: tuple[float, float] | None = None,
    rotate: int = 0,
    turned_view: dict | None = None,
    **extra,
) -> dict:
    """The report of a finished :class:`~posecheck.session.ExerciseSession` (see README).
    ``rotate``: the turn given to the picture; ``turned_view``: the turn that would show
    the exercise when nothing was counted (see :func:`posecheck.analyze.turned_view`)."""
    from posecheck import __version__

    report = {
        "schema": SCHEMA_VERSION,
        "posecheck_version": __version__,
        "video": video,
        "partial": partial,
        "truncated": False,
        "duration_s": round(duration_s, 3),
        "part_s": [round(part_s[0], 3), round(part_s[1], 3)] if part_s else None,
        "video_fps": round(video_fps, 3),
        "frame_size": list(frame_size),
        "rotate": rotate,
        "frames_seen": frames,
        "frames_with_person": session.frames_with_person,
        "model": model,
        "processing_fps": round(frames / elapsed_s, 2) if elapsed_s > 0 else 0.0,
        "annotated_video": str(annotated_video) if annotated_video else None,
        "view_note": session.spec.view_note,
        **extra,
    }
    report.update(session.summary())
    report["setup"]["turned_view"] = turned_view
    report["cues"] = merged_cues(report["cues"])
    return report


def publish(part: str | Path, path: str | Path) -> None:
    """Put a finished temporary file in place: readable as any file written (mkstemp makes
    it private), and renamed over ``path`` in one step."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(part, 0o666 & ~umask)
    os.replace(part, path)


def _dump(report: dict, f) -> None:
    json.dump(report, f, indent=2)
    f.write("\n")


def write_report(report: dict, path: str | Path) -> Path:
    """Write ``report`` as JSON, atomically (a half-written report never replaces a good one).

    A symbolic link is written through (its target is replaced); something that is not a
    file, such as ``/dev/stdout``, is written to as it is."""
    path = Path(path)
    if path.exists() and not path.is_file():  # a device or a pipe: never replaced
        with open(path, "w", encoding="utf-8") as f:
            _dump(report, f)
        return path
    path = path.resolve() if path.is_symlink() else path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            _dump(report, f)
        publish(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def merged_cues(cues: list[dict]) -> list[dict]:
    """The cue events with one entry per message where its spans overlap (a partial rep's
    reason and the cue shown while rising say the same thing at the same time)."""
    out: list[dict] = []
    latest: dict[str, dict] = {}  # each message's last entry so far
    for c in sorted(cues, key=lambda c: c["start_s"]):
        line = latest.get(c["message"])
        if line is not None and (line["end_s"] is None or c["start_s"] <= line["end_s"]):
            if line["end_s"] is not None:
                line["end_s"] = None if c["end_s"] is None else max(line["end_s"], c["end_s"])
            continue
        latest[c["message"]] = line = dict(c)
        out.append(line)
    return out


def _clock(seconds: float) -> str:
    """A time as a player shows it: 1:05.2 (or 1:02:05.2)."""
    m, tenths = divmod(round(max(seconds, 0.0) * 10), 600)
    h, m = divmod(m, 60)
    sec = f"{tenths / 10:04.1f}"
    return f"{h}:{m:02d}:{sec}" if h else f"{m}:{sec}"


def _t(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def share(part: int, whole: int) -> str:
    """``part`` of ``whole`` in percent: whole percents, but never "100%" or "0%" unless
    it is all or none."""
    pct = 100.0 * part / whole if whole else 0.0
    if part in (0, whole) or 0.5 <= pct < 99.5:
        return f"{pct:.0f}%"
    return f"{min(pct, 99.9):.1f}%" if pct > 50 else f"{max(pct, 0.1):.1f}%"


def _gaps_while_counting(report: dict, min_s: float = 1.0) -> list[dict]:
    """Setup problems after counting started (nobody in view, out of frame) that lasted
    ``min_s`` or more: the times a missing rep or hold may be explained by."""
    passed = report["setup"].get("passed_at_s")
    if passed is None:
        return []
    end = report["duration_s"]
    return [
        e
        for e in report.get("setup_messages", [])
        if e["start_s"] >= passed
        and (e["end_s"] if e["end_s"] is not None else end) - e["start_s"] >= min_s
    ]


def _timed_lines(events: list[dict]) -> list[str]:
    """Timed events (cues, setup messages) as summary lines: "start-end s  message"."""
    lines = []
    for e in events:
        end_text = _t(e["end_s"]) if e["end_s"] is not None else "end"
        lines.append(f"    {_t(e['start_s'])}-{end_text} s  {e['message']}")
    return lines


_TURN_WORDS = {
    90: "a quarter turn clockwise",
    180: "a half turn",
    270: "a quarter turn anticlockwise",
}


def _turn_hint(turn: int, given: int) -> str:
    """What to do when the video shows the exercise turned by ``turn`` degrees clockwise
    from the file (``given``: the turn it was analysed with)."""
    if turn == 0:
        return (
            f"  Turned by --rotate {given}, you read as upright most of the time; as the "
            "file has it, it shows the exercise: analyse it again without --rotate."
        )
    so = f"analyse it again with --rotate {turn} ({_TURN_WORDS[turn]})"
    if given:
        return f"  --rotate {given} may be the wrong turn: {so}, and it shows the exercise."
    return (
        "  The picture may lie on its side: you read as upright most of the time, as someone on "
        f"the floor does in a video on its side. If it plays sideways, {so}: so turned, it "
        "shows the exercise."
    )


def _count(n: int, noun: str) -> str:
    """``n`` and the noun, plural unless one: "1 rep", "3 holds"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def count_line(report: dict) -> str:
    """What was counted, in a line: "Reps: 8", "Holds: left 2, right 1 (2 reached the 30 s
    target)"."""
    reps = report["reps"]
    if report["count_kind"] == "reps":
        sides = f" (left {reps['left']}, right {reps['right']})" if reps["left"] is not None else ""
        missed = len(report.get("partial_reps", []))
        return f"Reps: {reps['total']}{sides}" + (f", {missed} not counted" if missed else "")
    if reps["left"] is not None:
        line = f"Holds: left {reps['left']}, right {reps['right']}"
    else:
        line = f"Holds: {len(report['holds'])}"
    target = report["targets"].get("hold_s")
    if target and report["holds"]:
        met = sum(1 for h in report["holds"] if h["met"])
        line += f" ({met} reached the {target:.0f} s target)"
    return line


def _when_ended(report: dict) -> str:
    """When a hold still under way was cut: the video, the part of it analysed or a live
    session ended, the count was reset (live's key r), or the person went on to another
    exercise of a routine (n or p)."""
    if report.get("ended_by_reset"):
        return "at the reset"
    if report.get("moved_on"):
        return "when you went on to another exercise"
    what = "session" if report.get("live") else "part" if report.get("part_s") else "video"
    return f"when the {what} ended"


def format_summary(report: dict) -> str:
    """A readable summary of a report, for the terminal."""
    lines = []
    frames, seen = report["frames_seen"], report["frames_with_person"]
    head = f"{report['exercise_name']} ({report['exercise']})"
    if report.get("video"):
        head += f" on {report['video']}"
    lines.append(head)
    lines.append(
        f"  {report['duration_s']:.1f} s, {_count(frames, 'frame')}, a person in "
        f"{seen} ({share(seen, frames)})"
        + ("   [PARTIAL: interrupted]" if report.get("partial") else "")
    )
    if report.get("part_s"):
        a, b = report["part_s"]
        lines.append(
            f"  Only {_t(a)}-{_t(b)} s ({_clock(a)}-{_clock(b)}) of the video was analysed; "
            "times below are the video's own."
        )
    if report.get("rotate"):
        deg = report["rotate"]
        lines.append(f"  The picture was given {_TURN_WORDS[deg]} (--rotate {deg}).")
    if report.get("truncated"):
        lines.append("  The video ended early (truncated file?): counts cover what could be read.")
    if frames and seen == 0:
        lines.append("  No person was found in this video: nothing was counted.")
        return "\n".join(lines)
    setup = report["setup"]
    if setup["passed"]:
        lines.append(
            f"  Starting position reached at {setup['passed_at_s']:.1f} s; counting from there."
        )
    else:
        lines.append(f"  {setup['message']}. Nothing was counted.")
        if report.get("setup_messages") and not setup.get("turned_view"):
            common = max(
                report["setup_messages"],
                key=lambda e: (e["end_s"] or report["duration_s"]) - e["start_s"],
            )
            lines.append(f'  Most of the time: "{common["message"]}"')
    if setup.get("turned_view"):
        lines.append(_turn_hint(setup["turned_view"]["rotate"], report.get("rotate") or 0))
    early = setup.get("in_position_before")
    if early:
        spans = ", ".join(
            f"{_t(e['start_s'])}-{_t(e['end_s'])} s" + (f" ({e['side']})" if e.get("side") else "")
            for e in early
        )
        lines.append(
            f"  Already in position at {spans}, before the starting position was seen: "
            "not timed (a hold is timed from the starting position)."
        )
    lines.append(f"  {count_line(report)}")
    if report["count_kind"] == "reps":
        timed = []  # reps and the ones not counted, in time order
        for r in report["rep_list"]:
            top = f", {r['top_s']:.1f} s at the top" if r.get("top_s") is not None else ""
            timed.append(
                (r["start_s"], f"rep {r['index']}: {_t(r['start_s'])}-{_t(r['end_s'])} s{top}")
            )
        for p in report["partial_reps"]:
            what = "not counted" if p.get("kind") == "under_way" else "partial"
            timed.append(
                (p["start_s"], f"{what} {_t(p['start_s'])}-{_t(p['end_s'])} s: {p['reason']}")
            )
        for h in report["holds"]:  # a rep's top: one still up at the end is not a rep yet
            if h.get("held_at_end"):
                timed.append(
                    (
                        h["start_s"],
                        f"up {_t(h['start_s'])}-{_t(h['end_s'])} s ({h['duration_s']:.1f} s at "
                        f"the top) {_when_ended(report)}: not counted, as a rep "
                        "counts once you are back down",
                    )
                )
        lines.extend(f"    {text}" for _, text in sorted(timed, key=lambda x: x[0]))
    else:
        for h in report["holds"]:
            side = f"{h['side']}: " if h["side"] else ""
            target = ""
            if h["target_s"]:
                target = f" of {h['target_s']:.0f} s target" + (" - met" if h["met"] else "")
            longest = report["targets"].get("hold_max_s")
            if longest and h["duration_s"] >= longest + 1.0:  # "release now" was said
                target += f", longer than the {h['target_s']:.0f}-{longest:.0f} s asked for"
            cut = ""
            if h.get("held_at_end"):
                cut = f", still held {_when_ended(report)}"
            lines.append(
                f"    {side}{_t(h['start_s'])}-{_t(h['end_s'])} s, held {h['duration_s']:.1f} s"
                f"{target}{cut}"
            )
    if report["targets"].get("text"):
        lines.append(f"  Target: {report['targets']['text']}")
    if report["cues"]:
        lines.append("  Form cues:")
        lines += _timed_lines(report["cues"])  # merged by build_report
    else:
        lines.append("  Form cues: none")
    for message in report.get("cues_not_checked", []):
        lines.append(f"    not checked from this camera view: {message}")
    gaps = _gaps_while_counting(report)
    if gaps:
        lines.append("  Counting paused:")
        lines += _timed_lines(gaps)
    res = report.get("resolution")
    if res and not res["resolvable"]:
        lines.append(f"  Could not tell the movement from jitter: {res['message']}")
    if report.get("view_note"):
        lines.append(f"  Note: {report['view_note']}")
    lines.append(f"  Processed at {report['processing_fps']:.1f} fps with {report['model']}")
    return "\n".join(lines)
