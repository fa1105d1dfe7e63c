"""Accuracy benchmark: ``posecheck evaluate`` over a folder of labelled clips.

    python benchmarks/accuracy.py DIR [--exercise ID] [-v] [--check synthetic|footage]

DIR is a folder of synthetic clips (clip.mp4 + clip.json, e.g. the suite made by
``posecheck synth suite``) or a footage folder with one labels.json (../shared/footage).
Prints, per exercise and view: pose found (% of frames), reps exact (% of clips), mean
absolute rep error, hold-time error (median, worst, share within 0.5 s), fault recall and
false alarms on clean clips. ``--check`` exits 1 below the issues' targets.
"""

import sys

from posecheck.cli import main

if __name__ == "__main__":
    sys.exit(main(["evaluate", *sys.argv[1:]]))
