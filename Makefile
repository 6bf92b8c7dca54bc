# `make test` works on a fresh machine with only python3 and make: it builds the venv first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SERVICE_STAMP := $(VENV)/.installed-service
NANIO := .venv-nanio/bin/nanio

.PHONY: test test-s3-alt lint bench bench-index bench-s3 dictionary serve fuzz fuzz-http soak attack clean

# `make serve` needs only the service extra; `make test` (and the rest) add the test extra.
$(SERVICE_STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[service]'
	touch $(SERVICE_STAMP)

$(STAMP): $(SERVICE_STAMP)
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check dicomcore app tests scripts benchmarks fuzz

test: $(STAMP) $(NANIO) lint
	$(PY) -m pytest -q

# A second S3 server: nanio (PyPI), objects as files, so a ranged GET reads its range where
# moto copies the whole object. Its own venv: in the project's, its uvicorn extras (uvloop,
# httptools) would change how the service under test runs. `make test` runs test_s3.py on it
# too; `make test-s3-alt` runs every S3 test on it instead of moto (3-4 minutes on 2 cores).
$(NANIO):
	python3 -m venv .venv-nanio
	.venv-nanio/bin/pip install -q 'nanio==0.1.7'

test-s3-alt: $(STAMP) $(NANIO)
	DICOMCORE_TEST_S3_SERVER=nanio $(PY) -m pytest -q -k s3 tests/app/test_s3.py \
		tests/app/test_storage_contract.py tests/app/test_instances.py \
		tests/app/test_replicas.py tests/app/test_crash.py

bench: $(STAMP)
	$(PY) benchmarks/read.py
	$(PY) benchmarks/to_json.py
	$(PY) benchmarks/write.py
	$(PY) benchmarks/service.py
	$(PY) benchmarks/deid.py
	$(PY) benchmarks/dicomweb.py

# The index and object-storage figures (issue 13): 100,000 indexed instances on SQLite and
# PostgreSQL, file vs S3 (moto, nanio) throughput, the S3 clients. Needs Debian's postgresql.
bench-index: $(STAMP) $(NANIO)
	$(PY) benchmarks/index.py

# A 1 GiB instance on S3, on moto and on nanio side by side: store, header JSON, ranges, RSS.
bench-s3: $(STAMP) $(NANIO)
	$(PY) benchmarks/s3.py

serve: $(SERVICE_STAMP)
	$(PY) -m app

# The long coverage-guided run (issue 6): a million inputs, each limited to 1 s.
FUZZ_RUNS ?= 1000000
fuzz: $(STAMP)
	$(PY) -m pip install -q 'atheris>=2.3'
	mkdir -p fuzz/work && cd fuzz/work && ../../$(PY) ../fuzz_dicom.py -runs=$(FUZZ_RUNS) \
		-timeout=1 -rss_limit_mb=1024 -max_len=70000 -print_final_stats=1

# Schemathesis against the OpenAPI document, longer than the run in `make test`.
fuzz-http: $(STAMP)
	DICOMCORE_SCHEMA_EXAMPLES=2000 $(PY) -m pytest -q -p no:logging tests/app/test_schema.py

# Ten minutes of mixed traffic at concurrency 32 against two workers (loopback only).
soak: $(STAMP)
	$(PY) -m tests.app.soak --seconds 600 --concurrency 32

# Issue 12's hostile inputs at full size against a real 2-worker server on loopback: per
# attack its status, worker peak RSS, time, /healthz latency and files left (measured).
attack: $(STAMP)
	$(PY) -m tests.app.attack

# The generated modules, from the repository's copy of the standard's tables (tables/).
dictionary: $(STAMP)
	$(PY) scripts/gen_dictionary.py
	$(PY) scripts/gen_private_dictionary.py
	$(PY) scripts/gen_uids.py
	$(PY) scripts/gen_deid_table.py

clean:
	rm -rf $(VENV) build *.egg-info
