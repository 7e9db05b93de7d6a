"""What people post: hashtag models learned from the hashtag lists of real posts (a prior and
co-occurrence), which re-rank the zero-shot suggestions."""
