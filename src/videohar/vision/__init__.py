"""Pose estimation backends, tracking and drawing."""
