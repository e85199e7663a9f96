"""Which documents tell one story: MinHash signatures of each document's 5-word shingles and
locality-sensitive hashing (datasketch) find the pairs whose shingle sets overlap by at least
STORY_JACCARD; connected pairs are one story, named after its first source.

The threshold was chosen on the BBC folder (benchmarks/stories.py prints the table): of the pairs of
documents sharing at least a fifth of their shingles, the 98 exact copies and 56 more pairs sit at 0.9 or
above, 15 pairs between 0.5 and 0.9 are all re-edits or updates of one report (same headline, or the same
talks a day later), and below 0.5 the pairs are mostly different reports on one topic ("Blair dismisses
quit claim report" / "Brown in appeal for Labour unity", 0.21), with a few re-edits missed (three pairs
with one headline at 0.28-0.35)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

NUM_PERM = 128
SEED = 1
SCHEME = "affine32"  # datasketch 2's hashing; stored signatures are only comparable within one scheme
SHINGLE_WORDS = 5
STORY_JACCARD = 0.5
CANDIDATE_MARGIN = 0.2
_WORD = re.compile(r"\w+")


def signature(text: str) -> np.ndarray:
    """The MinHash signature (uint64, NUM_PERM values) of the text's lower-cased 5-word shingles."""
    from datasketch import MinHash

    words = _WORD.findall(text.lower())
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    minhash.update_batch([shingle.encode() for shingle in shingles])
    return np.asarray(minhash.hashvalues, dtype=np.uint64)


def cluster(signatures: Mapping[str, np.ndarray], threshold: float = STORY_JACCARD) -> dict[str, str]:
    """Each source's story id: the smallest source among those it is connected to by pairs whose
    estimated Jaccard similarity is at least ``threshold``."""
    from datasketch import LeanMinHash, MinHashLSH

    # Candidates from a lower LSH threshold (its banding misses some pairs just above its own), then
    # each pair's estimated similarity decides.
    lsh = MinHashLSH(threshold=max(0.1, threshold - CANDIDATE_MARGIN), num_perm=NUM_PERM)
    hashes = {
        source: LeanMinHash(seed=SEED, hashvalues=values, scheme=SCHEME)
        for source, values in signatures.items()
    }
    for source, minhash in hashes.items():
        lsh.insert(source, minhash)
    parent = {source: source for source in hashes}

    def root(source: str) -> str:
        while parent[source] != source:
            parent[source] = parent[parent[source]]
            source = parent[source]
        return source

    for source, minhash in hashes.items():
        for other in lsh.query(minhash):
            if other != source and minhash.jaccard(hashes[other]) >= threshold:
                a, b = root(source), root(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return {source: root(source) for source in hashes}
