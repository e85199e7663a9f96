"""How the chat is served: safe launch options, the page's own style and script, and `serve`."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from assistant.errors import ConfigurationError
from assistant.settings import Settings
from assistant.web.login import parse_auth

if TYPE_CHECKING:
    import gradio as gr

    from assistant.web.services import AppServices

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(services: AppServices) -> tuple[gr.Blocks, str]:
    """Build the page and start serving it in the background with the safe launch options; (demo, url)."""
    from assistant.web.page import create_demo

    settings = services.settings
    demo = create_demo(services)
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=settings.concurrency_limit)
    app, url, _ = demo.launch(prevent_thread_lock=True, **launch_options(settings))
    from assistant.web.openai_routes import openai_router

    app.include_router(openai_router(services))  # the same server answers OpenAI clients: /v1/...
    return demo, url


def launch_options(settings: Settings) -> dict[str, Any]:
    """Arguments for `Blocks.launch`: never shared, no monitoring endpoint, uploads capped, and a login
    whenever the chat is reachable from beyond this machine."""
    auth = parse_auth(settings.auth.get_secret_value()) if settings.auth else None
    if auth is None and not is_loopback(settings.server_name):
        raise ConfigurationError(
            f"Serving on {settings.server_name} makes the chat reachable from other machines; "
            "set ASSISTANT_AUTH='user:password' first (or keep ASSISTANT_SERVER_NAME=127.0.0.1)."
        )
    return {
        "server_name": settings.server_name,
        "server_port": settings.server_port,
        "share": False,
        "auth": auth,
        "max_file_size": settings.max_file_bytes,
        "enable_monitoring": False,
        "show_error": False,  # unexpected errors reach the user as a friendly gr.Error, details in the log
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "footer_links": ["api"],
        "quiet": True,
        "css": PAGE_CSS,
        "head": PAGE_HEAD,
    }


PAGE_CSS = """
#nd-sources { max-height: 640px; overflow-y: auto !important; }
.nd-turn { margin-bottom: 0.6rem; }
.nd-turn > summary { cursor: pointer; font-weight: 600; padding: 0.3rem 0; }
.nd-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.5rem 0.7rem;
             margin: 0.4rem 0; transition: box-shadow 0.3s; }
.nd-source-head { font-size: 0.95rem; }
.nd-number { font-weight: 700; color: var(--color-accent); }
.nd-source-byline { font-size: 0.85rem; margin-top: 0.1rem; }
.nd-source-meta { font-size: 0.8rem; opacity: 0.8; margin: 0.15rem 0 0.3rem; }
.nd-passage { margin: 0; padding-left: 0.6rem; border-left: 3px solid var(--border-color-primary);
              font-size: 0.9rem; line-height: 1.45; }
.nd-passage mark { background: #fde68a; color: inherit; padding: 0 1px; }
.nd-flash { box-shadow: 0 0 0 3px var(--color-accent); }
.nd-no-sources, .nd-empty { opacity: 0.8; font-style: italic; }
#nd-status { min-height: 1.5rem; font-size: 0.9rem; }
"""

# A click on a marker [n] in an answer brings its source card into view (opening its turn's group) and
# flashes it. Event delegation: answers are rendered long after the page loads.
PAGE_HEAD = """
<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest('a[href^="#nd-src-"]');
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const card = document.getElementById(link.getAttribute("href").slice(1));
  if (!card) return;
  const group = card.closest("details");
  if (group) group.open = true;
  card.scrollIntoView({ behavior: "smooth", block: "nearest" });
  card.classList.remove("nd-flash");
  void card.offsetWidth;
  card.classList.add("nd-flash");
  setTimeout(() => card.classList.remove("nd-flash"), 1600);
}, true);
</script>
"""
