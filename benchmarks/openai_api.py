"""What the OpenAI-compatible endpoint costs over the chain itself and next to the Gradio API, warm, on the
seed corpus with the offline answerer: the same questions through chain.invoke in process, Gradio's
/chat (gradio_client), /v1/chat/completions (openai client) and its stream (time to the first piece of
text and to the end), alternating question by question; then parallel clients on /v1.

    python -m benchmarks.openai_api [--rounds N] [--clients N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from assistant.answer.chain import NewsdeskChain, build_services
from assistant.evaluation.cases import load_cases
from assistant.evaluation.metrics import percentile
from assistant.providers import make_embeddings
from assistant.settings import PROJECT_ROOT, Settings
from assistant.web.documents import IndexedDocuments
from assistant.web.launch import serve
from assistant.web.services import AppServices
from benchmarks.app_process import free_port
from ingest.pipeline import run_ingest

CASES = PROJECT_ROOT / "tests" / "eval" / "seed.jsonl"


def main() -> None:
    import openai
    from gradio_client import Client

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    questions = [case.question for case in load_cases([CASES])]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "index", use_llm=False, server_port=free_port())
        embeddings = make_embeddings(settings)
        run_ingest(settings, embeddings=embeddings)
        services = build_services(settings, embeddings=embeddings)
        chain = NewsdeskChain(services)
        demo, url = serve(AppServices(settings, chain, IndexedDocuments(services.store)))
        try:
            api = openai.OpenAI(base_url=url.rstrip("/") + "/v1", api_key="bench", max_retries=0)
            gradio = Client(url, verbose=False)

            def ask(question: str) -> list[dict[str, str]]:
                return [{"role": "user", "content": question}]

            def stream(question: str) -> float:
                """Seconds to the first piece of text."""
                started, first = time.perf_counter(), None
                for chunk in api.chat.completions.create(
                    model="newsdesk", messages=ask(question), stream=True
                ):
                    if first is None and chunk.choices and chunk.choices[0].delta.content:
                        first = time.perf_counter() - started
                return first or 0.0

            routes: dict[str, Callable[[str], object]] = {
                "chain.invoke (in process)": lambda q: chain.invoke({"question": q}),
                "Gradio /chat (gradio_client)": lambda q: gradio.predict(question=q, api_name="/chat"),
                "/v1/chat/completions": lambda q: api.chat.completions.create(
                    model="newsdesk", messages=ask(q)
                ),
                "/v1/chat/completions stream": stream,
            }
            for question in questions[:5]:  # warm-up
                for route in routes.values():
                    route(question)
            samples: dict[str, list[float]] = {name: [] for name in routes}
            first_text: list[float] = []
            for _ in range(args.rounds):
                for question in questions:
                    for name, route in routes.items():
                        started = time.perf_counter()
                        result = route(question)
                        samples[name].append((time.perf_counter() - started) * 1000)
                        if name.endswith("stream"):
                            first_text.append(float(result) * 1000)  # type: ignore[arg-type]
            print(f"{len(questions)} questions x {args.rounds} rounds, warm, offline answerer, seed corpus")
            for name, values in [*samples.items(), ("  stream: first text", first_text)]:
                p50, p95, mean = percentile(values, 50), percentile(values, 95), statistics.fmean(values)
                print(f"{name:32} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   mean {mean:6.1f} ms")

            def one(question: str) -> str:
                try:
                    api.chat.completions.create(model="newsdesk", messages=ask(question))
                    return "answered"
                except openai.RateLimitError:
                    return "busy"

            burst = questions * 2
            started = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                outcomes = list(pool.map(one, burst))
            elapsed = time.perf_counter() - started
            rate = len(burst) / elapsed
            print(
                f"{args.clients} parallel clients, {len(burst)} questions: {rate:.1f} answers/s, "
                f"{outcomes.count('busy')} told busy (concurrency {settings.concurrency_limit}, "
                f"line {settings.queue_size})"
            )
        finally:
            demo.close()


if __name__ == "__main__":
    main()
