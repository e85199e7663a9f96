"""Transformer encoders on the CPU through OpenVINO, without torch when they run.

A model is exported once from its packaged weights (a sentence-transformers or Hugging Face folder:
config.json, model.safetensors, tokenizer.json) into the models folder, by torch at build time, and then
only OpenVINO and the `tokenizers` library are needed:

    python -m assistant.providers.models         # `make models`: build what the settings need

What a build wrote is checked when it is loaded (sizes and sha256 against its manifest): a missing or
damaged file is one ConfigurationError that names the fix. Inference runs in bf16 where the CPU has
bf16 instructions (AVX512-BF16 or AMX) and in fp32 elsewhere; batches are sorted by length so that little
is padded; each thread has its own infer request, so concurrent callers run in parallel."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np

from assistant.errors import ConfigurationError

if TYPE_CHECKING:
    from tokenizers import Encoding, Tokenizer

log = logging.getLogger(__name__)
T = TypeVar("T")

EXPORT_VERSION = 1  # bump when the export changes what a built model computes
MANIFEST = "manifest.json"
MODEL_FILES = ("model.xml", "model.bin")
Precision = Literal["bf16", "f32"]
Output = Literal["hidden", "logits"]  # last hidden state (to pool into embeddings) or a classifier's logits


def cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def best_precision(flags: frozenset[str] | None = None) -> Precision:
    """bf16 where the CPU computes it natively, else fp32 (emulated bf16 would only be slower)."""
    flags = cpu_flags() if flags is None else flags
    return "bf16" if {"avx512_bf16", "amx_bf16"} & flags else "f32"


def default_threads() -> int:
    """One inference thread per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# --- building ------------------------------------------------------------------------------------------
SOURCE_FILES = ("config.json", "tokenizer.json", "model.safetensors")


def source_fingerprint(source: Path) -> str:
    """What a build is made from: the weights, the config and the tokenizer of the source folder."""
    digest = hashlib.sha256(f"export-{EXPORT_VERSION}".encode())
    for name in SOURCE_FILES:
        digest.update(name.encode())
        digest.update(_file_sha256(_source_file(source, name)).encode())
    return digest.hexdigest()[:16]


def _source_stats(source: Path) -> dict[str, list[int]]:
    stats = {}
    for name in SOURCE_FILES:
        info = _source_file(source, name).stat()
        stats[name] = [info.st_size, info.st_mtime_ns]
    return stats


def _source_file(source: Path, name: str) -> Path:
    path = source / name
    if not path.is_file():
        raise ConfigurationError(f"The model folder {source} has no {name}; it cannot be exported.")
    return path


