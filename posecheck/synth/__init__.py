"""Synthetic footage: an articulated 3-D figure doing the exercises, with exact ground truth."""
