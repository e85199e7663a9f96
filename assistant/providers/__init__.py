"""The one place that names vendors: the embedding model and its runtime, the vector store client, the
tokenizer and the chat model, and what their errors mean.

Imports are lazy so that importing Newsdesk stays cheap, and a missing piece becomes a ConfigurationError
that says what to install or configure."""

from assistant.providers.chat import LLMError, classify_llm_error, make_chat_model
from assistant.providers.chroma import make_chroma_client
from assistant.providers.embeddings import (
    TORCH_VARIANT,
    configured_variant,
    embedding_dimension,
    embedding_variant,
    make_embeddings,
    resolve_model_path,
    vectors_interchangeable,
)
from assistant.providers.tokenizer import token_encoding

__all__ = [
    "TORCH_VARIANT",
    "LLMError",
    "classify_llm_error",
    "configured_variant",
    "embedding_dimension",
    "embedding_variant",
    "make_chat_model",
    "make_chroma_client",
    "make_embeddings",
    "resolve_model_path",
    "token_encoding",
    "vectors_interchangeable",
]
