"""The keyword (BM25) side of the index: the index over chunk texts, its search, and a single-file cache
replaced atomically under a fingerprint of the live documents."""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from assistant.files import atomic_write
from assistant.text.tokens import TOKENIZER_VERSION, keyword_tokens


def fingerprint(live_versions: Iterable[tuple[str, str]]) -> str:
    """Identifies a state of the index: which version of which document is live, and the tokenizer."""
    digest = hashlib.sha256(TOKENIZER_VERSION.encode())
    for source, version in sorted(live_versions):
        digest.update(f"{source}\x00{version}\n".encode())
    return digest.hexdigest()[:32]


class KeywordIndex:
    """BM25 (bm25s, Lucene variant) over chunk texts, addressed by chunk id."""

    def __init__(self, ids: Sequence[str], bm25: object, state: str) -> None:
        self.ids = list(ids)
        self.state = state
        self._bm25 = bm25

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str], state: str) -> KeywordIndex:
        import bm25s

        bm25 = bm25s.BM25()
        if ids:
            bm25.index([keyword_tokens(text) or [""] for text in texts], show_progress=False)
        return cls(ids, bm25, state)

    def __len__(self) -> int:
        return len(self.ids)

    def search(
        self, query: str, k: int, *, tokens: Sequence[str] | None = None, mask: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """Chunk ids with BM25 scores, best first; only chunks sharing a term with the query. ``tokens``
        are the query's keyword tokens when the caller has them already; ``mask`` (one flag per chunk, in
        ``ids`` order) keeps only the chunks a filter admits."""
        if not self.ids or k <= 0:  # an empty index has no vocabulary at all
            return []
        tokens = [token for token in tokens or keyword_tokens(query) if token in self._bm25.vocab_dict]  # type: ignore[attr-defined]
        if not tokens:
            return []
        scores = self._bm25.get_scores(tokens)  # type: ignore[attr-defined]
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def has(self, token: str) -> bool:
        """Whether any indexed chunk contains this (stemmed) token."""
        return bool(self.ids) and token in self._bm25.vocab_dict  # type: ignore[attr-defined]

    def idf(self, token: str) -> float:
        """Inverse document frequency of a (stemmed) token; unseen tokens get the maximum."""
        n = len(self.ids)
        token_id = self._bm25.vocab_dict.get(token) if self.ids else None  # type: ignore[attr-defined]
        indptr = self._bm25.scores["indptr"] if self.ids else None  # type: ignore[attr-defined]
        df = 0 if token_id is None or indptr is None else int(indptr[token_id + 1] - indptr[token_id])
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    # --- a single-file cache, replaced atomically -------------------------------------------------
    def save(self, path: Path) -> None:
        bm25 = self._bm25
        header = {"state": self.state, "ids": self.ids}
        arrays: dict[str, np.ndarray] = {"header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)}
        if self.ids:
            scores = bm25.scores  # type: ignore[attr-defined]
            vocab = json.dumps(bm25.vocab_dict).encode()  # type: ignore[attr-defined]
            arrays |= {
                "data": scores["data"],
                "indices": scores["indices"],
                "indptr": scores["indptr"],
                "vocab": np.frombuffer(vocab, dtype=np.uint8),
            }
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write(path, buffer.getvalue())

    @classmethod
    def load(cls, path: Path) -> KeywordIndex | None:
        """The cached index, or None when it is missing or unreadable (the caller rebuilds it)."""
        import bm25s

        try:
            with np.load(path, allow_pickle=False) as npz:
                header = json.loads(npz["header"].tobytes())
                bm25 = bm25s.BM25()  # the Lucene variant: no non-occurrence scores to restore
                bm25.nonoccurrence_array = None
                if header["ids"]:
                    bm25.scores = {
                        "data": npz["data"],
                        "indices": npz["indices"],
                        "indptr": npz["indptr"],
                        "num_docs": len(header["ids"]),
                    }
                    bm25.vocab_dict = json.loads(npz["vocab"].tobytes())
                    bm25.unique_token_ids_set = set(bm25.vocab_dict.values())
        except (OSError, ValueError, KeyError, json.JSONDecodeError, EOFError):
            return None
        return cls(header["ids"], bm25, header["state"])
