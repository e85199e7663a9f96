"""The entry point of `python -m assistant.evaluate`; the evaluation itself lives in assistant/evaluation/."""

from assistant.evaluation.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
