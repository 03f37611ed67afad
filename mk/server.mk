# talking-head serve: the live server's process and browser tests, and its load benchmark.
APT_PACKAGES += chromium chromium-driver
TEST_TARGETS += test-server
BROWSER_VENV ?= .venv-browser
SELENIUM_SPEC ?= selenium>=4.20,<5

.PHONY: test-server server-browser-venv bench-server

## Selenium (PyPI) in its own venv; Chromium and chromedriver come from apt (deps).
server-browser-venv:
	@$(BROWSER_VENV)/bin/python -c 'import selenium' 2>/dev/null || { \
	  $(PYTHON) -m venv $(BROWSER_VENV) && $(BROWSER_VENV)/bin/pip install -q '$(SELENIUM_SPEC)'; }

## The server as a real process on free loopback ports: SillyTavern's replay, our API, bad
## input, the API key, signals, idle CPU; then the page in headless Chromium.
test-server: deps weights server-browser-venv
	swift build $(TEST_FLAGS) --product talking-head
	bash Tests/Server/run_server_tests.sh .build/release/talking-head $(CURDIR)/Weights $(BROWSER_VENV)

## Live figures (Benchmarks/RESULTS.md): rates, latency, idle CPU, 20 viewers + 50 requests/s for 60 s.
bench-server: deps weights
	swift build $(SWIFT_FLAGS) --product talking-head
	$(PYTHON) Benchmarks/server_load.py .build/release/talking-head $(CURDIR)/Weights Weights/samples/crypko_00.png
