# Animator and emotion presets (issue 15). The library tests (AnimationTests) run in `swift test`.

CHECK_TARGETS += test-cli-emotions
TEST_TARGETS  += test-cli-emotions

.PHONY: test-cli-emotions emotion-sheet

## `talking-head emotions`: the list, the JSON it reads back, bad presets files (no weights).
test-cli-emotions: deps
	swift build $(TEST_FLAGS) --product talking-head
	bash Tests/CLI/emotions.sh .build/release/talking-head

## docs/emotions.png: the 28 presets on lambda_00 (Pillow from the reference venv: make reference).
emotion-sheet: deps weights
	swift build $(TEST_FLAGS) --product talking-head
	$(REF_VENV)/bin/python Scripts/make_emotion_sheet.py --weights Weights
