"""posecheck: checks the form of back-pain stretches and counts reps and holds."""

__version__ = "0.1.0"
