"""Real-task benchmark: hashtag suggesters scored against what Instagram posters typed.

The development posts of ``instagram_posts`` (``labels.csv``: ``file,tags,query_tag,category``)
are scored as the HARRISON benchmark does, on the first 5 suggestions of each photo: P@1 (the
first is among the post's hashtags), P@5 (the fraction of the 5 that are), R@5 (the fraction of
the post's hashtags among the 5) and A@5 (at least one of the 5 is), each against all of a
post's hashtags and against them less its ``query_tag`` (the explore page it was found on).
Hashtags compare case-insensitively, without ``#``. Speed is photos per second of the
suggester on these photos (decoding and suggesting), measured in the same run.

A suggester without weights is scored on every post. One with weights (see ``Method.fitted``)
is cross-validated: fitted on the training folds, scored on the held-out fold, so every post is
scored once by a suggester that never saw it. Nothing else is fitted to these posts.

    python benchmarks/posts.py --data ../shared/data --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import csv
import random
import shlex
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
from gensim.models import Word2Vec
from scipy import sparse

from zeroshot_tags import Tagger, ZeroShotTagsError
from zeroshot_tags.atomic import atomic_write
from zeroshot_tags.config import MIN_HASHTAG_POSTS, PEOPLE_HASHTAG
from zeroshot_tags.images import load_image
from zeroshot_tags.posts.expansion import HashtagExpansion

TOP = 5
SEED = 0
METRICS = ("P@1", "P@5", "R@5", "A@5")
TARGETS = ("all hashtags", "less query_tag")
HEADING = "## Hashtag suggestion on real Instagram posts"

Answer = list[str] | Exception
"""A suggester's hashtags for one photo, best first, or the error that stopped it."""

Suggester = Callable[[Sequence[Path]], list[Answer]]
"""Hashtags for each photo of a batch of paths, in order."""


@dataclass(frozen=True)
class Post:
    """One development post: its photo, its hashtags (lower case, no '#') and its query."""

    path: Path
    tags: frozenset[str]
    query_tag: str
    category: str

    def target(self, name: str) -> frozenset[str]:
        """The hashtags a suggestion is scored against: all of them, or all but the query."""
        return self.tags if name == "all hashtags" else self.tags - {self.query_tag}


@dataclass(frozen=True)
class Method:
    """A row of the report: ``build`` makes its suggester from the training posts, which only
    a ``fitted`` method looks at (it is then cross-validated)."""

    name: str
    build: Callable[[Sequence[Post]], Suggester]
    fitted: bool = False


@dataclass(frozen=True)
class Run:
    """A method's answers for every post, in the posts' order, and its suggesters' seconds."""

    answers: list[Answer]
    seconds: float

    @property
    def errors(self) -> int:
        """How many photos the suggester could not read."""
        return sum(isinstance(answer, Exception) for answer in self.answers)


def read_posts(folder: Path) -> list[Post]:
    """The posts of ``folder/labels.csv``, photos as paths under ``folder``."""
    with open(folder / "labels.csv", newline="", encoding="utf-8") as handle:
        return [Post(folder / row["file"], frozenset(normalise(t) for t in row["tags"].split()),
                     normalise(row["query_tag"]), row["category"])
                for row in csv.DictReader(handle)]


def sample(posts: list[Post], limit: int | None) -> list[Post]:
    """``limit`` posts drawn at random (fixed seed), in file order; all posts without a limit."""
    if limit is None or limit >= len(posts):
        return posts
    chosen = set(random.Random(SEED).sample(range(len(posts)), limit))
    return [post for i, post in enumerate(posts) if i in chosen]


def normalise(hashtag: str) -> str:
    """A hashtag as it is compared: lower case, without '#'."""
    return hashtag.strip().lstrip("#").lower()


def most_frequent(tag_lists: Iterable[Iterable[str]], k: int) -> list[str]:
    """The ``k`` hashtags on the most lists (each counted once a list; ties alphabetical)."""
    counts = Counter(tag for tags in tag_lists for tag in {normalise(t) for t in tags})
    return sorted(counts, key=lambda tag: (-counts[tag], tag))[:k]


def harrison_most_frequent(data: Path, k: int) -> list[str]:
    """The ``k`` most frequent hashtags of HARRISON's ``tag_list.txt`` (one post a line)."""
    with open(data / "harrison_tags" / "tag_list.txt", encoding="utf-8") as handle:
        return most_frequent((line.split() for line in handle), k)


