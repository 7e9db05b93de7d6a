"""A person's own posts as training data: personal hashtag suggestions (see :class:`Profile`)."""
