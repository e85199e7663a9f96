"""The project's own LangChain `Embeddings` over an OpenVINO encoder (see assistant.providers.encoder)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.providers.encoder import Batch, Encoder


class EncoderEmbeddings(Embeddings):
    """LangChain Embeddings over an OpenVINO encoder: mean (or CLS) pooling, L2-normalized, in batches
    sorted by length. Empty texts and texts past the model's window are fine (the window cuts them)."""

    def __init__(self, encoder: Encoder, batch_size: int, pooling: str = "mean") -> None:
        self._encoder = encoder
        self._batch_size = batch_size
        self._pooling = pooling

    @property
    def variant(self) -> str:
        return self._encoder.variant

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.vectors(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.vectors([text])[0].tolist()

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text, in the order given."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        batches = self._encoder.batches(texts, self._batch_size)
        found = np.zeros((len(texts), 0), dtype=np.float32)
        for batch, pooled in zip(batches, self._encoder.map(batches, self._pool), strict=True):
            if found.shape[1] == 0:
                found = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            found[batch.rows] = pooled
        return found

    def _pool(self, batch: Batch, hidden: np.ndarray) -> np.ndarray:
        if self._pooling == "cls":
            pooled = hidden[:, 0].copy()
        else:
            mask = batch.attention_mask[..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled
