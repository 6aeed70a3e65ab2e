# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
GW := $(BIN)/groomwatch
# No network at run time: models and data never come from a hub.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1

DEMO_DATA := data/demo
DEMO_MODEL := models/demo-tfidf
DEMO_REPORT := reports/demo
DEMO_PREDICTIONS := predictions/demo.csv
SERVE_DB ?= sqlite:///review.db
AUDIT_KEY ?= audit.key

.PHONY: install demo test test-slow lint serve bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev,ray]'
	touch $@

install: $(INSTALLED)

demo: install
	$(GW) synth --n 3000 --prevalence 0.1 --seed 7 --out $(DEMO_DATA)
	$(GW) data stats $(DEMO_DATA)
	$(GW) train --config tfidf --data $(DEMO_DATA) --out $(DEMO_MODEL) --seed 7
	$(GW) score --model $(DEMO_MODEL) --data $(DEMO_DATA)/test.jsonl --out $(DEMO_PREDICTIONS) --early
	$(GW) assess --predictions $(DEMO_PREDICTIONS) --data $(DEMO_DATA)/test.jsonl --out $(DEMO_REPORT) \
		--group-by language,platform

# The audit log's key lives beside the database, never in it (see README, Review service).
$(AUDIT_KEY): | install
	$(GW) audit new-key --out $@

serve: install $(AUDIT_KEY)
	@test -f $(DEMO_MODEL)/detector.json || { echo "error: no demo model at $(DEMO_MODEL); run make demo" >&2; exit 2; }
	-@GROOMWATCH_AUDIT_KEY_FILE=$(AUDIT_KEY) $(GW) users add demo --role lead --db $(SERVE_DB) --generate-password
	GROOMWATCH_AUDIT_KEY_FILE=$(AUDIT_KEY) $(GW) serve --model $(DEMO_MODEL) --db $(SERVE_DB) --host 127.0.0.1 --port 8000

test: install
	$(BIN)/python -m pytest

test-slow: install
	$(BIN)/python -m pytest -m slow

lint: install
	$(BIN)/ruff check groomwatch tests benchmarks notebooks

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $${GROOMWATCH_CACHE_DIR:-$$HOME/.cache/groomwatch} data models reports predictions mlruns mlartifacts mlflow.db review.db review.db-* audit.key
