"""Prompt templates live in prompts/*.md: a system part, a line '=== user ===', then the user part."""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.errors import ConfigurationError
from assistant.settings import PROJECT_ROOT

PROMPTS_DIR = PROJECT_ROOT / "prompts"
SEPARATOR = "=== user ==="
REQUIRED = {
    "answer": {"passages", "history", "question"},
    "condense": {"history", "question"},
    "judge": {"question", "expected", "answer"},
}


@dataclass(frozen=True)
class Prompt:
    name: str
    system: str
    user: str

    def render(self, **values: str) -> tuple[str, str]:
        """(system message, user message); values are inserted verbatim, never re-parsed as templates."""
        return self.system, self.user.format_map(values)


def template_fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


@lru_cache(maxsize=8)
def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> Prompt:
    path = directory / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"Prompt template {path.name} is missing from {directory}") from exc
    if SEPARATOR not in text:
        raise ConfigurationError(f"Prompt template {path.name} needs a line '{SEPARATOR}'")
    system, user = (part.strip() for part in text.split(SEPARATOR, 1))
    if template_fields(system):
        raise ConfigurationError(f"The system part of {path.name} must not contain {{placeholders}}")
    expected = REQUIRED.get(name, set())
    found = template_fields(user)
    if found != expected:
        raise ConfigurationError(
            f"Prompt template {path.name} must use exactly the variables {sorted(expected)}, "
            f"found {sorted(found)}"
        )
    return Prompt(name, system, user)
