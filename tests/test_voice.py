"""Voice policy: one utterance at a time, cooldown, no repeats, urgent first, mute."""

import math
import stat

import pytest

from posecheck.voice import (
    ENGINES,
    TEXT_VARIABLE,
    Speaker,
    SpeechCommand,
    for_speech,
    make_speaker,
)

WINDOWS_ARGS = list(dict(ENGINES)["powershell"])


class FakeVoice:
    def __init__(self):
        self.said = []
        self.talking_until = 0.0
        self.now = 0.0

    def busy(self):
        return self.now < self.talking_until

    def speak(self, text):
        self.said.append(text)
        self.talking_until = self.now + 0.1 * len(text)  # 0.1 s a character

    def stop(self):
        self.said[-1] += " [cut short]"
        self.talking_until = self.now


def run(script, **kw):
    """script: (time, text, priority[, cooldown_s[, within_s]]) requests, or (time,
    "cancel", prefix); the speaker ticks every 0.1 s for 10 s. Keys are the texts up to a
    colon."""
    voice = FakeVoice()
    sp = Speaker(voice, **kw)
    for step in range(100):
        t = round(step / 10, 1)
        voice.now = t
        for when, text, prio, *more in script:
            if abs(when - t) < 1e-9 and text == "cancel":
                sp.cancel(prio)
            elif abs(when - t) < 1e-9:
                key = text.split(":")[0]
                cooldown = more[0] if more else None
                within = more[1] if len(more) > 1 else math.inf
                sp.say(text, prio, key, now=t, cooldown_s=cooldown, within_s=within)
        sp.tick(now=t)
    return voice.said


@pytest.mark.parametrize(
    "name, script, said",
    [
        ("says a cue", [(0.0, "Lift your hips higher", 1)], ["Lift your hips higher"]),
        (
            "no chatter: same message not repeated within repeat_s",
            [(0.0, "Hold", 3), (2.0, "Hold", 3), (4.0, "Hold", 3)],
            ["Hold"],
        ),
        (
            "one at a time: the newest waits for the voice and the cooldown",
            [(0.0, "Hold", 3), (0.5, "10 seconds left", 3)],
            ["Hold", "10 seconds left"],
        ),
        (
            "urgent first: a form cue replaces a pending count",
            [(0.0, "Hold", 3), (0.3, "9", 4), (0.4, "Keep your other foot flat on the floor", 1)],
            ["Hold", "Keep your other foot flat on the floor"],
        ),
        (
            "a less urgent message does not push out a pending urgent one",
            [(0.0, "Hold", 3), (0.3, "Switch legs", 1), (0.4, "3", 4)],
            ["Hold", "Switch legs"],
        ),
        (
            "a milestone (0) waits through a cue, and a newer cue does not push it out",
            [(0.0, "cue1: head down", 1), (0.3, "Time. Release slowly", 0), (0.4, "cue2: x", 1)],
            ["cue1: head down", "Time. Release slowly"],
        ),
        (
            "the last numbers of a countdown, one a second, are all said",
            [(1.0 * i, str(5 - i), 3, 0.0) for i in range(5)],
            ["5", "4", "3", "2", "1"],
        ),
        (
            "... which the usual cooldown would thin out",
            [(1.0 * i, str(5 - i), 3) for i in range(5)],
            ["5", "4", "2", "1"],
        ),
        (
            "setup advice is cut short once the person is ready, and Ready said at once",
            [
                (0.0, "setup: Lie on your back with your knees bent", 2),
                (1.0, "cancel", "setup"),
                (1.0, "Ready. Start when you like.", 1),
            ],
            [
                "setup: Lie on your back with your knees bent [cut short]",
                "Ready. Start when you like.",
            ],
        ),
        (
            "a countdown number the voice is too busy for is dropped, not said late",
            [(0.0, "Released at 5.7 seconds of 60", 2), (0.5, "60 seconds left", 3, None, 1.0)],
            ["Released at 5.7 seconds of 60"],
        ),
        (
            "... and one the voice gets to in time is said",
            [(0.0, "Hold", 2, 0.0), (0.2, "60 seconds left", 3, None, 1.0)],
            ["Hold", "60 seconds left"],
        ),
        (
            "pending setup advice is dropped",
            [(0.0, "Hold", 3), (0.1, "setup: Move the camera back", 2), (0.2, "cancel", "setup")],
            ["Hold"],
        ),
    ],
)
def test_speaker_policy(name, script, said):
    assert run(script, cooldown_s=1.5, repeat_s=8.0) == said, name