def constant(hashtags: Sequence[str]) -> Suggester:
    """A suggester that answers ``hashtags`` for every photo without looking at it."""
    return lambda paths: [list(hashtags) for _ in paths]


def tagger_suggester(tagger: Tagger) -> Suggester:
    """A suggester of ``tagger``'s top hashtags; it reads the photos with the tagger's loader."""
    def suggest(paths: Sequence[Path]) -> list[Answer]:
        return [result.error if result.error is not None
                else [suggestion.hashtag for suggestion in result.suggestions]
                for result in tagger.suggest_many(paths, TOP)]
    return suggest


MODEL_GRID = tuple({"seed_temperature": temperature, "prior_weight": prior, "cooccurrence_weight": cooccurrence}
                   for temperature in (0.05, 0.07, 0.1) for prior in (0.5, 1.0) for cooccurrence in (0.5, 1.0, 2.0))
"""The hashtag-model weights a row chooses from."""
PEOPLE_GRID = tuple({**weights, "people_weight": people} for weights in MODEL_GRID for people in (0.3, 0.5, 0.7))
"""The same with the weight of a face."""
SPREAD_GRID = tuple({"spread_weight": spread} for spread in (0.0, 0.25, 0.5, 0.75))
"""The spread weights a row chooses from (its other weights the defaults)."""
RELATED_GRID = tuple({"related_weight": related} for related in (0.0, 0.1, 0.25, 0.5))
"""The related-hashtag weights a row chooses from (its other weights the defaults)."""
WORD2VEC_GRID = tuple({**weights, "cooccurrence_weight": cooccurrence} for weights in PEOPLE_GRID
                      if weights["cooccurrence_weight"] == 1.0 for cooccurrence in (5.0, 10.0, 20.0, 40.0))
"""The same for Word2Vec co-occurrence, whose terms are about ten times smaller."""


class CrossValidatedTagger:
    """A tagger whose weights (``Tagger`` attributes) are chosen on the training posts from
    ``grid`` (the best mean of P@1 and A@5 against all hashtags): the training photos'
    queries and faces are computed once, and every weight choice only re-ranks them; the
    held-out photos are tagged from scratch, so the row's speed is the tagger's."""

    def __init__(self, grid: Sequence[dict[str, float]], **tagger_arguments) -> None:
        self.grid = grid
        self.tagger = Tagger(custom_hashtags=False, **tagger_arguments)
        self.cache: dict[Path, tuple[np.ndarray, int] | Exception] = {}

    def looked_at(self, paths: Sequence[Path]) -> list[tuple[np.ndarray, int] | Exception]:
        """Each photo's ConSE query and face count, or the error that stopped reading it."""
        looks: list[tuple[np.ndarray, int] | Exception | None] = []
        for start in range(0, len(paths), self.tagger.batch_size):
            images, positions = [], []
            for path in paths[start:start + self.tagger.batch_size]:
                try:
                    images.append(load_image(path, self.tagger.max_pixels, self.tagger.min_side))
                    positions.append(len(looks))
                    looks.append(None)
                except ZeroShotTagsError as error:
                    looks.append(error)
            if images:
                for position, look in zip(positions, zip(self.tagger.query_vectors(images),
                                                         self.tagger.count_faces(images))):
                    looks[position] = look
        return looks

    def answers(self, looks: Sequence[tuple[np.ndarray, int] | Exception],
                weights: dict[str, float]) -> list[Answer]:
        """Each photo's hashtags with these weights."""
        for name, value in weights.items():
            setattr(self.tagger, name, value)
        return [look if isinstance(look, Exception)
                else [suggestion.hashtag for suggestion in self.tagger.rank(look[0], TOP, faces=look[1])]
                for look in looks]

    def build(self, train: Sequence[Post]) -> Suggester:
        """A suggester with the weights that score best on ``train``."""
        missing = [post.path for post in train if post.path not in self.cache]
        self.cache.update(zip(missing, self.looked_at(missing)))
        known = [self.cache[post.path] for post in train]

        def objective(weights: dict[str, float]) -> float:
            scores = mean_scores(self.answers(known, weights), train, "all hashtags")
            return scores[0] + scores[3]
        best = max(self.grid, key=objective)
        print(f"weights chosen on {len(train)} posts: {best}", file=sys.stderr, flush=True)
        return lambda photos: self.answers(self.looked_at(photos), best)


