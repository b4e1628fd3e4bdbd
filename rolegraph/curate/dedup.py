"""Near-duplicate detection with MinHash signatures and LSH banding, in pure Python.

A dialogue becomes the set of its word n-gram shingles (`metrics.shingles`, the same
shingles `rolegraph eval` uses); MinHash turns that set into `num_perm` integers whose
pairwise agreement estimates the Jaccard similarity. LSH splits each signature into `bands`
of `rows` values: two dialogues are compared only when one band matches exactly, so a query
costs about the same at 100 samples as at 100,000. Only signatures are kept (8 bytes per
permutation per sample), never texts, and the index is rebuilt from the run store on resume.
"""

from __future__ import annotations

import hashlib
import random
from array import array
from collections.abc import Iterable, Sequence

from rolegraph.outputs.metrics import shingles, tokenize

_PRIME = (1 << 61) - 1  # a Mersenne prime: universal hashing modulo p
_MAX = (1 << 64) - 1


def _false_positive(threshold: float, bands: int, rows: int, steps: int = 200) -> float:
    """Probability mass of pairs below `threshold` that still share a band (integrated)."""
    width = threshold / steps
    return sum((1 - (1 - ((i + 0.5) * width) ** rows) ** bands) * width for i in range(steps))


def _false_negative(threshold: float, bands: int, rows: int, steps: int = 200) -> float:
    """Probability mass of pairs at or above `threshold` that share no band (integrated)."""
    width = (1 - threshold) / steps
    return sum((1 - (threshold + (i + 0.5) * width) ** rows) ** bands * width for i in range(steps))


def optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) with bands * rows <= num_perm minimising false positives + negatives.

    False negatives (a duplicate let through) are weighted like false positives; a false
    positive costs only an exact signature comparison, which decides in the end anyway.
    """
    best: tuple[float, int, int] | None = None
    for bands in range(1, num_perm + 1):
        rows = num_perm // bands
        error = _false_positive(threshold, bands, rows) + _false_negative(threshold, bands, rows)
        if best is None or error < best[0]:
            best = (error, bands, rows)
    assert best is not None
    return best[1], best[2]


class MinHasher:
    """MinHash signatures of dialogues: `num_perm` universal hashes of 64-bit shingle hashes."""

    def __init__(self, num_perm: int = 64, ngram: int = 3, seed: int = 1) -> None:
        self.num_perm = num_perm
        self.ngram = ngram
        rng = random.Random(seed)  # fixed: signatures are comparable across processes and runs
        self._perms = [
            (rng.randrange(1, _PRIME), rng.randrange(0, _PRIME)) for _ in range(num_perm)
        ]

    def signature(self, turns: Iterable[str]) -> array:
        """The MinHash signature of a dialogue given as its turns' texts."""
        found = shingles((tokenize(t) for t in turns), self.ngram)
        hashes = [
            int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little")
            for s in found
        ]
        if not hashes:  # an empty dialogue: one fixed signature, so empty ones match each other
            return array("Q", [_MAX] * self.num_perm)
        return array("Q", [min((a * h + b) % _PRIME for h in hashes) for a, b in self._perms])


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """The Jaccard similarity two signatures estimate: the share of equal positions."""
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


class DuplicateIndex:
    """The signatures of accepted dialogues, banded for sub-linear near-duplicate queries."""

    def __init__(self, threshold: float = 0.8, num_perm: int = 64, ngram: int = 3) -> None:
        self.threshold = threshold
        self.hasher = MinHasher(num_perm, ngram)
        self.bands, self.rows = optimal_bands(threshold, num_perm)
        self._ids: list[str] = []
        self._sigs = array("Q")  # all signatures, end to end: num_perm values per sample
        # per band: band hash -> position of the one sample with it, or a list of positions
        self._tables: list[dict[int, int | list[int]]] = [{} for _ in range(self.bands)]

    def __len__(self) -> int:
        return len(self._ids)

    def _keys(self, sig: Sequence[int]) -> list[int]:
        r = self.rows
        return [hash(tuple(sig[b * r : (b + 1) * r])) for b in range(self.bands)]

    def _signature_at(self, position: int) -> array:
        n = self.hasher.num_perm
        return self._sigs[position * n : (position + 1) * n]

    def query(self, sig: Sequence[int]) -> tuple[str, float] | None:
        """The most similar indexed sample at or above the threshold, with its similarity."""
        seen: set[int] = set()
        best: tuple[str, float] | None = None
        for table, key in zip(self._tables, self._keys(sig), strict=True):
            slot = table.get(key)
            for position in (slot,) if isinstance(slot, int) else slot or ():
                if position in seen:
                    continue
                seen.add(position)
                score = similarity(sig, self._signature_at(position))
                if score >= self.threshold and (best is None or score > best[1]):
                    best = (self._ids[position], score)
        return best

    def add(self, sample_id: str, sig: Sequence[int]) -> None:
        position = len(self._ids)
        self._ids.append(sample_id)
        self._sigs.extend(sig)
        for table, key in zip(self._tables, self._keys(sig), strict=True):
            slot = table.get(key)
            if slot is None:
                table[key] = position
            elif isinstance(slot, int):
                table[key] = [slot, position]
            else:
                slot.append(position)

    def check_and_add(self, sample_id: str, turns: Iterable[str]) -> tuple[str, float] | None:
        """The near-duplicate of this dialogue if there is one; otherwise index it and return None."""
        sig = self.hasher.signature(turns)
        if hit := self.query(sig):
            return hit
        self.add(sample_id, sig)
        return None
