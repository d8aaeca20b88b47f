# accrue — the two commands are `make demo` and `make test` (README.md).
# Build dirs: build/release (make), build/debug, build/asan, build/tsan.
SHELL := /bin/bash
JOBS ?= 2
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")
CMAKE_FLAGS ?=
CTEST_FLAGS ?= --output-on-failure

.PHONY: all release debug asan tsan test demo deps format tidy clean fuzz fuzz-run

all: release

deps:
	@bash scripts/deps.sh

build/release/CMakeCache.txt:
	cmake -S . -B build/release -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

release: build/release/CMakeCache.txt
	cmake --build build/release -j$(JOBS)

build/debug/CMakeCache.txt:
	cmake -S . -B build/debug -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)

debug: build/debug/CMakeCache.txt
	cmake --build build/debug -j$(JOBS)

build/asan/CMakeCache.txt:
	cmake -S . -B build/asan -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DACCRUE_SANITIZE=ON $(CMAKE_FLAGS)

# Tests under AddressSanitizer + UBSan.
asan: deps build/asan/CMakeCache.txt
	cmake --build build/asan -j$(JOBS)
	cd build/asan && LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp ctest -j$(JOBS) $(CTEST_FLAGS)

build/tsan/CMakeCache.txt:
	cmake -S . -B build/tsan -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DACCRUE_TSAN=ON $(CMAKE_FLAGS)

# The concurrent tests under ThreadSanitizer: the event log (group commit, tails),
# the command service (run threads, completion), HTTP, and the property tests.
# Not part of `make test`: ~30 min from a clean tree on 2 cores (the build ~25 of
# them), ~7 min of tests; all passed on 2026-12-06 with tests/tsan.supp.
TSAN_ENV = TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp"
tsan: deps build/tsan/CMakeCache.txt
	cmake --build build/tsan -j$(JOBS)
	cd build/tsan && $(TSAN_ENV) ctest -j$(JOBS) $(CTEST_FLAGS) -L 'events|http|property'
	cd build/tsan && $(TSAN_ENV) ctest -j$(JOBS) $(CTEST_FLAGS) -R 'ServiceDurability|ServiceRun|RunCrash|BillRunCrash'

# Installs what is missing, builds the release tree, runs every test. Under CI
# (CI=true) the two fuzzers also run, FUZZ_SECONDS each, first, so ctest's summary
# stays the last thing printed.
test: deps
	$(MAKE) release
	@if [ -n "$$CI" ]; then $(MAKE) --no-print-directory fuzz-run FUZZ_SECONDS=60; fi
	cd build/release && ctest -j$(JOBS) $(CTEST_FLAGS)

# Installs, builds, and runs the main job end to end on the embedded default.
demo: deps
	$(MAKE) release
	bash scripts/demo.sh

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

tidy: build/release/CMakeCache.txt
	git ls-files '*.cpp' | grep -v _test.cpp | xargs clang-tidy -p build/release --quiet

clean:
	rm -rf build

# libFuzzer (clang-14) on the command decoder and on the decoders of stored bytes,
# FUZZ_SECONDS each (default 60).
FUZZ_SECONDS ?= 60
fuzz: deps fuzz-run
fuzz-run:
	bash scripts/fuzz.sh $(FUZZ_SECONDS)
