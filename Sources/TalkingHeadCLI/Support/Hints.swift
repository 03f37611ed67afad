import TalkingHead

/// What a user can do about a library error, in command-line terms.
func hint(for error: TalkingHeadError) -> String? {
    switch error {
    case .invalidPoseFile(_, _, _, let reason) where reason.contains("outside the range"):
        return "pass --clamp to clamp values into their range instead"
    case .invalidInput(_, _, let reason) where reason.contains("outside the range"):
        return "pass --clamp to clamp values into their range instead"
    case .invalidWeights, .missingTensor, .unexpectedTensor, .shapeMismatch:
        return "run `make weights` to fetch and convert the THA3 weights (THA v1 checkpoints: "
            + "`python3 Weights/convert.py FOLDER OUTPUT_DIR`), then `talking-head weights verify`"
    case .invalidPoseFile(_, _, _, let reason) where reason.hasPrefix("Live Link Face CSV"):
        return "a Live Link Face CSV has 52 ARKit blendshapes in 0...1, then head and eye angles (README: Face capture)"
    case .unknownParameter, .invalidPoseFile:
        return "run `talking-head params` for the 45 names and their ranges"
    case .invalidConfiguration(let field, _) where field.hasPrefix("TALKING_HEAD_"):
        return "fix or unset the environment variable \(field)"
    default:
        return nil
    }
}

/// Exit status for a library error: 130 for a render interrupted by the user, else 1.
func exitStatus(for error: TalkingHeadError) -> Int32 {
    if case .cancelled = error { return 130 }
    return 1
}
