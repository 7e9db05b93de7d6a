"""Collecting a labelled photo set from open image sources, and removing its duplicates."""
