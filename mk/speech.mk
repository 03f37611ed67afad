# Speech (issue 16): lip sync from audio, espeak-ng text-to-speech, video through ffmpeg.
APT_PACKAGES += libsndfile1-dev libsoxr-dev libfftw3-dev libespeak-ng-dev espeak-ng-data espeak-ng ffmpeg parallel
PKG_CONFIG_MODULES += sndfile soxr fftw3f espeak-ng
TEST_TARGETS += test-speech-cli

.PHONY: test-speech-cli bench-lipsync lipsync-train

## The speech commands (lipsync, say, animate --audio, --video) and their bad inputs.
test-speech-cli: deps weights
	swift build $(TEST_FLAGS) --product talking-head
	TALKING_HEAD_WEIGHTS=$(CURDIR)/Weights bash Tests/CLI/speech_cli.sh .build/release/talking-head

## The lip-sync evaluation on an espeak-ng corpus (not part of make test; see Benchmarks/RESULTS.md).
bench-lipsync: deps
	bash Benchmarks/lipsync_eval.sh

## Retrain the lip-sync templates and networks (fixed seeds; PyTorch from $(REF_VENV)), then evaluate.
lipsync-train: deps reference
	REF_VENV=$(REF_VENV) bash Benchmarks/lipsync_eval.sh --train
