/// The built-in emotion presets (`EmotionPresets.builtIn`), in the user file format; parameters
/// left out are 0. Kept in Swift so the library needs no resource bundle at run time;
/// `talking-head emotions --format json` prints them with all 45 names, as a starting point
/// for a file of one's own. Each pose was rendered on the sample characters and adjusted by eye
/// (`Scripts/make_emotion_sheet.py` draws them all: docs/emotions.png).
let builtInEmotionsJSON = #"""
{
  "admiration": {"eyebrow_raised_left": 0.5, "eyebrow_raised_right": 0.5, "eyebrow_happy_left": 0.4, "eyebrow_happy_right": 0.4, "eye_surprised_left": 0.2, "eye_surprised_right": 0.2, "mouth_raised_corner_left": 0.6, "mouth_raised_corner_right": 0.6, "mouth_aaa": 0.2, "head_x": -0.15},
  "amusement": {"eyebrow_happy_left": 0.7, "eyebrow_happy_right": 0.7, "eye_happy_wink_left": 0.6, "eye_happy_wink_right": 0.6, "mouth_aaa": 0.5, "mouth_raised_corner_left": 0.8, "mouth_raised_corner_right": 0.8, "neck_z": 0.1},
  "anger": {"eyebrow_angry_left": 1, "eyebrow_angry_right": 1, "eyebrow_lowered_left": 0.4, "eyebrow_lowered_right": 0.4, "eye_raised_lower_eyelid_left": 0.4, "eye_raised_lower_eyelid_right": 0.4, "iris_small_left": 0.3, "iris_small_right": 0.3, "mouth_lowered_corner_left": 0.6, "mouth_lowered_corner_right": 0.6, "mouth_aaa": 0.3, "head_x": 0.15},
  "annoyance": {"eyebrow_angry_left": 0.5, "eyebrow_angry_right": 0.5, "eye_unimpressed_left": 0.5, "eye_unimpressed_right": 0.5, "mouth_lowered_corner_left": 0.4, "mouth_lowered_corner_right": 0.4, "head_y": 0.15, "iris_rotation_y": -0.3},
  "approval": {"eyebrow_happy_left": 0.4, "eyebrow_happy_right": 0.4, "eye_relaxed_left": 0.3, "eye_relaxed_right": 0.3, "mouth_raised_corner_left": 0.7, "mouth_raised_corner_right": 0.7, "head_x": 0.2},
  "caring": {"eyebrow_troubled_left": 0.3, "eyebrow_troubled_right": 0.3, "eye_relaxed_left": 0.4, "eye_relaxed_right": 0.4, "mouth_raised_corner_left": 0.5, "mouth_raised_corner_right": 0.5, "neck_z": 0.2, "head_x": 0.1},
  "confusion": {"eyebrow_troubled_left": 0.8, "eyebrow_raised_right": 0.6, "eye_surprised_right": 0.3, "mouth_uuu": 0.3, "mouth_lowered_corner_left": 0.3, "neck_z": -0.35, "iris_rotation_x": 0.3},
  "curiosity": {"eyebrow_raised_left": 0.6, "eyebrow_raised_right": 0.6, "eye_surprised_left": 0.3, "eye_surprised_right": 0.3, "mouth_ooo": 0.2, "neck_z": 0.25, "head_y": -0.15},
  "desire": {"eyebrow_troubled_left": 0.4, "eyebrow_troubled_right": 0.4, "eye_relaxed_left": 0.6, "eye_relaxed_right": 0.6, "mouth_smirk": 0.5, "mouth_raised_corner_left": 0.3, "mouth_raised_corner_right": 0.3, "head_x": 0.15, "neck_z": 0.15},
  "disappointment": {"eyebrow_troubled_left": 0.7, "eyebrow_troubled_right": 0.7, "eye_relaxed_left": 0.5, "eye_relaxed_right": 0.5, "mouth_lowered_corner_left": 0.7, "mouth_lowered_corner_right": 0.7, "head_x": 0.3, "iris_rotation_x": 0.4},
  "disapproval": {"eyebrow_serious_left": 0.7, "eyebrow_serious_right": 0.7, "eye_unimpressed_left": 0.6, "eye_unimpressed_right": 0.6, "mouth_lowered_corner_left": 0.5, "mouth_lowered_corner_right": 0.5, "head_x": -0.1, "head_y": -0.2},
  "disgust": {"eyebrow_angry_left": 0.6, "eyebrow_angry_right": 0.6, "eyebrow_lowered_left": 0.5, "eyebrow_lowered_right": 0.5, "eye_unimpressed_left": 0.7, "eye_unimpressed_right": 0.7, "mouth_lowered_corner_left": 0.8, "mouth_lowered_corner_right": 0.8, "mouth_iii": 0.3, "head_x": -0.2, "head_y": 0.25},
  "embarrassment": {"eyebrow_troubled_left": 0.8, "eyebrow_troubled_right": 0.8, "eye_happy_wink_left": 0.3, "eye_happy_wink_right": 0.3, "mouth_delta": 0.4, "head_x": 0.35, "neck_z": 0.2, "iris_rotation_y": 0.4},
  "excitement": {"eyebrow_raised_left": 0.8, "eyebrow_raised_right": 0.8, "eye_surprised_left": 0.5, "eye_surprised_right": 0.5, "mouth_aaa": 0.8, "mouth_raised_corner_left": 0.8, "mouth_raised_corner_right": 0.8, "head_x": -0.2},
  "fear": {"eyebrow_troubled_left": 1, "eyebrow_troubled_right": 1, "eye_surprised_left": 0.8, "eye_surprised_right": 0.8, "iris_small_left": 0.7, "iris_small_right": 0.7, "mouth_eee": 0.3, "mouth_lowered_corner_left": 0.5, "mouth_lowered_corner_right": 0.5, "head_x": 0.2, "body_y": 0.15},
  "gratitude": {"eyebrow_happy_left": 0.6, "eyebrow_happy_right": 0.6, "eye_happy_wink_left": 0.8, "eye_happy_wink_right": 0.8, "mouth_raised_corner_left": 0.8, "mouth_raised_corner_right": 0.8, "head_x": 0.3},
  "grief": {"eyebrow_troubled_left": 1, "eyebrow_troubled_right": 1, "eye_relaxed_left": 0.8, "eye_relaxed_right": 0.8, "eye_raised_lower_eyelid_left": 0.3, "eye_raised_lower_eyelid_right": 0.3, "mouth_lowered_corner_left": 1, "mouth_lowered_corner_right": 1, "mouth_aaa": 0.15, "head_x": 0.5},
  "joy": {"eyebrow_happy_left": 1, "eyebrow_happy_right": 1, "eye_happy_wink_left": 1, "eye_happy_wink_right": 1, "mouth_aaa": 0.7, "mouth_raised_corner_left": 1, "mouth_raised_corner_right": 1, "head_x": -0.15},
  "love": {"eyebrow_happy_left": 0.7, "eyebrow_happy_right": 0.7, "eye_relaxed_left": 0.7, "eye_relaxed_right": 0.7, "mouth_raised_corner_left": 0.8, "mouth_raised_corner_right": 0.8, "mouth_uuu": 0.2, "neck_z": 0.25, "head_x": 0.1},
  "nervousness": {"eyebrow_troubled_left": 0.8, "eyebrow_troubled_right": 0.8, "eye_surprised_left": 0.3, "eye_surprised_right": 0.3, "iris_small_left": 0.4, "iris_small_right": 0.4, "mouth_delta": 0.5, "iris_rotation_y": 0.5, "head_x": 0.15},
  "neutral": {},
  "optimism": {"eyebrow_raised_left": 0.4, "eyebrow_raised_right": 0.4, "eyebrow_happy_left": 0.4, "eyebrow_happy_right": 0.4, "mouth_raised_corner_left": 0.7, "mouth_raised_corner_right": 0.7, "mouth_aaa": 0.2, "head_x": -0.25},
  "pride": {"eyebrow_serious_left": 0.3, "eyebrow_serious_right": 0.3, "eye_relaxed_left": 0.5, "eye_relaxed_right": 0.5, "mouth_smirk": 0.7, "mouth_raised_corner_left": 0.4, "mouth_raised_corner_right": 0.4, "head_x": -0.35, "neck_z": -0.1},
  "realization": {"eyebrow_raised_left": 1, "eyebrow_raised_right": 1, "eye_surprised_left": 0.7, "eye_surprised_right": 0.7, "iris_small_left": 0.3, "iris_small_right": 0.3, "mouth_ooo": 0.6, "head_x": -0.15},
  "relief": {"eyebrow_troubled_left": 0.3, "eyebrow_troubled_right": 0.3, "eyebrow_happy_left": 0.3, "eyebrow_happy_right": 0.3, "eye_happy_wink_left": 0.6, "eye_happy_wink_right": 0.6, "mouth_raised_corner_left": 0.5, "mouth_raised_corner_right": 0.5, "mouth_aaa": 0.3, "head_x": 0.2},
  "remorse": {"eyebrow_troubled_left": 0.9, "eyebrow_troubled_right": 0.9, "eye_relaxed_left": 0.6, "eye_relaxed_right": 0.6, "mouth_lowered_corner_left": 0.5, "mouth_lowered_corner_right": 0.5, "head_x": 0.45, "iris_rotation_x": 0.5},
  "sadness": {"eyebrow_troubled_left": 1, "eyebrow_troubled_right": 1, "eye_relaxed_left": 0.5, "eye_relaxed_right": 0.5, "mouth_lowered_corner_left": 0.8, "mouth_lowered_corner_right": 0.8, "head_x": 0.3, "iris_rotation_x": 0.3},
  "surprise": {"eyebrow_raised_left": 1, "eyebrow_raised_right": 1, "eye_surprised_left": 1, "eye_surprised_right": 1, "iris_small_left": 0.5, "iris_small_right": 0.5, "mouth_ooo": 0.8, "head_x": -0.2, "body_y": -0.05}
}
"""#
