"""What the index holds, as a table for people."""

from __future__ import annotations

from assistant.settings import Settings
from assistant.store import IndexStore


def format_documents(settings: Settings) -> str:
    from rich.console import Console
    from rich.table import Table

    store = IndexStore.open(settings, model=settings.embedding_model, dimension=None, create=False)
    table = Table(title=f"Indexed documents ({settings.index_dir})", title_justify="left")
    for column in ("source", "title", "chunks", "dates", "ingested (UTC)"):
        table.add_column(column, overflow="fold")
    for source, record in sorted(store.documents().items()):
        table.add_row(
            source, record.title, str(record.chunk_count), ", ".join(record.dates), record.ingested_at[:16]
        )
    console = Console(width=120, record=True, force_terminal=False)
    with console.capture() as capture:
        console.print(table)
    return capture.get()
