# Hardening (issue 19): the file writer, the input checks and the weights checks in XCTest, in
# the fast tier too (the command-line and converter cases run in test-cli and test-python).
CHECK_TARGETS += test-hardening

.PHONY: test-hardening
test-hardening: deps weights
	swift build $(TEST_FLAGS) --build-tests
	TALKING_HEAD_WEIGHTS=$(CURDIR)/Weights bash Scripts/swift_test.sh --filter 'IOTests|LoadingTests'
