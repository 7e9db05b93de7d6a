"""The built-in hashtag vocabulary (``hashtags.txt``), installed as ``zeroshot_tags.builtin_vocab``."""
