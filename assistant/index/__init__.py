"""The index: Chroma behind one seam (chunks and document records), the BM25 keyword index derived from
it, and the lock that keeps its writers apart."""
