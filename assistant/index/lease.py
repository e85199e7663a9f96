"""One writer at a time per index: a file lock beside a local index, a lease on a Chroma server.

A file lock only keeps apart the ingests of one machine. On a server, the lock is a collection named
`<collection>-ingest-lock`: the server creates a name only once, so only one client can take it. Its
metadata says who holds it and until when; the holder renews it while it works (a thread, every third of
the lease), deletes it when done, and a lease left by a crashed ingest can be taken over once it has
expired. The take-over re-reads the lease just before deleting it, so only a lease that is still the same
expired one is removed."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from filelock import FileLock, Timeout

from assistant.errors import IndexBusyError, IndexUnavailableError
from assistant.settings import Settings

log = logging.getLogger(__name__)

LEASE_S = 60.0
POLL_S = 0.5
LOCK_NAME = ".ingest.lock"  # the file lock in a local index's folder


@contextlib.contextmanager
def writer_lock(settings: Settings, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the index's writer lock for the block: at once if it is free, else after telling ``on_wait``
    and waiting up to ``settings.ingest_lock_timeout_s``; IndexBusyError when it stays taken. A file lock
    for a local index, a lease for one on a Chroma server (which keeps apart the ingests of every machine
    that writes to it)."""
    local = not settings.chroma_url
    lock: FileLock | ServerLease = (
        FileLock(settings.index_dir / LOCK_NAME) if local else ServerLease(settings)
    )
    where = settings.index_location
    try:
        lock.acquire(timeout=0)
    except (Timeout, LeaseTimeout):
        wait = settings.ingest_lock_timeout_s
        if wait <= 0:
            raise IndexBusyError(
                f"Another ingest is running on {where}. Try again when it has finished."
            ) from None
        on_wait(f"Another ingest is running on this index; waiting up to {wait:g} s for it to finish…")
        try:
            lock.acquire(timeout=wait)
        except (Timeout, LeaseTimeout):
            raise IndexBusyError(
                f"Another ingest is still running on {where} after {wait:g} s. "
                "Try again when it has finished."
            ) from None
    try:
        yield
    finally:
        lock.release()


class LeaseTimeout(Exception):
    """The lease was not free within the time allowed."""


class ServerLease:
    def __init__(self, settings: Settings, *, lease_s: float = LEASE_S, client: Any = None) -> None:
        from assistant.providers import make_chroma_client

        self.client = client if client is not None else make_chroma_client(settings)
        self.name = f"{settings.collection}-ingest-lock"
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_s = lease_s
        self._renewing: threading.Thread | None = None
        self._stop = threading.Event()

    def acquire(self, timeout: float) -> None:
        """Take the lease, polling for up to `timeout` seconds (0: one try); LeaseTimeout if it stays
        taken."""
        deadline = time.monotonic() + timeout
        while not self._try_acquire():
            if time.monotonic() >= deadline:
                raise LeaseTimeout(self.holder() or "another ingest")
            time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))

    def release(self) -> None:
        if self._renewing is None:
            return
        self._stop.set()
        self._renewing.join(timeout=10)
        self._renewing = None
        if self._metadata().get("owner") == self.owner:
            self._delete()

    def holder(self) -> str | None:
        """Who holds the lease now, or None."""
        owner = self._metadata().get("owner")
        return str(owner) if owner else None

    # --- internals --------------------------------------------------------------------------------------
    def _lease(self) -> dict[str, Any]:
        return {"owner": self.owner, "expires": time.time() + self.lease_s}

    def _try_acquire(self) -> bool:
        try:
            self.client.create_collection(self.name, metadata=self._lease())
        except Exception:  # the name exists (or the server is away: then reading it fails below)
            current = self._metadata()
            if current and float(current.get("expires", 0)) < time.time():
                self._take_over(current)
            return False
        self._stop.clear()
        self._renewing = threading.Thread(target=self._renew, name="ingest-lease", daemon=True)
        self._renewing.start()
        return True

    def _take_over(self, expired: dict[str, Any]) -> None:
        if self._metadata() == expired:  # still the same expired lease, not one taken meanwhile
            log.warning("taking over the ingest lock that %s left expired", expired.get("owner"))
            self._delete()

    def _renew(self) -> None:
        while not self._stop.wait(self.lease_s / 3):
            try:
                if self._metadata().get("owner") != self.owner:
                    log.error("the ingest lock on the server was taken over while this ingest held it")
                    return
                self.client.get_collection(self.name).modify(metadata=self._lease())
            except Exception as exc:  # a server hiccup: the next renewal may succeed before the lease expires
                log.warning("could not renew the ingest lock: %s", exc)

    def _metadata(self) -> dict[str, Any]:
        from chromadb.errors import NotFoundError

        try:
            return dict(self.client.get_collection(self.name).metadata or {})
        except NotFoundError:
            return {}
        except Exception as exc:
            raise IndexUnavailableError(
                f"Cannot read the ingest lock on the Chroma server ({type(exc).__name__}). Is it running?"
            ) from None

    def _delete(self) -> None:
        from chromadb.errors import NotFoundError

        with contextlib.suppress(NotFoundError):
            self.client.delete_collection(self.name)
