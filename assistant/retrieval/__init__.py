"""Retrieval: the passages that best match a question, from dense and keyword candidates fused,
de-duplicated, capped per document and widened to whole sentences."""
