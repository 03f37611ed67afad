import Foundation
import TalkingHead

/// One progress line on stderr: frames done of total, frames per second, time left.
final class ProgressLine: @unchecked Sendable {
    let enabled: Bool

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: RenderProgress) {
        guard enabled else { return }
        let line = String(format: "\rframe %d/%d  %.2f fps  %.0f s left ", p.done, p.total, p.framesPerSecond, p.secondsLeft)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func end() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