class Word2VecCooccurrence(CrossValidatedTagger):
    """The people row with co-occurrence from hashtag embeddings instead of counts, as one
    founding study learned it: gensim's Word2Vec (skip-gram, a whole post as the window)
    trained on HARRISON's lists; a candidate follows a seed by their cosine (negatives
    clipped to 0) times the candidate's popularity. Ranked here, not by ``Tagger.rank``."""

    def __init__(self, data: Path, grid: Sequence[dict[str, float]], **tagger_arguments) -> None:
        super().__init__(grid, **tagger_arguments)
        with open(data / "harrison_tags" / "tag_list.txt", encoding="utf-8") as handle:
            lists = [["#" + tag for tag in line.split()] for line in handle]
        vectors = Word2Vec(lists, vector_size=100, window=50, min_count=MIN_HASHTAG_POSTS, sg=1, epochs=5,
                           workers=1, seed=SEED).wv
        self.candidates = [entry.hashtags[0] for entry in self.tagger.space.vocabulary.entries]
        counts = HashtagExpansion.create(self.tagger.hashtag_model, self.candidates, PEOPLE_HASHTAG)
        unit = np.zeros((len(self.candidates), vectors.vector_size), dtype=np.float32)
        for row, tag in enumerate(self.candidates):
            if tag in vectors:
                unit[row] = vectors[tag] / np.linalg.norm(vectors[tag])
        similarity = np.maximum(unit @ unit.T, 0.0)
        np.fill_diagonal(similarity, 0.0)
        follows = sparse.csr_matrix(similarity * np.exp(counts.log_prior)[None, :])
        self.expansion = HashtagExpansion(counts.log_prior, follows, counts.people)

    def answers(self, looks: Sequence[tuple[np.ndarray, int] | Exception],
                weights: dict[str, float]) -> list[Answer]:
        answers: list[Answer] = []
        for look in looks:
            if isinstance(look, Exception):
                answers.append(look)
                continue
            query, faces = look
            scores = self.expansion.scores(self.tagger.space.scores(query), weights["seed_temperature"],
                                           weights["prior_weight"], weights["cooccurrence_weight"],
                                           weights["people_weight"] if faces else 0.0)
            answers.append([self.candidates[i] for i in np.argsort(-scores)[:TOP]])
        return answers


def methods(data: Path) -> list[Method]:
    """The rows of the report, in order; add a row here."""
    return [
        Method("HARRISON's 5 most frequent hashtags (constant)",
               lambda _: constant(harrison_most_frequent(data, TOP))),
        Method("plain ConSE: GloVe 50-d, no hubness correction", lambda _: tagger_suggester(
            Tagger(vectors="glove-6b-50d", hubness="none", custom_hashtags=False, hashtag_model=None))),
        Method("ConSE as before the hashtag model (`hashtag_model=None`)",
               lambda _: tagger_suggester(Tagger(custom_hashtags=False, hashtag_model=None))),
        Method("+ HARRISON hashtag model: prior and co-occurrence, no people (weights chosen on the "
               "training folds)",
               CrossValidatedTagger(MODEL_GRID, people=False, spread_weight=0.0, related_weight=0.0).build,
               fitted=True),
        Method("+ people: a face seeds #selfie (weights chosen on the training folds)",
               CrossValidatedTagger(PEOPLE_GRID, people=True, spread_weight=0.0, related_weight=0.0).build,
               fitted=True),
        Method("+ spread: a listed hashtag holds back those posted with it (its weight chosen on the training "
               "folds, the others the defaults)",
               CrossValidatedTagger(SPREAD_GRID, people=True, related_weight=0.0).build, fitted=True),
        Method("the same with Word2Vec hashtag embeddings for co-occurrence (weights chosen on the "
               "training folds)", Word2VecCooccurrence(data, WORD2VEC_GRID, people=True).build, fitted=True),
        Method("+ related: an entry's related hashtags follow it, #car -> #cars (its weight chosen on the "
               "training folds, the others the defaults)",
               CrossValidatedTagger(RELATED_GRID, people=True).build, fitted=True),
        Method("default `Tagger()` (the weights most folds chose)",
               lambda _: tagger_suggester(Tagger(custom_hashtags=False, people=True))),
        Method("prior from training folds: their 5 most frequent hashtags (constant)",
               lambda train: constant(most_frequent((post.tags for post in train), TOP)),
               fitted=True),
    ]


