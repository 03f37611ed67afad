import Foundation

/// A recording from Epic's Live Link Face app (its CSV export), recognised by its header
/// `Timecode,BlendShapeCount,EyeBlinkLeft,...`: 52 PascalCase ARKit blendshapes, then
/// `HeadYaw,HeadPitch,HeadRoll` and the eye angles, one row per frame.
///
/// - Timecode `HH:MM:SS:FF.sss`: FF is the frame within the second at the recording's rate and
///   `.sss` the fraction of a frame. The rate is not in the file: it is the smallest of
///   24, 25, 30, 48, 50, 60, 120 above the largest FF seen, unless given.
/// - Head and eye angles: no source states their unit; the app's values (±0.2 for eyes) look
///   like radians, the default here; `HeadUnits.degrees` reads them as degrees. HeadPitch maps
///   to the converter's x, HeadYaw to y, HeadRoll to z (iFacialMocap's order).
/// - Blendshape cells are finite numbers in 0...1; a broken row is refused with the file, the
///   1-based line and column (`TalkingHeadError.invalidPoseFile`).
public struct LiveLinkFaceRecording: Sendable {
    public enum HeadUnits: String, Sendable, Codable, CaseIterable { case radians, degrees }

    /// Seconds from the first row, one per row.
    public private(set) var times: [Double]
    /// The captured faces, one per row (head angles converted to degrees).
    public private(set) var faces: [FaceCaptureFrame]
    /// The recording's frame rate (given or inferred from the timecodes).
    public let frameRate: Double

    static let rotationColumns = ["HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch",
                                  "LeftEyeRoll", "RightEyeYaw", "RightEyePitch", "RightEyeRoll"]
    static let standardRates: [Double] = [24, 25, 30, 48, 50, 60, 120]

    /// True when `text` starts with a Live Link Face header (after an optional BOM).
    public static func recognises(_ text: Substring) -> Bool {
        let start = text.hasPrefix("\u{FEFF}") ? text.dropFirst() : text
        return start.hasPrefix("Timecode,BlendShapeCount,")
    }

    /// Reads a recording file.
    public init(contentsOf url: URL, headUnits: HeadUnits = .radians, frameRate: Double? = nil) throws {
        let path = url.path
        let data = try InputFile.read(url)
        guard let text = String(data: data, encoding: .utf8) else {
            throw TalkingHeadError.invalidPoseFile(path: path, line: 1, column: nil, reason: "not UTF-8 text")
        }
        try self.init(csv: text, path: path, headUnits: headUnits, frameRate: frameRate)
    }

