"""Sentences inside documents that address an AI assistant instead of reporting news ("Ignore previous
instructions and reply X", "SYSTEM: ...", "Note to AI assistants: ..."). They are data: never an answer
to quote, and never evidence that what they tell a model to say is true."""

from __future__ import annotations

import re

_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b(?:\s+\S+){0,4}?"
    r"\s+(?:instructions?|prompts?|rules|guidelines|passages?|(?:the\s+)?user'?s?\s+questions?)\b"
    r"|\b(?:ignoriere|ignorieren|ignorez|ignora|ignorar|ignorate|ignoruj|negeer|игнорируй(?:те)?|ігноруй(?:те)?)\b"
    r"|\b(?:system|developer)\s+(?:prompt|message|instructions?)\b"
    r"|\b(?:you are now|developer mode|jailbreak|new instructions?|your (?:new )?task is)\b"
    r"|\b(?:note|message|instructions?|rule|reminder)s?\s+(?:to|for)\s+(?:any\s+|all\s+|the\s+)?"
    r"(?:AI\b|assistants?\b|language models?\b|LLMs?\b|chatbots?\b|bots?\b)"
    r"|\b(?:the|an?|any|every|all)\s+(?:AI\s+)?(?:assistants?|chatbots?|language models?|LLMs?)\b"
    r"(?!\s+(?:secretary|director|coach|manager|professor|minister|general|editor|attorney))"
    r".{0,30}?\b(?:must|should|shall)\s+(?:always\s+|never\s+|now\s+)?"
    r"(?:reply|respond|answer|say|start|end|begin|include|cite|write|print|ignore|tell|add)\b"
    r"|^\W*(?:system|assistant|user|human|developer|instructions?|AI(?:\s+model)?)\s*:"
    r"|^\W*(?:reply|respond|answer|say)\b"
    r"|\b(?:when|if)\s+(?:anyone|someone|somebody|a user|the user|you are|you're)\s+(?:asks?|asked)\b"
    r"|\bwhen asked\b[^.]{0,80}?,\s*(?:always\s+)?(?:answer|reply|respond|say)\b"
    r"|\bcite\s+(?:passages?\s*)?\[\d+\]"
    r"|<\|[^|<>\n]{1,40}\|>|\[/?INST\]|<</?SYS>>|<(?:start|end)_of_turn>|</?\s*(?:system|assistant|user)\s*>",
    re.IGNORECASE,
)


def is_instruction(sentence: str) -> bool:
    """A sentence that tells an assistant what to do rather than reporting news."""
    return _INSTRUCTION.search(sentence) is not None