def timed(suggester: Suggester, posts: Sequence[Post]) -> Run:
    """The suggester's answers for ``posts`` and the seconds it took."""
    start = time.perf_counter()
    answers = suggester([post.path for post in posts])
    return Run(answers, time.perf_counter() - start)


def stratified_folds(categories: Sequence[str], folds: int, seed: int = SEED) -> list[list[int]]:
    """Post indices split into ``folds`` folds, each category dealt round-robin after a shuffle."""
    rng = random.Random(seed)
    split: list[list[int]] = [[] for _ in range(folds)]
    dealt = 0
    for category in sorted(set(categories)):
        members = [i for i, c in enumerate(categories) if c == category]
        rng.shuffle(members)
        for position, index in enumerate(members, start=dealt):
            split[position % folds].append(index)
        dealt += len(members)
    return [sorted(fold) for fold in split]


def cross_validated(method: Method, posts: Sequence[Post], folds: int) -> Run:
    """Each fold's answers from the method built on the other folds; seconds summed."""
    answers: list[Answer | None] = [None] * len(posts)
    seconds = 0.0
    for held_out in stratified_folds([post.category for post in posts], folds):
        kept = set(held_out)
        suggester = method.build([post for i, post in enumerate(posts) if i not in kept])
        run = timed(suggester, [posts[i] for i in held_out])
        for index, answer in zip(held_out, run.answers):
            answers[index] = answer
        seconds += run.seconds
    return Run(answers, seconds)


def run_method(method: Method, posts: Sequence[Post], folds: int) -> Run:
    """A fitted method cross-validated; any other built once and run on every post."""
    if method.fitted:
        return cross_validated(method, posts, folds)
    return timed(method.build(posts), posts)


def post_scores(answer: Answer, target: frozenset[str]) -> np.ndarray:
    """P@1, P@5, R@5, A@5 of one photo's first 5 distinct hashtags; all 0 for an error."""
    if isinstance(answer, Exception):
        return np.zeros(len(METRICS))
    first = list(dict.fromkeys(normalise(hashtag) for hashtag in answer))[:TOP]
    hits = [hashtag in target for hashtag in first]
    return np.array([float(bool(hits) and hits[0]), sum(hits) / TOP,
                     sum(hits) / len(target), float(any(hits))])


def mean_scores(answers: Sequence[Answer], posts: Sequence[Post], target: str) -> np.ndarray:
    """The metrics averaged over ``posts`` (unreadable photos count as misses)."""
    return np.mean([post_scores(answer, post.target(target))
                    for answer, post in zip(answers, posts)], axis=0)


def per_category(run: Run, posts: Sequence[Post], category: str) -> np.ndarray:
    """The metrics against all hashtags, averaged over the posts of ``category``."""
    pairs = [(answer, post) for answer, post in zip(run.answers, posts) if post.category == category]
    return mean_scores([answer for answer, _ in pairs], [post for _, post in pairs], "all hashtags")


def speed(run: Run, photos: int) -> str:
    """Photos per second; above 10,000 (a suggester that reads no photo) only the bound."""
    rate = photos / run.seconds if run.seconds > 0 else float("inf")
    return "> 10,000" if rate > 10_000 else f"{rate:.1f}"


def render(rows: list[tuple[Method, Run]], posts: Sequence[Post], folds: int, command: str) -> str:
    """The report's markdown section."""
    return "\n".join([HEADING, "", introduction(posts, folds),
                      *(line for target in TARGETS for line in target_table(rows, posts, folds, target)),
                      *category_table(rows, posts, folds),
                      "", unreadable(rows), "", f"Command: `{command}`", ""])


def introduction(posts: Sequence[Post], folds: int) -> str:
    """The paragraph that says what was scored and how."""
    counts = Counter(post.category for post in posts)
    return (
        f"{len(posts)} development posts of `../shared/data/instagram_posts` "
        f"({', '.join(f'{c} {counts[c]}' for c in sorted(counts))}), each photo scored on its first "
        f"{TOP} suggestions against the hashtags its poster typed, as HARRISON does: P@1 (the first "
        f"is one of them), P@{TOP} (the fraction of the {TOP} that are), R@{TOP} (the fraction of "
        f"the post's hashtags among the {TOP}), A@{TOP} (at least one of the {TOP} is). Hashtags "
        "compare case-insensitively without '#'. Speed: photos per second of the suggester on "
        "these photos (decode and suggest) on the 2-core CPU, in the same run. Rows marked "
        f"*{folds}-fold* are fitted on the other folds (stratified by category, fixed seed) and "
        "scored on the held-out one; every other row fits nothing to these posts.")