def test_muted_says_nothing_and_unmuting_speaks_again():
    voice = FakeVoice()
    sp = Speaker(voice, muted=True)
    sp.say("Hold", now=0.0)
    sp.tick(now=0.0)
    assert voice.said == []
    assert sp.toggle_mute() is False
    sp.say("Hold", now=1.0)
    sp.tick(now=1.0)
    assert voice.said == ["Hold"]


@pytest.mark.parametrize("mute", [False, True])
def test_started_muted_the_mute_key_brings_the_voice_back(mute, tmp_path, monkeypatch):
    # `posecheck live --mute`, then the m key: the engine was found all along
    prog = tmp_path / "espeak-ng"
    prog.write_text("#!/bin/sh\n")
    prog.chmod(prog.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(tmp_path))
    sp = make_speaker(mute)
    assert sp.muted is mute and sp.backend is not None
    if mute:
        sp.toggle_mute()
    sp.say("Hold", now=0.0)
    sp.tick(now=0.0)
    assert [text for _, text in sp.spoken] == ["Hold"]


def test_no_speech_engine_is_silent_not_an_error():
    sp = Speaker(None)
    sp.say("Hold", now=0.0)
    sp.tick(now=0.0)
    assert sp.spoken == []


@pytest.mark.parametrize(
    "installed, used, argv",
    [
        (["espeak-ng", "say"], "espeak-ng", ["-s", "150", "Hold still"]),  # Linux
        (["espeak"], "espeak", ["-s", "150", "Hold still"]),
        (["say"], "say", ["-r", "150", "Hold still"]),  # macOS: built in
        (["powershell"], "powershell", [*WINDOWS_ARGS, "said: Hold still"]),  # Windows
        ([], None, None),
    ],
)
def test_the_speech_engine_found_and_how_it_is_called(installed, used, argv, tmp_path, monkeypatch):
    heard = tmp_path / "heard"
    for name in installed:  # stand-ins that write down what they were asked to say
        prog = tmp_path / name
        prog.write_text(
            f'#!/bin/sh\necho "{name}" > {heard}\nprintf "%s\\n" "$@" >> {heard}\n'
            f'[ -n "${TEXT_VARIABLE}" ] && [ "{name}" = powershell ] && '
            f'echo "said: ${TEXT_VARIABLE}" >> {heard}\n'
        )
        prog.chmod(prog.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(tmp_path))
    engine = SpeechCommand.find()
    if used is None:
        assert engine is None
        return
    engine.speak("Hold still")
    engine._proc.wait(timeout=10)
    assert heard.read_text().splitlines() == [used, *argv]


@pytest.mark.parametrize(
    "shown, said",
    [
        ("Released at 2.5 s of 60: again with your left side", "Released at 2.5 seconds of 60: again with your left side"),
        ("3 min held: release now", "3 minutes held: release now"),
        ("Released at 1 s of 30", "Released at 1 second of 30"),
        ("Released at 2.1 s of 30", "Released at 2.1 seconds of 30"),
        ("20 seconds left", "20 seconds left"),
        ("Sit your hips back", "Sit your hips back"),
    ],
)  # fmt: skip
def test_units_are_said_in_full(shown, said):
    assert for_speech(shown) == said
