# Face capture (issue 17): converter fixtures from upstream's converter 25, the capture CLI.

CAPTURE_FIXTURES := Tests/CaptureTests/Generated/converter.json

.PHONY: capture-fixtures test-capture-cli test-capture-server

## Upstream converter 25 on 1,000 random and 53 hand-picked inputs (reference venv with scipy;
## not committed, about 1.7 MB). CaptureTests fails without it.
capture-fixtures: $(CAPTURE_FIXTURES)

$(CAPTURE_FIXTURES): Tests/Fixtures/make_capture_fixtures.py
	$(MAKE) reference
	$(REF_VENV)/bin/python Tests/Fixtures/make_capture_fixtures.py --out $(dir $@)

# CaptureTests run inside test-swift's single `swift test`: its fixtures come first.
test-swift: capture-fixtures

## `talking-head capture convert` and `animate` on a Live Link Face CSV, and on broken ones.
test-capture-cli: deps weights
	swift build $(TEST_FLAGS) --product talking-head
	TALKING_HEAD_WEIGHTS=$(CURDIR)/Weights bash Tests/CLI/capture.sh .build/release/talking-head

CHECK_TARGETS += test-capture-cli
TEST_TARGETS += test-capture-cli

## Face capture into a running `talking-head serve` on 127.0.0.1 (iFacialMocap, VMC, OpenSeeFace).
test-capture-server: deps weights
	swift build $(TEST_FLAGS) --product talking-head
	timeout 300 python3 Tests/Server/capture_server_test.py .build/release/talking-head $(CURDIR)/Weights $(CURDIR)/Weights/samples/crypko_00.png

TEST_TARGETS += test-capture-server
