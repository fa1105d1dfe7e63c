"""Voice: spoken cues for a person lying on the floor who cannot read the screen.

``Speaker`` decides what to say and when (one utterance at a time, a cooldown, no
chatter, urgent things first); a backend does the speaking. ``SpeechCommand`` runs an
offline speech engine as a subprocess: espeak-ng (Linux), macOS's own ``say`` or Windows'
own speech through PowerShell; without one the app runs silently and says once how to
enable voice.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field

from posecheck.session import FrameState

# Setup guidance is said once it has been shown this long (seconds of video).
SETUP_SAY_AFTER_S = 0.5
VOICE_HINT = "install espeak-ng"  # shown on the live screen when no engine is found
INSTALL_HINT = f"posecheck: for spoken cues {VOICE_HINT} (sudo apt-get install espeak-ng)"
# Windows' built-in voice (System.Speech). The text comes in an environment variable, so
# no quote or sign in it can end the script early.
TEXT_VARIABLE = "POSECHECK_SPEECH_TEXT"
_WINDOWS_SPEECH = (
    "Add-Type -AssemblyName System.Speech; "
    "(New-Object System.Speech.Synthesis.SpeechSynthesizer).Speak($env:" + TEXT_VARIABLE + ")"
)
# Offline speech engines, first found is used: the program and its arguments, with
# "{wpm}" (words a minute) and "{text}" filled in.
ENGINES = (
    ("espeak-ng", ("-s", "{wpm}", "{text}")),  # Linux
    ("espeak", ("-s", "{wpm}", "{text}")),
    ("say", ("-r", "{wpm}", "{text}")),  # macOS
    ("powershell", ("-NoProfile", "-NonInteractive", "-Command", _WINDOWS_SPEECH)),  # Windows
)


# Units written short on screen, said in full ("2.5 s" would be read out as a letter).
_SPOKEN_UNITS = (
    (re.compile(r"(?<![\d.])1 s\b"), "1 second"),
    (re.compile(r"(\d) s\b"), r"\1 seconds"),
    (re.compile(r"(\d) min\b"), r"\1 minutes"),
)


def for_speech(text: str) -> str:
    """``text`` as it is said: "Released at 2.5 s of 60" -> "Released at 2.5 seconds of 60"."""
    for pattern, spoken in _SPOKEN_UNITS:
        text = pattern.sub(spoken, text)
    return text


class SpeechCommand:
    """Speaks through a speech engine's command, one utterance at a time, without blocking."""

    def __init__(self, program: str, args: tuple[str, ...] = ENGINES[0][1], rate_wpm: int = 150):
        self.program = program
        self.args = args
        self.rate_wpm = rate_wpm
        self._proc: subprocess.Popen | None = None

    @classmethod
    def find(cls) -> SpeechCommand | None:
        for name, args in ENGINES:
            path = shutil.which(name)
            if path:
                return cls(path, args)
        return None

    def busy(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def speak(self, text: str) -> None:
        try:
            fill = {"{wpm}": str(self.rate_wpm), "{text}": text}
            self._proc = subprocess.Popen(
                [self.program, *(fill.get(a, a) for a in self.args)],
                env={**os.environ, TEXT_VARIABLE: text},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            self._proc = None

    def close(self) -> None:
        """Stop the utterance under way, if any."""
        if self.busy():
            self._proc.terminate()

    stop = close


@dataclass
class Speaker:
    """What to say, when.

    Attributes:
        backend: has ``speak(text)`` and ``busy()`` (and ``stop()``, to be cut short);
            None = silent.
        cooldown_s: quiet time after an utterance before the next one (urgent ones too);
            a message may ask for its own (a countdown's numbers, one a second).
        repeat_s: the same message is not repeated within this time.
        muted: say nothing (the mute key toggles it).
    """

    backend: object | None
    cooldown_s: float = 1.5
    repeat_s: float = 8.0
    muted: bool = False
    spoken: list[tuple[float, str]] = field(default_factory=list)
    _pending: tuple[int, str, str, float | None, float] | None = None  # ..., said by when
    _last_said: dict[str, float] = field(default_factory=dict)
    _quiet_until: float = 0.0
    _speaking: str | None = None  # the key of the last utterance begun

    def say(
        self,
        text: str,
        priority: int = 5,
        key: str | None = None,
        now: float | None = None,
        cooldown_s: float | None = None,
        within_s: float = math.inf,
    ) -> None:
        """Ask to say ``text`` (priority 0 = most urgent). Keeps one pending message: the
        most urgent, the newest among equals; one not begun within ``within_s`` (a
        countdown number the voice was too busy for) is dropped."""
        now = time.monotonic() if now is None else now
        key = key or text
        text = for_speech(text)
        if self.muted or self.backend is None:
            return
        if now - self._last_said.get(key, -math.inf) < self.repeat_s:
            return
        self._drop_stale(now)
        if self._pending is None or priority <= self._pending[0]:
            self._pending = (priority, text, key, cooldown_s, now + within_s)

    def _drop_stale(self, now: float) -> None:
        """Drop the pending message if it was not begun in time (too late to be worth
        saying)."""
        if self._pending is not None and now > self._pending[4]:
            self._pending = None

    def cancel(self, prefix: str) -> None:
        """Drop what is pending, and cut short what is being said, whose key begins with
        ``prefix``: advice the person no longer needs ("lie on your back" once they do)."""
        if self._pending is not None and self._pending[2].startswith(prefix):
            self._pending = None
        speaking = self._speaking is not None and self._speaking.startswith(prefix)
        if speaking and self.backend is not None and self.backend.busy():
            stop = getattr(self.backend, "stop", None)
            if stop is not None:
                stop()
                self._quiet_until = 0.0

    def tick(self, now: float | None = None) -> None:
        """Speak the pending message if the voice is free and the cooldown is over."""
        now = time.monotonic() if now is None else now
        self._drop_stale(now)
        if self._pending is None or self.muted or self.backend is None:
            return
        if self.backend.busy() or now < self._quiet_until:
            return
        _, text, key, cooldown, _ = self._pending
        self._pending = None
        self.backend.speak(text)
        self.spoken.append((now, text))
        self._last_said[key] = now
        self._speaking = key
        self._quiet_until = now + (self.cooldown_s if cooldown is None else cooldown)

    def toggle_mute(self) -> bool:
        self.muted = not self.muted
        self._pending = None
        return self.muted


# A countdown number not begun this soon after it was due is dropped.
COUNT_STALE_S = 1.0


class Coach:
    """Turns each frame's state into things worth saying: cues, setup guidance, "hold",
    countdowns, rep counts, "switch legs"."""

    def __init__(self, speaker: Speaker):
        self.speaker = speaker
        self._cue_id: str | None = None  # the cue shown,
        self._cue_since = 0.0  # ... since when,
        self._cue_said = False  # ... and whether it has been said
        self._last_second: int | None = None

    def update(self, state: FrameState, now: float | None = None) -> None:
        sp = self.speaker
        for ev in state.events:
            # Each hold's milestones are news, never a repeat of the last hold's (a second
            # "Hold" 8 s after the first was taken for one): their keys name the moment.
            once = f"{ev.kind}@{ev.t_s:.2f}"
            # The hold's milestones first: a form cue said meanwhile must not push them out.
            if ev.kind == "switch_side":
                sp.say(ev.message or "Switch sides", 0, once, now)
            elif ev.kind in ("target_met", "max_reached"):
                sp.say(ev.message, 0, once, now)
            elif ev.kind in ("hold_short", "same_side", "other_side"):
                sp.say(ev.message, 2, once, now)
            elif ev.kind == "hold_started":
                sp.say("Hold", 2, once, now)  # before the countdown's first number
            elif ev.kind == "rep_completed":
                sp.say(ev.message, 4, f"rep{ev.message}", now)
            elif ev.kind == "rep_partial":
                sp.say(ev.message, 2, f"partial:{ev.id}", now)
            elif ev.kind == "setup_passed":
                sp.cancel("setup:")  # "lie on your back..." to someone who now is
                sp.say("Ready. Start when you like.", 1, "ready", now)
            elif ev.kind == "done":
                sp.say(ev.message, 1, "done", now)
        cue = state.cue
        cue_id = cue.id if cue is not None else None
        if cue_id != self._cue_id:
            self._cue_id, self._cue_since, self._cue_said = cue_id, state.timestamp_s, False
        if cue is not None and not self._cue_said:
            # setup guidance once it has lasted: the model missing the person for a frame
            # or two (as an exercise begins after a rest) is not "step into the picture"
            wait = SETUP_SAY_AFTER_S if cue.kind == "setup" else 0.0
            if state.timestamp_s - self._cue_since >= wait:
                key = f"cue:{cue.id}" if cue.kind == "form" else f"{cue.kind}:{cue.id}"
                sp.say(cue.message, 1 if cue.kind == "form" else 2, key, now)
                self._cue_said = True
        hold = state.hold
        if hold is not None and hold.running and hold.target_s:
            left = int(math.ceil(hold.target_s - hold.elapsed_s))
            if left != self._last_second and (
                left in (10, 5, 4, 3, 2, 1) or (left % 10 == 0 and left > 0)
            ):
                word = f"{left} seconds left" if left >= 10 else str(left)
                # the last numbers one a second, as they are counted down
                sp.say(
                    word,
                    3,
                    f"count:{left}",
                    now,
                    cooldown_s=0.0 if left <= 5 else None,
                    within_s=COUNT_STALE_S,  # "60 seconds left" said at 57 misleads
                )
            self._last_second = left
        sp.tick(now)


def make_speaker(mute: bool) -> Speaker:
    """A speaker with the engine found (muted at first with ``mute``: the mute key can
    still turn it on)."""
    backend = SpeechCommand.find()
    if backend is None and not mute:
        print(INSTALL_HINT, file=sys.stderr)
    return Speaker(backend, muted=mute)
