import Dispatch
import Foundation
import TalkingHead

/// Turns SIGINT and SIGTERM into a render cancellation while it lives, so an interrupted
/// render stops after the frame in progress and cleans up instead of dying mid-write.
final class SignalCancellation: @unchecked Sendable {
    let cancellation = RenderCancellation()
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var signal: Int32?

    /// The signal that arrived, if any.
    var received: Int32? { lock.lock(); defer { lock.unlock() }; return signal }

    init(signals: [Int32] = [SIGINT, SIGTERM]) {
        for s in signals {
            Foundation.signal(s, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                if self.signal == nil { self.signal = s }
                self.lock.unlock()
                self.cancellation.cancel()
            }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for s in sources { s.cancel() }
        Foundation.signal(SIGINT, SIG_DFL)
        Foundation.signal(SIGTERM, SIG_DFL)
    }
}
