import ArgumentParser
import Foundation
import TalkingHead

/// Face capture files: `talking-head capture convert capture.csv --output poses.csv`.
struct Capture: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Face capture: convert a recorded capture into a pose CSV, or check a live sender.",
        subcommands: [Convert.self, Listen.self])

    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert a Live Link Face CSV (ARKit blendshapes) into a pose CSV at --fps.",
            discussion: """
                INPUT is a Live Link Face recording (header `Timecode,BlendShapeCount,EyeBlinkLeft,...`). \
                Its rows are resampled to --fps and converted as upstream THA3's iFacialMocap converter \
                does (smile gating, winks, eyebrows, irises, head, the vowel fit). Head angles are read \
                in --head-units (radians by default: no source states Live Link Face's unit). \
                --options takes a JSON file of converter settings (thresholds, eyebrowDownMode, \
                winkMode, ranges; see README). `talking-head animate IMAGE INPUT` renders such a file directly.
                """)

        @Argument(help: "The Live Link Face CSV.")
        var input: String

        @Option(name: .shortAndLong, help: ArgumentHelp("The pose CSV to write.", valueName: "file"))
        var output: String

        @Option(help: "Frames per second of the pose CSV.")
        var fps: Double = 25

        @Option(help: "Unit of HeadYaw/HeadPitch/HeadRoll and the eye angles: radians or degrees.")
        var headUnits: LiveLinkFaceRecording.HeadUnits = .radians

        @Option(help: ArgumentHelp("Converter settings as JSON (missing keys keep upstream's defaults).", valueName: "file"))
        var options: String?

        func validate() throws {
            guard fps > 0, fps <= 1000, fps.isFinite else { throw ValidationError("--fps must be in (0, 1000]") }
        }

        func run() throws {
            let converter = try FaceCaptureConverter(options: try loadCaptureOptions(options))
            let recording = try LiveLinkFaceRecording(contentsOf: URL(fileURLWithPath: input), headUnits: headUnits)
            let poses = try recording.poses(fps: fps, converter: converter)
            let text = PoseSequence(poses: poses).csvText(fps: fps)
            try OutputFile.write(Data(text.utf8), to: URL(fileURLWithPath: output))
            print("wrote \(poses.count) poses (\(recording.faces.count) rows at \(recording.frameRate) fps resampled to \(fps) fps) to \(output)")
        }
    }

    struct Listen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Receive a live face tracker and print, every second, its counters and the latest pose.",
            discussion: """
                Checks that a sender reaches this machine before `serve`: one of --ifacialmocap PHONE_IP \
                (UDP 49983; the start string is sent to the phone), --vmc (UDP 39539) or --openseeface \
                (UDP 11573). Each second prints a JSON line: source, port, packets received, accepted, \
                dropped, packets in the last second, last error, and the nonzero pose parameters.
                """)

        @Option(help: ArgumentHelp("Receive iFacialMocap from the phone at this IPv4 address.", valueName: "phone-ip"))
        var ifacialmocap: String?

        @Flag(help: "Receive VMC (OSC) blendshapes.")
        var vmc = false

        @Flag(help: "Receive OpenSeeFace packets.")
        var openseeface = false

        @Option(help: "UDP port (default: the protocol's).")
        var port: UInt16?

        @Option(help: "Address to listen on.")
        var bind: String = "0.0.0.0"

        @Option(help: "Stop after this many seconds (default: run until interrupted).")
        var seconds: Int?

        @Option(help: ArgumentHelp("Converter settings as JSON.", valueName: "file"))
        var options: String?

        func validate() throws {
            let chosen = [ifacialmocap != nil, vmc, openseeface].filter { $0 }.count
            guard chosen == 1 else { throw ValidationError("choose one of --ifacialmocap PHONE_IP, --vmc, --openseeface") }
            if let seconds, seconds < 1 { throw ValidationError("--seconds must be at least 1") }
        }

        func run() throws {
            let source: CaptureSource = ifacialmocap != nil ? .iFacialMocap : (vmc ? .vmc : .openSeeFace)
            let converter = try FaceCaptureConverter(options: try loadCaptureOptions(options))
            let latest = LatestPose()
            let listener = try CaptureListener(source: source, port: port, bindAddress: bind, converter: converter) { pose, _ in
                latest.set(pose)
            }
            defer { listener.stop() }
            if let phone = ifacialmocap {
                try listener.send(Array(IFacialMocapPacket.startString.utf8), to: phone, port: IFacialMocapPacket.port)
            }
            FileHandle.standardError.write(Data("listening for \(source.rawValue) on udp://\(bind):\(listener.port)\n".utf8))
            var elapsed = 0
            while seconds.map({ elapsed < $0 }) ?? true {
                sleep(1)
                elapsed += 1
                let s = listener.statistics
                var line: [String: Any] = ["source": s.source.rawValue, "port": Int(s.port), "received": s.packetsReceived,
                                           "accepted": s.packetsAccepted, "dropped": s.packetsDropped, "rate": s.packetRate]
                if let e = s.lastError { line["lastError"] = e }
                if let pose = latest.get() {
                    var values: [String: Double] = [:]
                    for p in PoseParameter.allCases where pose[p] != 0 { values[p.rawValue] = (Double(pose[p]) * 1000).rounded() / 1000 }
                    line["pose"] = values
                }
                let json = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
                print(String(decoding: json, as: UTF8.self))
                fflush(stdout)
            }
        }
    }
}

/// The last pose a listener delivered (set on its thread, read on the main one).
final class LatestPose: @unchecked Sendable {
    private let lock = NSLock()
    private var pose: PoseParameters?
    func set(_ p: PoseParameters) { lock.lock(); pose = p; lock.unlock() }
    func get() -> PoseParameters? { lock.lock(); defer { lock.unlock() }; return pose }
}

extension LiveLinkFaceRecording.HeadUnits: ExpressibleByArgument {}

/// Converter options from a JSON file, or the defaults.
func loadCaptureOptions(_ path: String?) throws -> FaceCaptureOptions {
    guard let path else { return FaceCaptureOptions() }
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        guard FileManager.default.fileExists(atPath: path) else { throw TalkingHeadError.fileNotFound(path: path) }
        throw TalkingHeadError.io(path: path, reason: "cannot read: \(error.localizedDescription)")
    }
    return try FaceCaptureOptions(json: data, source: path)
}