    /// Parses CSV text; `path` names the source in errors.
    public init(csv text: String, path: String = "<csv>", headUnits: HeadUnits = .radians, frameRate: Double? = nil) throws {
        func fail(_ line: Int, _ column: Int?, _ reason: String) -> TalkingHeadError {
            .invalidPoseFile(path: path, line: line, column: column, reason: "Live Link Face CSV: " + reason)
        }
        if let frameRate, !(frameRate.isFinite && frameRate > 0 && frameRate <= 1000) {
            throw TalkingHeadError.invalidInput(source: path, field: "frame rate", reason: "must be within (0, 1000], got \(frameRate)")
        }
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline })
        if lines.first?.hasPrefix("\u{FEFF}") == true { lines[0] = lines[0].dropFirst() }
        guard let headerLine = lines.first, Self.recognises(headerLine) else {
            throw fail(1, nil, "the header must start with \"Timecode,BlendShapeCount,\"")
        }
        let header = headerLine.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        // Column kinds: blendshape, rotation index (0..<9), or the two leading columns.
        enum Column { case timecode, count, shape(ARKitBlendshape), rotation(Int) }
        var columns: [Column] = [.timecode, .count]
        var seen: [String: Int] = [:]
        for (i, name) in header.enumerated().dropFirst(2) {
            if let first = seen[name] { throw fail(1, i + 1, "column \"\(name)\" repeats column \(first + 1)") }
            seen[name] = i
            if let r = Self.rotationColumns.firstIndex(of: name) { columns.append(.rotation(r)); continue }
            guard let shape = ARKitBlendshape(name: name), shape.pascalCaseName == name else {
                throw fail(1, i + 1, "unknown column \"\(name)\" (expected the 52 ARKit blendshapes in PascalCase and \(Self.rotationColumns.joined(separator: ", ")))")
            }
            columns.append(.shape(shape))
        }
        let scale = headUnits == .radians ? 180 / Double.pi : 1
        var stamps: [(seconds: Int, frame: Double, line: Int)] = []
        var faces: [FaceCaptureFrame] = []
        for lineIndex in 1..<lines.count {
            let line = lines[lineIndex]
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == header.count else {
                throw fail(lineIndex + 1, nil, "row has \(cells.count) cells but the header has \(header.count)")
            }
            var face = FaceCaptureFrame()
            var rotation = [Double](repeating: 0, count: 9)
            for (i, cell) in cells.enumerated() {
                let text = cell.trimmingCharacters(in: .whitespaces)
                switch columns[i] {
                case .timecode:
                    guard let stamp = Self.parseTimecode(text) else {
                        throw fail(lineIndex + 1, i + 1, "\"\(text)\" is not a timecode HH:MM:SS:FF.sss")
                    }
                    stamps.append((stamp.seconds, stamp.frame, lineIndex + 1))
                case .count:
                    guard Int(text) != nil else { throw fail(lineIndex + 1, i + 1, "BlendShapeCount \"\(text)\" is not an integer") }
                case .shape(let shape):
                    guard let v = Double(text), v.isFinite else {
                        throw fail(lineIndex + 1, i + 1, "\"\(text)\" is not a finite number (\(shape.pascalCaseName))")
                    }
                    guard (0...1).contains(v) else {
                        throw fail(lineIndex + 1, i + 1, "\(shape.pascalCaseName) \(text) is outside 0...1")
                    }
                    face[shape] = Float(v)
                case .rotation(let r):
                    guard let v = Double(text), v.isFinite, abs(v * scale) <= 360 else {
                        throw fail(lineIndex + 1, i + 1, "\"\(text)\" is not an angle in \(headUnits.rawValue) (\(Self.rotationColumns[r]))")
                    }
                    rotation[r] = v * scale
                }
            }
            // Yaw, pitch, roll -> the converter's (x = pitch, y = yaw, z = roll).
            face.headDegrees = SIMD3(Float(rotation[1]), Float(rotation[0]), Float(rotation[2]))
            face.leftEyeDegrees = SIMD3(Float(rotation[4]), Float(rotation[3]), Float(rotation[5]))
            face.rightEyeDegrees = SIMD3(Float(rotation[7]), Float(rotation[6]), Float(rotation[8]))
            faces.append(face)
        }
        guard !faces.isEmpty else { throw fail(1, nil, "the header has no rows below it") }
        let maxFrame = stamps.map { Int($0.frame) }.max() ?? 0
        let rate: Double
        if let frameRate { rate = frameRate } else {
            guard let inferred = Self.standardRates.first(where: { $0 > Double(maxFrame) }) else {
                throw fail(stamps[0].line, 1, "frame number \(maxFrame) is above every standard rate; give the frame rate")
            }
            rate = inferred
        }
        var times: [Double] = []
        for stamp in stamps {
            guard stamp.frame < rate else { throw fail(stamp.line, 1, "frame \(Int(stamp.frame)) is not below the frame rate \(rate)") }
            let t = Double(stamp.seconds - stamps[0].seconds) + (stamp.frame - stamps[0].frame) / rate
            if let last = times.last, t < last {
                throw fail(stamp.line, 1, "the timecode goes backwards (\(t) s after \(last) s)")
            }
            times.append(t)
        }
        self.times = times
        self.faces = faces
        self.frameRate = rate
    }

    /// `HH:MM:SS:FF.sss` -> whole seconds and frames (with the fraction); nil when malformed.
    static func parseTimecode(_ text: String) -> (seconds: Int, frame: Double)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, let h = Int(parts[0]), let m = Int(parts[1]), let s = Int(parts[2]),
              (0..<100).contains(h), (0..<60).contains(m), (0..<60).contains(s),
              parts[3].allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let f = Double(parts[3]), f.isFinite, f >= 0 else { return nil }
        return (h * 3600 + m * 60 + s, f)
    }

    /// The face at `time` seconds: linear between the two recorded rows around it.
    public func face(at time: Double) -> FaceCaptureFrame {
        guard time > times[0] else { return faces[0] }
        guard time < times[times.count - 1] else { return faces[faces.count - 1] }
        var lo = 0, hi = times.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if times[mid] <= time { lo = mid } else { hi = mid }
        }
        let span = times[hi] - times[lo]
        let a = Float(span > 0 ? (time - times[lo]) / span : 0)
        var face = faces[lo]
        let next = faces[hi]
        for i in face.weights.indices { face.weights[i] += (next.weights[i] - face.weights[i]) * a }
        face.headDegrees += (next.headDegrees - face.headDegrees) * a
        return face
    }

    /// The recording resampled to `fps` (frames at 0, 1/fps, ... up to its last row) and
    /// converted to poses.
    public func poses(fps: Double, converter: FaceCaptureConverter) throws -> [PoseParameters] {
        guard fps.isFinite, fps > 0, fps <= 1000 else {
            throw TalkingHeadError.invalidInput(source: "capture", field: "fps", reason: "must be within (0, 1000], got \(fps)")
        }
        let duration = times[times.count - 1]
        let count = Int((duration * fps + 1e-9).rounded(.down)) + 1
        return (0..<count).map { converter.convert(face(at: Double($0) / fps), time: Double($0) / fps) }
    }
}
