"""The ImageNet backbones (specs as data) and their features: the only torch users of the core."""
