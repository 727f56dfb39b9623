# The two commands that do everything on a fresh Debian 12 machine:
#   make demo   installs what is missing, builds, runs examples/ai-deploy
#   make test   installs what is missing, builds (normal + ASan/UBSan), runs every test
# Also: make bench, make fuzz, make soak, make format.
# Shipping: make install [PREFIX=/usr/local] [DESTDIR=...], make uninstall, make release (the
# reproducible stripped binary and its SHA-256), make deb (sluice_<version>_<arch>.deb from it),
# make release-assets (the .deb and SHA256SUMS a GitHub release v<version> holds), make release-check
# (two release builds must give the same binary and the same .deb; slow, not in make test).

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
RELEASE_BUILD ?= build-release
LTO        ?= OFF
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc)
CMAKE_GEN  := -G Ninja
SLUICE     := $(CURDIR)/$(BUILD)/sluice
export CCACHE_DIR ?= $(HOME)/.cache/ccache
# Absolute paths are rewritten relative to the checkout, so another clone (CI) hits the cache.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= true

.PHONY: all deps build asan demo test unit-test asan-test bench fuzz soak format clean \
        install uninstall release deb release-assets release-check

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

# The manifest cmake writes leaves DESTDIR out (and cpack overwrites it): keep our own, with it.
install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"
	@sed 's|^|$(DESTDIR)|' $(BUILD)/install_manifest.txt > $(BUILD)/installed-files.txt

uninstall:
	@cmake --build $(BUILD) --target uninstall

$(RELEASE_BUILD)/build.ninja: CMakeLists.txt | deps
	@cmake -S . -B $(RELEASE_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DSLUICE_RELEASE=ON -DSLUICE_LTO=$(LTO) -DSLUICE_WERROR=ON >/dev/null

# Every date in a release (the .deb's file times, the Debian changelog) is the commit's time, so
# two builds of one commit give the same bytes (scripts/release-check.sh checks it).
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

release: deps $(RELEASE_BUILD)/build.ninja
	@SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) cmake --build $(RELEASE_BUILD) -j $(JOBS) --target sluice sluice_docs
	@sha256sum $(RELEASE_BUILD)/sluice

deb: release
	@cd $(RELEASE_BUILD) && rm -f sluice_*.deb && umask 022 && SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) cpack -G DEB >/dev/null
	@sha256sum $(RELEASE_BUILD)/sluice_*.deb

# What a GitHub release v<version> holds (the Action downloads these): the .deb and SHA256SUMS.
release-assets: deb
	@scripts/release-assets.sh $(RELEASE_BUILD)/assets $(RELEASE_BUILD)/sluice_*.deb

release-check: deps
	@scripts/release-check.sh

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(RELEASE_BUILD)
