import Foundation

/// Where rendered frames go: a folder of PNGs, an animated PNG, a video. `append` is called in
/// frame order; `finish` once after the last frame; `abandon` instead when the render fails or
/// is cancelled (a sink then leaves nothing under its final name that looks complete).
public protocol FrameSink: AnyObject {
    func append(_ frame: RenderedFrame) throws
    func finish() throws
    func abandon()
}

/// Frames as numbered PNG files in a folder: `000000.png`, `000001.png`, ... (each written
/// atomically, so a file under its final name is always complete).
public final class PNGSequenceWriter: FrameSink {
    public let directory: URL
    /// Added to a frame's index for its file name (a slice of a longer render keeps its numbers).
    public let firstNumber: Int
    public private(set) var written = 0

    public init(directory: URL, firstNumber: Int = 0) {
        self.directory = directory
        self.firstNumber = firstNumber
    }

    /// The file name of frame number `n`.
    public static func fileName(_ n: Int) -> String { String(format: "%06d.png", n) }

    public func url(ofFrame index: Int) -> URL {
        directory.appendingPathComponent(Self.fileName(firstNumber + index))
    }

    public func append(_ frame: RenderedFrame) throws {
        try OutputFile.write(try frame.pngData(), to: url(ofFrame: frame.index))
        written += 1
    }

    public func finish() throws {}

    /// The frames already written stay: each is complete, and the caller reports how many.
    public func abandon() {}
}

extension APNGWriter: FrameSink {
    public func append(_ frame: RenderedFrame) throws {
        try append(pngData: try frame.pngData(), width: frame.image.width, height: frame.image.height)
    }
}
