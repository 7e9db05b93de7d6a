"""Personal benchmark: a person's own posts as training data, scored by cross-validation.

The development posts of ``instagram_posts`` are treated as one person's history: in each of
5 folds (stratified by category, fixed seed) a profile is learned from the other four
(``Profile.learn``: features from the cache, ALS, the multi-label head) and every photo of the
held-out fold is tagged, scored as ``benchmarks/posts.py`` scores (P@1, P@5, R@5, A@5 against
all of a post's hashtags). Rows: the zero-shot default alone; each personal model alone
(nearest photos, ALS, multi-label head, and the hashtags the person posts with the photo's
zero-shot seeds); the blend of the four with the zero-shot scores, its list spread by the
person's co-occurrence (``Tagger.spread_weight``) and by the hashtags the photo's nearest own
posts carry together (``Tagger.coverage_weight``).
The blend's weights are chosen inside the training folds (a profile learned on 80% of them,
the weights that score best on the other 20%), then the profile is learned on all of them.
Also measured: seconds to learn (features cached beforehand, as after a first run) and
photos per second of suggesting with the profile.

    python benchmarks/personal.py --data ../shared/data --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from posts import METRICS, Post, mean_scores, publish, read_posts, sample, stratified_folds
from zeroshot_tags import Tagger
from zeroshot_tags.config import (DEFAULT_COVERAGE_WEIGHT, DEFAULT_OWN_COOCCURRENCE_WEIGHT, DEFAULT_PERSONAL_WEIGHT,
                                  DEFAULT_PROFILE_NEIGHBOURS, DEFAULT_PROFILE_SPREAD_WEIGHT, DEFAULT_SPREAD_WEIGHT)
from zeroshot_tags.images import load_image
from zeroshot_tags.personal.history import PastPost
from zeroshot_tags.personal.profile import PersonalWeights, Profile
from zeroshot_tags.tagging.blend import PersonalScores
from zeroshot_tags.text import hashtag_form
from zeroshot_tags.vision.features import FeatureExtractor

TOP = 5
HEADING = "## Personal hashtags: learning from a person's own posts"


@dataclass(frozen=True)
class Choice:
    """A blend's weights: the profile's models, its co-occurrence of the zero-shot seeds
    (``Tagger.own_cooccurrence_weight``), its share (``Tagger.personal_weight``), the
    neighbours' count (``Tagger.neighbours``) and the list's spread (``Tagger.spread_weight``
    and ``Tagger.coverage_weight``)."""

    weights: PersonalWeights
    own_cooccurrence: float
    share: float
    spread: float = 0.0
    coverage: float = 0.0
    neighbours: int = DEFAULT_PROFILE_NEIGHBOURS

    def __str__(self) -> str:
        w = self.weights
        return (f"{w.neighbour:g}, {w.factor:g}, {w.head:g}, {self.own_cooccurrence:g}; {self.share:g}; "
                f"{self.neighbours}; {self.spread:g}, {self.coverage:g}")


PARTS = {"nearest photos (kNN)": Choice(PersonalWeights(1.0, 0.0, 0.0), 0.0, 1.0),
         "ALS": Choice(PersonalWeights(0.0, 1.0, 0.0), 0.0, 1.0),
         "multi-label head": Choice(PersonalWeights(0.0, 0.0, 1.0), 0.0, 1.0),
         "the person's co-occurrence of the zero-shot seeds": Choice(PersonalWeights(0.0, 0.0, 0.0), 1.0, 1.0)}
"""Each personal model alone (the profile's whole share)."""
ZERO_SHOT = Choice(PersonalWeights(), 0.0, 0.0, DEFAULT_SPREAD_WEIGHT)
BLEND_GRID = tuple(Choice(PersonalWeights(*weights), own, share)
                   for weights in itertools.product((0.0, 0.5, 1.0), repeat=3) if any(weights)
                   for own in (0.0, 0.1, 0.25, 0.5) for share in (0.5, 0.7, 0.9))
"""The weights the blend chooses from; then its neighbours' count, from ``NEIGHBOUR_COUNTS``,
its spread, from ``SPREADS``, and its coverage, from ``COVERAGES``."""
NEIGHBOUR_COUNTS = (10, 20, 30)
SPREADS = (0.0, 0.25, 0.5, 0.75)
COVERAGES = (0.0, 0.25, 0.5, 1.0)
BLEND_ROW = "blend (weights chosen on the training folds)"
DEFAULTS = Choice(PersonalWeights(), DEFAULT_OWN_COOCCURRENCE_WEIGHT, DEFAULT_PERSONAL_WEIGHT,
                  DEFAULT_PROFILE_SPREAD_WEIGHT, DEFAULT_COVERAGE_WEIGHT, DEFAULT_PROFILE_NEIGHBOURS)
DEFAULT_ROW = "blend with the default weights (each the median of the folds' choices)"


@dataclass
class Looks:
    """What the tagger computes once per photo: pooled features, ConSE queries, face counts."""

    features: np.ndarray
    queries: np.ndarray
    faces: list[int]


def history(posts: Sequence[Post]) -> list[PastPost]:
    """The posts as a history (hashtags as ``#tag`` forms)."""
    return [PastPost(post.path, tuple(hashtag_form(tag) for tag in sorted(post.tags))) for post in posts]


def look(tagger: Tagger, posts: Sequence[Post]) -> Looks:
    """The tagger's view of the posts' photos, in batches."""
    features, queries, faces = [], [], []
    for start in range(0, len(posts), tagger.batch_size):
        images = [load_image(post.path, tagger.max_pixels, tagger.min_side)
                  for post in posts[start:start + tagger.batch_size]]
        rows, batch_queries = tagger.features_and_queries(images)
        features.append(rows)
        queries.append(batch_queries)
        faces += tagger.count_faces(images)
    return Looks(np.vstack(features), np.vstack(queries), faces)


def answers(tagger: Tagger, looks: Looks, profile: Profile | None, choice: Choice) -> list[list[str]]:
    """Each photo's first hashtags with a profile blended by ``choice`` (none: zero-shot)."""
    tagger.personal_weight, tagger.own_cooccurrence_weight = choice.share, choice.own_cooccurrence
    tagger.spread_weight, tagger.coverage_weight = choice.spread, choice.coverage
    personal = ([None] * len(looks.faces) if profile is None
                else PersonalScores.of_photos(profile, looks.features, choice.weights, choice.neighbours))
    return [[s.hashtag for s in tagger.rank(query, TOP, faces=faces, personal=scores)]
            for query, faces, scores in zip(looks.queries, looks.faces, personal)]


def objective(tagger: Tagger, looks: Looks, posts: Sequence[Post], profile: Profile, choice: Choice) -> float:
    scores = mean_scores(answers(tagger, looks, profile, choice), posts, "all hashtags")
    return scores[0] + scores[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--write", type=Path, help="append (or replace) this report's section in this file")
    parser.add_argument("--limit", type=int, help="use only this many posts, drawn at random")
    parser.add_argument("--folds", type=int, default=5)
    arguments = parser.parse_args()
    posts = sample(read_posts(arguments.data / "instagram_posts"), arguments.limit)
    tagger = Tagger(custom_hashtags=False)
    FeatureExtractor(tagger.backbone).features([post.path for post in posts])  # the cache, as after a first run
    looks = look(tagger, posts)
    rows = {name: [] for name in ["zero-shot default alone", *PARTS, BLEND_ROW, DEFAULT_ROW]}
    fit_seconds, suggest_rates, chosen = [], [], []
    for fold, held_out in enumerate(stratified_folds([post.category for post in posts], arguments.folds)):
        kept = sorted(set(range(len(posts))) - set(held_out))
        train = [posts[i] for i in kept]
        inner = stratified_folds([post.category for post in train], 5, seed=fold)[0]
        inner_train = [train[i] for i in range(len(train)) if i not in set(inner)]
        inner_looks = Looks(looks.features[[kept[i] for i in inner]], looks.queries[[kept[i] for i in inner]],
                            [looks.faces[kept[i]] for i in inner])
        inner_profile = Profile.learn(history(inner_train), tagger.backbone.name)
        inner_score = lambda choice: objective(tagger, inner_looks, [train[i] for i in inner], inner_profile, choice)
        best = max(BLEND_GRID, key=inner_score)
        best = max((dataclasses.replace(best, neighbours=count) for count in NEIGHBOUR_COUNTS), key=inner_score)
        best = max((dataclasses.replace(best, spread=spread) for spread in SPREADS), key=inner_score)
        best = max((dataclasses.replace(best, coverage=coverage) for coverage in COVERAGES), key=inner_score)
        chosen.append(best)
        start = time.perf_counter()
        profile = Profile.learn(history(train), tagger.backbone.name)
        fit_seconds.append(time.perf_counter() - start)
        held = [posts[i] for i in held_out]
        held_looks = Looks(looks.features[held_out], looks.queries[held_out], [looks.faces[i] for i in held_out])
        rows["zero-shot default alone"].append(mean_scores(answers(tagger, held_looks, None, ZERO_SHOT),
                                                           held, "all hashtags"))
        for name, part in PARTS.items():
            rows[name].append(mean_scores(answers(tagger, held_looks, profile, part), held, "all hashtags"))
        rows[DEFAULT_ROW].append(mean_scores(answers(tagger, held_looks, profile, DEFAULTS), held, "all hashtags"))
        with tempfile.TemporaryDirectory() as folder:
            profile.save(Path(folder) / "fold.profile")
            blended = Tagger(tagger.backbone, custom_hashtags=False, profile=Path(folder) / "fold.profile",
                             personal_weight=best.share, neighbour_weight=best.weights.neighbour,
                             factor_weight=best.weights.factor, head_weight=best.weights.head,
                             own_cooccurrence_weight=best.own_cooccurrence, spread_weight=best.spread,
                             coverage_weight=best.coverage, neighbours=best.neighbours)
            start = time.perf_counter()
            results = blended.suggest([post.path for post in held], top=TOP)
            suggest_rates.append(len(held) / (time.perf_counter() - start))
        rows[BLEND_ROW].append(
            mean_scores([[s.hashtag for s in result] for result in results], held, "all hashtags"))
        print(f"fold {fold + 1}: weights {best}, learned in {fit_seconds[-1]:.1f} s, "
              + ", ".join(f"{name} P@1 {values[-1][0]:.3f} A@5 {values[-1][3]:.3f}" for name, values in rows.items()),
              file=sys.stderr, flush=True)
    report = render(rows, chosen, fit_seconds, suggest_rates, len(posts), arguments.folds,
                    shlex.join(["python", *sys.argv]))
    publish(report, arguments.write, HEADING)


def render(rows: dict[str, list[np.ndarray]], chosen: list[Choice], fit_seconds: list[float], suggest_rates: list[float],
           posts: int, folds: int, command: str) -> str:
    """The report's markdown section."""
    lines = [HEADING, "",
             f"{posts} development posts of `../shared/data/instagram_posts` as one person's history, "
             f"{folds}-fold cross-validated (stratified by category, fixed seed): a profile learned from "
             "the other folds suggests 5 hashtags for each held-out photo, scored against all of its "
             "post's hashtags. The blend's weights are chosen inside the training folds.", "",
             f"| suggester | {' | '.join(METRICS)} | P@1 per fold | A@5 per fold |", "|---|" + "---|" * 6]
    for name, values in rows.items():
        mean = np.mean(values, axis=0)
        lines.append(f"| {name} | " + " | ".join(f"{v:.3f}" for v in mean) + " | "
                     + " ".join(f"{v[0]:.2f}" for v in values) + " | " + " ".join(f"{v[3]:.2f}" for v in values) + " |")
    blend, parts = rows[BLEND_ROW], [rows[name] for name in PARTS]
    beaten = sum(all(blend[fold][metric] > part[fold][metric] for part in parts for metric in (0, 3))
                 for fold in range(folds))
    lines += ["", f"The blend beats every part on both P@1 and A@5 on {beaten} of {folds} folds.",
              "", "Weights chosen per fold (neighbour, factor, head, own co-occurrence; personal share; "
              "neighbours; spread, coverage): "
              + " / ".join(str(choice) for choice in chosen) + ".",
              "", f"Learning a profile from {int(posts * (folds - 1) / folds)} photos (features cached): "
              f"{np.mean(fit_seconds):.1f} s on average (most {max(fit_seconds):.1f} s). Suggesting with "
              f"it: {np.mean(suggest_rates):.1f} photos/s (decode, backbone, faces, blend).",
              "", f"Command: `{command}`", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
