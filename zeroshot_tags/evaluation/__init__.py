"""Metrics and the comparison of the supervised baselines with zero-shot ConSE."""
