"""The language toolkit every stage shares: sentence spans, keyword tokens, answer types, the analysis of
a question, and text that addresses an AI assistant. Pure functions."""
