# Cloister: the two commands a new machine needs are `make run` and
# `make test`; each installs what is missing first (scripts/bootstrap).

BUILD      ?= build
TEST_BUILD ?= build-test
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
VECTORS    ?= $(CURDIR)/../shared/vectors
FUZZ_SECONDS ?= 600

.PHONY: all run demo test bench fuzz lint format clean bootstrap build dlp-eval

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release \
	    -DCLOISTER_VECTORS=$(VECTORS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The main job: the gateway on the bundled demo configuration.
run: build
	@scripts/run $(BUILD)/cloister

# The offline verifiers on real evidence, and an evidence round trip.
demo: build
	@scripts/demo $(BUILD)/cloister $(VECTORS)

test: bootstrap
	@cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	    -DCLOISTER_SANITIZE=ON -DCLOISTER_TEST_HOOKS=ON \
	    -DCLOISTER_VECTORS=$(VECTORS) >/dev/null
	@cmake --build $(TEST_BUILD) -j $(JOBS)
	@cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@scripts/bootstrap --bench
	@bench/run $(BUILD) $(VECTORS)
	@bench/run-gpu $(BUILD) $(VECTORS)
	@bench/run-gateway $(BUILD)
	@bench/run-agents $(BUILD)
	@bench/run-mcp $(BUILD)
	@bench/run-proxy $(BUILD)
	@bench/run-workspace $(BUILD)
	@bench/run-ledger $(BUILD)

# The DLP scanner's precision and recall on a labelled corpus of public
# fixtures and code, beside secretlint (tests/dlp/eval/README.md).
dlp-eval: build
	@scripts/bootstrap --dlp-eval
	@tests/dlp/eval/run $(BUILD)/cloister

fuzz:
	@scripts/bootstrap --fuzz
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DCLOISTER_FUZZ=ON -DCLOISTER_VECTORS=$(VECTORS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS) $(VECTORS)

lint:
	@scripts/lint

format:
	@clang-format -i $$(git ls-files "lib/*.[ch]" "net/*.[ch]" "daemon/*.[ch]" "proxy/*.[ch]" "cli/*.[ch]" "include/*.h")

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(FUZZ_BUILD)
