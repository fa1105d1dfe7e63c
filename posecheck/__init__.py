"""posecheck: checks the form of back-pain stretches and counts reps and holds."""

import os as _os

__version__ = "0.1.0"

# FFmpeg (inside OpenCV) prints its own notes on damaged files ("moov atom not found");
# posecheck says what is wrong in one line of its own. POSECHECK_DEBUG=1 shows them.
if not _os.environ.get("POSECHECK_DEBUG"):
    _os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
