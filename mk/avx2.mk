# The AVX2 kernels (issue 18): the fidelity fixtures again with the vector level capped to AVX2,
# so an AVX-512 machine checks both paths (on an AVX2-only CPU it repeats the default run).

TEST_TARGETS += test-fidelity-avx2

.PHONY: test-fidelity-avx2

## The pipeline and network fidelity tests with TALKING_HEAD_MAX_VECTOR_LEVEL=avx2 (after test-swift's build).
test-fidelity-avx2: deps weights fixtures
	swift build $(TEST_FLAGS) --build-tests
	TALKING_HEAD_MAX_VECTOR_LEVEL=avx2 TALKING_HEAD_WEIGHTS=$(CURDIR)/Weights bash Scripts/swift_test.sh --filter 'FidelityTests\.(Pipeline|Network)FidelityTests'
