"""Fetching an article page or a feed over HTTP for ingest: http(s) only, a timeout on every step, a cap on
the bytes read, redirects followed a few times and checked at each hop, and one clear sentence for
every way it can fail (offline, refused, not found, too large, too slow)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from assistant.errors import AssistantError

MAX_REDIRECTS = 5
USER_AGENT = "Newsdesk-ingest/1"
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")


class FetchError(AssistantError):
    """A URL could not be fetched; the message says why in one sentence."""


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # where the content came from, after redirects
    content_type: str  # the media type, lower case, without parameters
    data: bytes

    @property
    def is_feed(self) -> bool:
        if self.content_type in _FEED_TYPES or self.content_type.endswith(("+xml",)):
            return True
        head = self.data[:2048].lstrip().lower()
        return head.startswith(b"<?xml") and (b"<rss" in head or b"<feed" in head or b"<rdf" in head)


def is_url(text: str) -> bool:
    return "://" in text[:12]


def check_url(url: str) -> str:
    """The URL if it can be fetched at all (http or https, with a host); FetchError otherwise."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        scheme = parts.scheme or "no scheme"
        raise FetchError(f"Only http and https URLs can be ingested, not {scheme}: {url[:200]}")
    if not parts.hostname:
        raise FetchError(f"The URL has no host: {url[:200]}")
    return url


def fetch(url: str, *, timeout_s: float, max_bytes: int) -> Fetched:
    """The content at ``url`` (raises FetchError)."""
    import httpx

    current = check_url(url)
    try:
        with httpx.Client(
            follow_redirects=False, timeout=httpx.Timeout(timeout_s), headers={"User-Agent": USER_AGENT}
        ) as client:
            for _ in range(MAX_REDIRECTS + 1):
                with client.stream("GET", current) as response:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        current = check_url(urljoin(current, location))
                        continue
                    if response.status_code >= 400:
                        status = response.status_code
                        raise FetchError(f"{_host(current)} answered {status} for {current[:200]}")
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise FetchError(_too_large(current, max_bytes))
                    data = bytearray()
                    for piece in response.iter_bytes():
                        data += piece
                        if len(data) > max_bytes:
                            raise FetchError(_too_large(current, max_bytes))
                    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
                    return Fetched(current, media, bytes(data))
            raise FetchError(f"More than {MAX_REDIRECTS} redirects from {url[:200]}")
    except httpx.TimeoutException:
        host = _host(current)
        raise FetchError(f"{host} did not answer within {timeout_s:g} s ({current[:200]})") from None
    except httpx.ConnectError as exc:
        raise FetchError(
            f"Could not reach {_host(current)} ({_reason(exc)}); this machine may be offline."
        ) from None
    except httpx.HTTPError as exc:
        raise FetchError(f"Fetching {current[:200]} failed: {_reason(exc)}") from None


def _host(url: str) -> str:
    return urlsplit(url).netloc or url[:100]


def _too_large(url: str, max_bytes: int) -> str:
    return f"{url[:200]} is larger than {max_bytes / 1024 / 1024:g} MB (ASSISTANT_MAX_COLLECTION_MB)"


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:120]
