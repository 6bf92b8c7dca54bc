# `make test` works on a fresh machine with only python3 and make: it builds the venv first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test lint bench dictionary serve clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check dicomcore app tests scripts benchmarks

test: $(STAMP) lint
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/read.py
	$(PY) benchmarks/write.py

serve: $(STAMP)
	$(PY) -m app

dictionary: $(STAMP)
	$(PY) scripts/gen_dictionary.py

clean:
	rm -rf $(VENV) build *.egg-info
