"""Vocabularies: concept words and their hashtags, the ImageNet label texts, the user's own hashtags."""
