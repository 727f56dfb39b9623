# The two commands that do everything on a fresh Debian 12 machine:
#   make demo   installs what is missing, builds, runs examples/ai-deploy
#   make test   installs what is missing, builds (normal + ASan/UBSan), runs every test
# Also: make bench, make fuzz, make soak, make format.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
CMAKE_GEN  := -G Ninja
SLUICE     := $(CURDIR)/$(BUILD)/sluice
export CCACHE_DIR ?= $(HOME)/.cache/ccache
# Absolute paths are rewritten relative to the checkout, so another clone (CI) hits the cache.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= true

.PHONY: all deps build asan demo test unit-test asan-test bench fuzz soak format clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt | deps
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DSLUICE_WERROR=ON >/dev/null

build: deps $(BUILD)/build.ninja
	@cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/build.ninja: CMakeLists.txt | deps
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON -DSLUICE_WERROR=ON >/dev/null

asan: deps $(ASAN_BUILD)/build.ninja
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

demo: build
	@examples/ai-deploy/run-demo.sh $(SLUICE)

unit-test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE soak

asan-test: asan
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -LE 'no-sanitize|soak'

test: unit-test asan-test
	@echo "make test: all suites passed (normal and ASan+UBSan builds)"

bench: deps
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DSLUICE_BENCH=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@bench/run-all.sh $(CURDIR)/$(BUILD)

fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_FUZZ=ON \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target \
	  $$(cmake --build $(FUZZ_BUILD) --target help | sed -n 's/^\(fuzz_[a-z0-9_]*\): .*/\1/p')
	@fuzz/run-all.sh $(CURDIR)/$(FUZZ_BUILD) $${FUZZ_SECONDS:-60}

soak: build asan
	@cd $(BUILD) && ctest --output-on-failure -L soak
	@cd $(ASAN_BUILD) && ctest --output-on-failure -L soak

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
