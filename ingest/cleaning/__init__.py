"""Cleaning: decoded document text in, clean news text and its metadata out. The steps, each a module of
its own: characters, markup, boilerplate, paragraphs, metadata; `document` runs them in order."""

from ingest.cleaning.document import CleanedDocument, clean_document

__all__ = ["CleanedDocument", "clean_document"]