def build(source: Path, target: Path, *, output: Output, max_length: int) -> Path:
    """Export the model in ``source`` to an OpenVINO model in ``target`` (replaced whole, never half
    written). Needs torch and transformers, which serving does not."""
    started = time.perf_counter()
    fingerprint = source_fingerprint(source)
    # The converter reports usage to Intel through openvino_telemetry when it can import it; without it
    # it uses its own no-op stub. Nothing leaves the machine, and nothing is written to ~/intel.
    sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]
    try:
        import openvino as ov
        import torch
        from transformers import AutoModel, AutoModelForSequenceClassification
        from transformers.utils import logging as transformers_logging
    except ImportError as exc:
        raise ConfigurationError(
            f"Building the inference model needs torch, transformers and openvino ({exc.name} is missing)."
        ) from exc
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    loader = AutoModel if output == "hidden" else AutoModelForSequenceClassification
    model = loader.from_pretrained(str(source), attn_implementation="eager").eval()

    class Traced(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            result = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return result.last_hidden_state if output == "hidden" else result.logits

    example = torch.ones((2, 16), dtype=torch.long)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shapes: the inputs stay dynamic
        converted = ov.convert_model(
            Traced(),
            example_input={"input_ids": example, "attention_mask": example, "token_type_ids": example * 0},
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        ov.save_model(converted, str(staging / "model.xml"), compress_to_fp16=False)
        shutil.copy2(source / "tokenizer.json", staging / "tokenizer.json")
        manifest = {
            "source": str(source),
            "source_stats": _source_stats(source),
            "fingerprint": fingerprint,
            "export_version": EXPORT_VERSION,
            "output": output,
            "max_length": max_length,
            "openvino": ov.__version__,
            "files": {
                name: {"bytes": (staging / name).stat().st_size, "sha256": _file_sha256(staging / name)}
                for name in (*MODEL_FILES, "tokenizer.json")
            },
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        staging.chmod(0o755)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("built %s in %.1f s", target, time.perf_counter() - started)
    return target


def is_built(source: Path, target: Path) -> bool:
    """Whether ``target`` holds a build of exactly ``source`` (it may still be damaged: see load). The
    source's files are hashed only when their sizes or times changed since the build."""
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if manifest.get("export_version") != EXPORT_VERSION:
        return False
    if manifest.get("source") == str(source) and manifest.get("source_stats") == _source_stats(source):
        return True
    return manifest.get("fingerprint") == source_fingerprint(source)


def ensure_built(source: Path, target: Path, *, output: Output, max_length: int) -> Path:
    """``target`` built from ``source``; built now (a few seconds, once) when it is not."""
    if not is_built(source, target):
        log.warning("Building the inference model %s from %s (once, a few seconds)…", target.name, source)
        build(source, target, output=output, max_length=max_length)
    return target


# --- running -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Batch:
    """Tokenized texts padded to one length: the model's three inputs and which rows they are."""

    rows: list[int]  # positions in the caller's list
    input_ids: np.ndarray
    attention_mask: np.ndarray
    token_type_ids: np.ndarray


class Encoder:
    """A compiled model and its tokenizer, one inference spread over ``threads`` threads. Safe to call
    from several threads at once: each has its own infer request, and they run side by side."""

    def __init__(self, folder: Path, *, precision: Precision, threads: int) -> None:
        manifest = _checked_manifest(folder)
        try:
            import openvino as ov
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ConfigurationError(f"Install openvino and tokenizers to run {folder.name}.") from exc
        self.folder = folder
        self.precision = precision
        self.threads = threads
        self.output: Output = manifest["output"]
        self.max_length = int(manifest["max_length"])
        try:
            self._tokenizer: Tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            core = ov.Core()
            self._compiled = core.compile_model(
                core.read_model(str(folder / "model.xml")),
                "CPU",
                {
                    "INFERENCE_PRECISION_HINT": precision,
                    "INFERENCE_NUM_THREADS": threads,
                    "PERFORMANCE_HINT": "LATENCY",
                    # Unpinned: a pinned thread waits for its core when another process takes it.
                    "ENABLE_CPU_PINNING": False,
                },
            )
        except ConfigurationError:
            raise
        except Exception as exc:  # OpenVINO's and tokenizers' parse errors have no common base
            raise _damaged(folder, f"{type(exc).__name__}: {str(exc)[:120]}") from None
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.max_length)
        self._local = threading.local()

    @property
    def variant(self) -> str:
        return f"openvino-{self.precision}"

    def batches(self, texts: Sequence[str | tuple[str, str]], batch_size: int) -> list[Batch]:
        """The texts (or text pairs) tokenized, sorted by length and cut into padded batches."""
        encodings: list[Encoding] = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        found = []
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            length = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), length), dtype=np.int64)
            mask = np.zeros_like(ids)
            types = np.zeros_like(ids)
            for row, index in enumerate(rows):
                encoding = encodings[index]
                n = len(encoding.ids)
                ids[row, :n] = encoding.ids
                mask[row, :n] = 1
                types[row, :n] = encoding.type_ids
            found.append(Batch(rows, ids, mask, types))
        return found

    def run(self, batch: Batch) -> np.ndarray:
        """The model's output for one batch (hidden states [rows, length, width] or logits [rows, n])."""
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._compiled.create_infer_request()
        result = request.infer(_inputs(batch))
        return np.array(next(iter(result.values())), dtype=np.float32)

    def map(self, batches: Sequence[Batch], reduce: Callable[[Batch, np.ndarray], T]) -> list[T]:
        """``reduce(batch, output)`` for every batch, in order; the outputs themselves are not kept.

        One inference at a time over every thread: measured on the BBC ingest (where the caller's
        thread stores the previous batch meanwhile), that beat one stream per thread (64.5 s against
        69 s), though streams do better against a process that spins on one core."""
        return [reduce(batch, self.run(batch)) for batch in batches]


def _inputs(batch: Batch) -> dict[str, np.ndarray]:
    return {
        "input_ids": batch.input_ids,
        "attention_mask": batch.attention_mask,
        "token_type_ids": batch.token_type_ids,
    }


@lru_cache(maxsize=8)
def load_encoder(folder: Path, precision: Precision, threads: int) -> Encoder:
    """One compiled encoder per model, precision and thread count in this process."""
    return Encoder(folder, precision=precision, threads=threads)


def _checked_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"The inference model {folder} is missing. Build it: make models "
            "(or python -m assistant.providers.models)"
        ) from None
    except (OSError, ValueError) as exc:
        raise _damaged(folder, f"unreadable {MANIFEST}: {exc}") from None
    for name, expected in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            raise _damaged(folder, f"{name} is missing")
        if path.stat().st_size != expected["bytes"] or _file_sha256(path) != expected["sha256"]:
            raise _damaged(folder, f"{name} does not match its manifest")
    return manifest


def _damaged(folder: Path, why: str) -> ConfigurationError:
    return ConfigurationError(
        f"The inference model {folder} is damaged ({why}). Rebuild it: make models "
        f"(or delete {folder} and it is built again on first use)"
    )


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
