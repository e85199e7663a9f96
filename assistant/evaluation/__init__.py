"""Evaluation: test prompts whose right answers are known, the scores of a run, reports side by side,
an optional LLM judge, and the command `python -m assistant.evaluate`."""
