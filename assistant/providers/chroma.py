"""The vector store client: Chroma on a server or in a local folder, its failures as clear errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.errors import ConfigurationError, IndexUnavailableError

if TYPE_CHECKING:
    from assistant.settings import Settings


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
