"""Who may use the chat and its API: ASSISTANT_AUTH's 'user:password' pairs, read once."""

from __future__ import annotations

import base64
import binascii
import secrets

from assistant.errors import ConfigurationError


def parse_auth(value: str) -> list[tuple[str, str]]:
    """'user:password[,user2:password2]' as Gradio's list of pairs."""
    pairs = []
    for item in value.split(","):
        user, separator, password = item.strip().partition(":")
        if not separator or not user or not password:
            raise ConfigurationError(
                "ASSISTANT_AUTH must be 'user:password' (several separated by commas), "
                "each with a non-empty user and password."
            )
        pairs.append((user, password))
    return pairs


class Credentials:
    """ASSISTANT_AUTH's pairs, accepted as `Authorization: Bearer user:password` or as basic auth."""

    def __init__(self, auth: str | None) -> None:
        self.pairs = parse_auth(auth) if auth else []

    def allow(self, header: str | None) -> bool:
        if not self.pairs:
            return True
        scheme, _, value = (header or "").strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "basic":
            try:
                value = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return False
        elif scheme.lower() != "bearer":
            return False
        user, _, password = value.partition(":")
        found = False
        for known_user, known_password in self.pairs:  # every pair compared: no early exit to time
            same_user = secrets.compare_digest(user.encode(), known_user.encode())
            same_password = secrets.compare_digest(password.encode(), known_password.encode())
            found |= same_user and same_password
        return found
