"""`python -m assistant.providers.models` (`make models`): build the inference models the settings need,
from the packaged weights into ASSISTANT_MODEL_DIR. A no-op when they are built already."""

from __future__ import annotations

import logging
import sys
import time

from assistant.errors import ConfigurationError
from assistant.providers.embeddings import embedding_build
from assistant.settings import Settings


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        settings = Settings()
        started = time.perf_counter()
        built = embedding_build(settings)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if built is None:
        print("The embedding runtime is torch: no inference model to build.")
    else:
        print(f"Inference model ready: {built} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
