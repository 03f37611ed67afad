import ArgumentParser
import TalkingHead

extension RGBColor: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}

/// `--set NAME=VALUE` settings checked with the library's one range check (at parse time, in
/// the command's `validate()`); the error names the setting.
func poseParameters(from settings: [String], clamp: Bool) throws -> PoseParameters {
    var params = PoseParameters()
    for setting in settings {
        do { try params.apply(setting: setting, clamp: clamp) } catch let error as TalkingHeadError {
            var message = error.description
            if let hint = hint(for: error) { message += "; \(hint)" }
            throw ValidationError(message)
        }
    }
    return params
}
