"""Tagging photo collections beyond one process: an engine-free batch step and Ray Data."""
