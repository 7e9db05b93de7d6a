"""Top-k, per-class accuracy and confusion matrices from class scores."""

import numpy as np

from zeroshot_tags.evaluation.metrics import classification_scores

CLASSES = ("a", "b", "c", "d", "e", "f")


def test_top1_top5_per_class_and_confusion_match_a_hand_count():
    scores = np.array([
        [0.9, 0.1, 0.0, 0.0, 0.0, 0.0],  # a, right
        [0.1, 0.8, 0.0, 0.0, 0.0, 0.0],  # a, predicted b; a second
        [0.0, 0.0, 0.0, 0.0, 0.0, 1.0],  # b, predicted f; b ranked 3rd (ties keep class order)
        [0.6, 0.1, 0.5, 0.4, 0.3, 0.2],  # b, predicted a; b ranked 6th
    ])
    result = classification_scores(scores, ["a", "a", "b", "b"], CLASSES)
    assert result.top1 == 0.25
    assert result.top5 == 0.75
    assert result.per_class["a"] == 0.5 and result.per_class["b"] == 0.0
    assert np.isnan(result.per_class["c"])
    expected = np.zeros((6, 6), dtype=int)
    expected[0, 0] = expected[0, 1] = expected[1, 5] = expected[1, 0] = 1
    assert (result.confusion == expected).all()
    assert result.to_dict()["confusion"][0][:2] == [1, 1]
