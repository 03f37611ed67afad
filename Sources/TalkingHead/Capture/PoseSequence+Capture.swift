import Foundation

extension PoseSequence {
    /// Poses made elsewhere (a converted capture), every parameter a column.
    public init(poses: [PoseParameters]) {
        self.poses = poses
        self.parameters = PoseParameter.allCases
    }

    /// Reads a pose CSV, or a Live Link Face recording (recognised by its header) converted by
    /// `converter` and resampled to `fps`.
    public static func load(contentsOf url: URL, fps: Double, clamp: Bool = false,
                            converter: FaceCaptureConverter? = nil,
                            headUnits: LiveLinkFaceRecording.HeadUnits = .radians) throws -> PoseSequence {
        let path = url.path
        let data = try InputFile.read(url)
        guard let text = String(data: data, encoding: .utf8) else {
            throw TalkingHeadError.invalidPoseFile(path: path, line: 1, column: nil, reason: "not UTF-8 text")
        }
        guard LiveLinkFaceRecording.recognises(text[...]) else {
            return try PoseSequence(bytes: [UInt8](data), path: path, clamp: clamp)
        }
        let recording = try LiveLinkFaceRecording(csv: text, path: path, headUnits: headUnits)
        let poses = try recording.poses(fps: fps, converter: try converter ?? FaceCaptureConverter())
        return PoseSequence(poses: poses)
    }

    /// The poses as a pose CSV (`PoseSequence(csv:)` reads it back): a `time` column in
    /// seconds at `fps`, then the 45 parameters in upstream order, shortest exact decimals.
    public func csvText(fps: Double) -> String {
        var out = "time," + PoseParameter.allCases.map(\.rawValue).joined(separator: ",") + "\n"
        for (i, pose) in poses.enumerated() {
            out += "\(Double(i) / fps)," + pose.values.map { "\($0)" }.joined(separator: ",") + "\n"
        }
        return out
    }
}
