"""The dataset metrics on hand-made inputs whose answers are worked out by hand."""

from __future__ import annotations

import math

import pytest

from rolegraph.outputs import metrics


def test_tokenize_keeps_words_and_numbers_drops_punctuation():
    assert metrics.tokenize("Hello, World! It's 3:00 pm.") == [
        "hello",
        "world",
        "it's",
        "3",
        "00",
        "pm",
    ]


@pytest.mark.parametrize(
    ("texts", "n", "expected"),
    [
        ([["a", "a", "b"]], 1, 2 / 3),
        ([["a", "a", "b"]], 2, 1.0),  # (a, a) and (a, b)
        ([["a", "b"], ["a", "b"]], 2, 1 / 2),  # pooled over texts
        ([["a"], ["b"]], 2, 0.0),  # n-grams never cross a text boundary: there are none
        ([], 1, 0.0),
    ],
)
def test_distinct_n(texts, n, expected):
    assert metrics.distinct_n(texts, n) == pytest.approx(expected)


def test_bleu_of_identical_text_is_one():
    words = ["the", "outage", "started", "at", "7", "40", "am"]
    assert metrics.sentence_bleu(words, [words]) == pytest.approx(1.0)


def test_bleu_smooths_missing_higher_order_ngrams():
    # p1 = 3/4, p2 = (2+1)/(3+1), p3 = (1+1)/(2+1), p4 = (0+1)/(1+1); same length: no penalty
    expected = (3 / 4 * 3 / 4 * 2 / 3 * 1 / 2) ** (1 / 4)
    assert metrics.sentence_bleu(list("abcd"), [list("abce")]) == pytest.approx(expected)


def test_bleu_brevity_penalty_and_no_overlap():
    # every n-gram of "a b" is in the reference, but it is half as long: exp(1 - 4/2)
    assert metrics.sentence_bleu(["a", "b"], [["a", "b", "c", "d"]]) == pytest.approx(math.exp(-1))
    assert metrics.sentence_bleu(["x", "y"], [["a", "b"]]) == 0.0
    assert metrics.sentence_bleu([], [["a"]]) == 0.0


def test_self_bleu_identical_texts_is_one_and_disjoint_texts_zero():
    same = [["we", "are", "sorry", "about", "the", "outage"]] * 3
    assert metrics.self_bleu(same).value == pytest.approx(1.0)
    disjoint = [["a", "b"], ["c", "d"], ["e", "f"]]
    assert metrics.self_bleu(disjoint).value == 0.0


def test_self_bleu_matches_the_plain_definition():
    texts = [
        ["the", "cable", "was", "cut", "near", "the", "station"],
        ["the", "cable", "was", "cut", "at", "a", "construction", "site"],
        ["service", "is", "back", "by", "three"],
        ["service", "should", "be", "back", "by", "three", "pm", "today"],
        ["the", "cut", "cable", "is", "being", "repaired"],
        ["a", "credit", "of", "fifteen", "dollars"],
    ]
    plain = [
        metrics.sentence_bleu(t, [o for j, o in enumerate(texts) if j != i])
        for i, t in enumerate(texts)
    ]
    result = metrics.self_bleu(texts)
    assert result.value == pytest.approx(sum(plain) / len(plain))
    assert (result.sample, result.total) == (6, 6)


def test_self_bleu_samples_deterministically_by_seed():
    texts = [[f"w{i}", f"w{i + 1}", "shared"] for i in range(20)]
    a = metrics.self_bleu(texts, sample=5, seed=3)
    b = metrics.self_bleu(texts, sample=5, seed=3)
    assert (a.sample, a.total) == (5, 20)
    assert a == b


def test_shingles_and_jaccard():
    assert metrics.shingles([["a", "b", "c", "d"], ["hi"]]) == {"a b c", "b c d", "hi"}
    assert metrics.jaccard(frozenset("ab"), frozenset("bc")) == pytest.approx(1 / 3)
    assert metrics.jaccard(frozenset(), frozenset()) == 1.0


def test_identical_dialogues_are_all_near_duplicates():
    dialogue = metrics.shingles([["my", "internet", "is", "down"], ["a", "cable", "was", "cut"]])
    stats = metrics.jaccard_pair_stats([dialogue, dialogue])
    assert stats.mean == 1.0
    assert stats.near_duplicate_share == 1.0
    assert (stats.pairs, stats.total_pairs, stats.sampled) == (1, 1, False)


def test_pair_stats_over_all_pairs():
    a, b = frozenset({"x y z"}), frozenset({"p q r"})
    stats = metrics.jaccard_pair_stats([a, a, b])  # pairs: (a, a) = 1, (a, b) = 0 twice
    assert stats.mean == pytest.approx(1 / 3)
    assert stats.near_duplicate_share == pytest.approx(1 / 3)
    assert stats.pairs == 3


def test_pair_stats_samples_pairs_when_there_are_too_many():
    sets = [frozenset({"same words here"})] * 50
    stats = metrics.jaccard_pair_stats(sets, max_pairs=100, seed=1)
    assert stats.sampled and stats.pairs == 100 and stats.total_pairs == 50 * 49 // 2
    assert stats.near_duplicate_share == 1.0
    half = [frozenset({"a"}), frozenset({"b"})] * 25  # pairs of equal sets: 24 of 49 per item
    sampled = metrics.jaccard_pair_stats(half, max_pairs=2000, seed=2)
    assert sampled.mean == pytest.approx(24 / 49, abs=0.05)
    assert metrics.jaccard_pair_stats(half, max_pairs=2000, seed=2) == sampled


def test_exact_duplicates_ignore_case_and_spacing():
    assert metrics.exact_duplicates(["Hi there", "hi  there", "Bye", "bye", "bye"]) == 3


@pytest.mark.parametrize(
    ("counts", "k", "expected"),
    [
        ([5, 5, 5, 5], None, 1.0),
        ({"calm": 3, "angry": 3}, None, 1.0),
        ([10, 0], None, 0.0),
        ([1, 1], 4, 0.5),  # two of four possible values, evenly: log 2 / log 4
        ([2, 1], None, -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)) / math.log(2)),
        ([7], 1, 1.0),  # a single possible value: nothing to spread
        ([0, 0], None, 0.0),
        ([0], 1, 0.0),  # nothing used at all
    ],
)
def test_normalized_entropy(counts, k, expected):
    assert metrics.normalized_entropy(counts, k=k) == pytest.approx(expected)


def test_missing_combinations_are_listed():
    observed = [{"mood": "calm", "urgency": "low"}, {"mood": "angry", "urgency": "low"}]
    space = {"mood": ["calm", "angry"], "urgency": ["low", "high"]}
    assert metrics.missing_combinations(observed, space) == [
        {"mood": "calm", "urgency": "high"},
        {"mood": "angry", "urgency": "high"},
    ]
    assert metrics.missing_combinations(observed, {"mood": ["calm", "angry"]}) == []


def test_length_stats():
    stats = metrics.length_stats([4, 1, 3, 2])
    assert stats == {
        "count": 4,
        "mean": 2.5,
        "std": pytest.approx(math.sqrt(1.25)),
        "min": 1,
        "p10": 1,
        "median": 2.5,
        "p90": 4,
        "max": 4,
    }
    assert metrics.length_stats([]) == {"count": 0}
    assert metrics.length_stats([7])["median"] == 7
