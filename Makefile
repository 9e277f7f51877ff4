# The two commands of README.md: `make demo` (the map on the demo region) and `make test`.
.PHONY: setup demo test lint bench

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/sitefinder demo

# What CI runs (.ci/run): the quality gates, then the whole suite (which includes a bench smoke
# run, tests/test_bench_smoke.py), in two processes (pytest-xdist), one test file at a time
# each, so that a module's fixtures are built once; each process has its own databases. Files go
# in their order (--no-loadscope-reorder): xdist's default, most tests first, left the longest
# single test (tests/test_contract_logged_in.py, minutes) to the end while the other process idled.
test: setup lint
	.venv/bin/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy sitefinder etl layers
	.venv/bin/lint-imports --no-cache

bench: setup
	.venv/bin/python bench/scoring_bench.py