def target_table(rows: list[tuple[Method, Run]], posts: Sequence[Post], folds: int,
                 target: str) -> list[str]:
    """The lines of the table of every metric, and the speed, against ``target``."""
    lines = ["", f"### Against {target}", "", f"| suggester | {' | '.join(METRICS)} | photos/s |",
             "|---|" + "---|" * (len(METRICS) + 1)]
    for method, run in rows:
        figures = " | ".join(f"{value:.3f}" for value in mean_scores(run.answers, posts, target))
        lines.append(f"| {label(method, folds)} | {figures} | {speed(run, len(posts))} |")
    return lines


def category_table(rows: list[tuple[Method, Run]], posts: Sequence[Post], folds: int) -> list[str]:
    """The lines of the table of A@5 and P@1 per category, against all hashtags."""
    categories = sorted({post.category for post in posts})
    lines = ["", f"### Per category (against all hashtags): A@{TOP} / P@1", "",
             f"| suggester | {' | '.join(categories)} |", "|---|" + "---|" * len(categories)]
    for method, run in rows:
        cells = [per_category(run, posts, category) for category in categories]
        lines.append(f"| {label(method, folds)} | "
                     + " | ".join(f"{cell[3]:.3f} / {cell[0]:.3f}" for cell in cells) + " |")
    return lines


def unreadable(rows: list[tuple[Method, Run]]) -> str:
    """A line on the photos a suggester could not read (scored as misses)."""
    counts = [f"{method.name}: {run.errors}" for method, run in rows if run.errors]
    return f"Unreadable photos, scored as misses: {'; '.join(counts) if counts else 'none'}."


def label(method: Method, folds: int) -> str:
    """A row's name in the tables."""
    return f"{method.name}, *{folds}-fold*" if method.fitted else method.name


def replace_section(document: str, section: str, heading: str = HEADING) -> str:
    """``document`` with its section under ``heading`` (up to the next heading of the same
    level) replaced by ``section``, or with ``section`` appended."""
    lines = document.splitlines(keepends=True)
    if heading + "\n" not in lines:
        return document.rstrip("\n") + "\n\n" + section if document.strip() else section
    start = lines.index(heading + "\n")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    rest = "".join(lines[end:])
    return "".join(lines[:start]) + section + ("\n" + rest if rest else "")


def write_section(path: Path, section: str, heading: str = HEADING) -> None:
    """Put ``section`` into the markdown file at ``path`` (created if missing)."""
    document = path.read_text(encoding="utf-8") if path.exists() else ""
    with atomic_write(path, "w", encoding="utf-8") as stream:
        stream.write(replace_section(document, section, heading))


def publish(report: str, path: Path | None, heading: str = HEADING) -> None:
    """Print a benchmark's ``report`` and, when ``path`` is given, put it into that markdown
    file as the section under ``heading``."""
    print(report)
    if path:
        write_section(path, report, heading)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"),
                        help="the shared data folder")
    parser.add_argument("--write", type=Path,
                        help="append (or replace) this report's section in this markdown file")
    parser.add_argument("--limit", type=int, help="score only this many posts, drawn at random")
    parser.add_argument("--folds", type=int, default=5, help="folds of the cross-validated rows")
    arguments = parser.parse_args()
    if arguments.folds < 2 or (arguments.limit is not None and arguments.limit < arguments.folds):
        parser.error("--folds must be at least 2 and --limit at least --folds")
    posts = sample(read_posts(arguments.data / "instagram_posts"), arguments.limit)
    rows = []
    for method in methods(arguments.data):
        rows.append((method, run_method(method, posts, arguments.folds)))
        print(f"{method.name}: {rows[-1][1].seconds:.1f} s", file=sys.stderr, flush=True)
    report = render(rows, posts, arguments.folds, shlex.join(["python", *sys.argv]))
    publish(report, arguments.write)


if __name__ == "__main__":
    main()
