"""Stopping a run cleanly: Ctrl-C, ``kill``, ``timeout`` or a closed terminal.

While :func:`stop_signals` is in force (the CLI sets it up), SIGINT, SIGTERM and SIGHUP
raise ``KeyboardInterrupt``, which the runs turn into a partial report and a closed,
playable recording. Inside :func:`frame_step` the stop waits until the frame is done, so
a frame is wholly taken in (session, overlay, recording) or not at all, and the report
and the recording agree on how many frames there were. A second signal during a frame
stops at once. Once the stop is under way, further signals are let pass, so that an
impatient second (or third) Ctrl-C cannot cut short the closing of the recording and
the writing of the report. A signal the process was started to ignore (``nohup``, a
background job of a script) stays ignored.
"""

from __future__ import annotations

import contextlib
import signal
import threading

_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
_depth = 0  # how many frame_step blocks are open
_pending = False  # a stop came during a frame_step block
_stopping = False  # the stop has been raised: the run is closing


def _raise_stop() -> None:
    global _pending, _stopping
    _pending, _stopping = False, True
    raise KeyboardInterrupt


def _stop(signum, frame) -> None:
    global _pending
    if _stopping:
        return  # already closing: let it finish
    if _depth and not _pending:
        _pending = True
        return
    _raise_stop()


@contextlib.contextmanager
def stop_signals():
    """Route SIGINT, SIGTERM and SIGHUP to a stop (``KeyboardInterrupt``) while in force;
    the previous handlers come back after. Signals set to be ignored stay ignored.
    Does nothing outside the main thread, where Python allows no handlers."""
    global _pending, _stopping
    names = _SIGNALS if threading.current_thread() is threading.main_thread() else ()
    signums = [getattr(signal, n) for n in names if hasattr(signal, n)]
    signums = [sig for sig in signums if signal.getsignal(sig) is not signal.SIG_IGN]
    previous = {sig: signal.signal(sig, _stop) for sig in signums}
    _pending = _stopping = False
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _pending = _stopping = False


@contextlib.contextmanager
def frame_step():
    """One frame's work: a stop asked for meanwhile takes effect when the block ends."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
    if _pending and not _depth:
        _raise_stop()
