"""The semantic space: word vectors and sentence encoders, the cached space, hubness, the index."""
