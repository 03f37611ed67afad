import ArgumentParser
import Foundation
import TalkingHead
import TalkingHeadServer

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the character live: SillyTavern-Extras' talkinghead API, a JSON API, a web poser and an OBS page.",
        discussion: """
            Open http://HOST:PORT/ for the poser page (sliders, emotions, talking, background,
            upload), http://HOST:PORT/obs for an OBS Browser Source (transparent). In SillyTavern,
            set the Extras URL to http://HOST:PORT and enable the talkinghead option of Character
            Expressions. Frames render only while someone watches the feed. Ctrl-C stops it.
            """)

    @Option(help: "Address to listen on (a non-loopback address without --api-key prints a warning).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port, printed at start).")
    var port = 5100

    @Option(help: ArgumentHelp("The character to start with (a PNG with transparency).", valueName: "png"))
    var image: String?

    @Option(help: "Feed parts per second per viewer (the latest frame is re-sent when rendering is slower).")
    var fps: Double = 25

    @OptionGroup var weights: WeightsOption

    @Option(name: .customLong("api-key"), help: ArgumentHelp(
        "Require 'Authorization: Bearer KEY' on every endpoint but /healthz (?key=KEY for the page and the feed).",
        valueName: "key"))
    var apiKey: String?

    @Flag(name: .customLong("open-feed"), help: ArgumentHelp(
        "With --api-key, let the feed through without a key, as SillyTavern-Extras does (SillyTavern's <img> cannot send one)."))
    var openFeed = false

    @Option(help: ArgumentHelp("Emotion presets JSON replacing the built-in ones it names.", valueName: "file"))
    var emotions: String?

    @Option(help: ArgumentHelp("Animator settings JSON (blinking, breathing, sway, talking).", valueName: "file"))
    var animator: String?

    @Option(help: ArgumentHelp("Seed of the animator's randomness (blinks, sway), for repeatable runs.", valueName: "n"))
    var seed: UInt64?

    @Option(help: ArgumentHelp("Face capture from the iFacialMocap app on this phone (UDP 49983; the start string is sent to it).", valueName: "phone-ip"))
    var ifacialmocap: String?

    @Option(name: .customLong("ifacialmocap-port"), help: ArgumentHelp("Local UDP port for iFacialMocap.", valueName: "port"))
    var ifacialmocapPort: UInt16 = IFacialMocapPacket.port

    @Flag(help: "Face capture from a VMC sender (OSC blendshapes; UDP 39539 or --vmc-port).")
    var vmc = false

    @Option(name: .customLong("vmc-port"), help: ArgumentHelp("UDP port for --vmc.", valueName: "port"))
    var vmcPort: UInt16 = VMCReceiver.port

    @Flag(help: "Face capture from OpenSeeFace, the webcam tracker (UDP 11573 or --openseeface-port).")
    var openseeface = false

    @Option(name: .customLong("openseeface-port"), help: ArgumentHelp("UDP port for --openseeface.", valueName: "port"))
    var openseefacePort: UInt16 = OpenSeeFacePacket.port

    @Option(name: .customLong("capture-options"), help: ArgumentHelp("Face capture converter settings (JSON).", valueName: "file"))
    var captureOptions: String?

    @Option(name: .customLong("capture-bind"), help: ArgumentHelp("Address the face capture listeners bind (IPv4).", valueName: "address"))
    var captureBind = "0.0.0.0"

    func validate() throws {
        guard fps.isFinite, fps > 0, fps <= 120 else { throw ValidationError("--fps must be in (0, 120]") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        if let apiKey, apiKey.isEmpty { throw ValidationError("--api-key must not be empty") }
        if openFeed, apiKey == nil { throw ValidationError("--open-feed only matters with --api-key") }
    }

    func run() throws {
        var config = ServerConfiguration()
        config.host = host
        config.port = port
        config.fps = fps
        config.apiKey = apiKey
        config.openFeed = openFeed
        let settings = try animator.map { path in
            try AnimatorSettings(json: try readFile(path), source: path)
        } ?? AnimatorSettings()
        let presets = try emotions.map { path in
            try EmotionPresets.builtIn(overriddenBy: try readFile(path), source: path)
        } ?? .builtIn
        let start = Date()
        let head = try weights.load()
        let avatar = LiveAvatar(renderer: head, animator: Animator(settings: settings, emotions: presets, seed: seed),
                                configuration: config)
        if let image {
            try avatar.loadCharacter(pngData: try readFile(image), source: image)
        }
        try startCapture(avatar)
        if apiKey == nil, !config.isLoopback {
            FileHandle.standardError.write(Data("serve: warning: listening on \(host) without --api-key: anyone who can reach this address can control the server\n".utf8))
        }
        let server = LiveServer(avatar: avatar)
        let host = self.host
        let loaded = Date().timeIntervalSince(start)
        let done = DispatchSemaphore(value: 0)
        let failure = ErrorBox()
        Task {
            do {
                try await server.run { boundPort in
                    let shown = host.contains(":") ? "[\(host)]" : host
                    print("serve: listening on http://\(shown):\(boundPort)/ (weights loaded in \(String(format: "%.2f", loaded)) s; page /, OBS /obs, feed /api/talkinghead/result_feed)")
                    fflush(stdout)
                }
            } catch {
                failure.error = error
            }
            done.signal()
        }
        done.wait()
        if let error = failure.error { throw error }
        print("serve: stopped")
    }

    /// The face capture listeners asked for: each pose goes to the animator on the server's clock
    /// (CLOCK_MONOTONIC, the listeners' default) and is counted as an input of its source.
    private func startCapture(_ avatar: LiveAvatar) throws {
        let converter = try FaceCaptureConverter(options: try loadCaptureOptions(captureOptions))
        var wanted: [(CaptureSource, UInt16)] = []
        if ifacialmocap != nil { wanted.append((.iFacialMocap, ifacialmocapPort)) }
        if vmc { wanted.append((.vmc, vmcPort)) }
        if openseeface { wanted.append((.openSeeFace, openseefacePort)) }
        for (source, port) in wanted {
            let listener = try CaptureListener(source: source, port: port, bindAddress: captureBind, converter: converter) { [avatar] pose, time in
                avatar.animator.setCapture(pose, at: time)
                avatar.countInput(source: source.rawValue)
            }
            if source == .iFacialMocap, let phone = ifacialmocap {
                try listener.send(Array(IFacialMocapPacket.startString.utf8), to: phone, port: IFacialMocapPacket.port)
            }
            avatar.addCapture(listener)
            FileHandle.standardError.write(Data("serve: face capture \(source.rawValue) on udp://\(captureBind):\(listener.port)\n".utf8))
        }
    }

    private func readFile(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw TalkingHeadError.fileNotFound(path: path) }
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TalkingHeadError.io(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
    }
}

private final class ErrorBox: @unchecked Sendable { var error: Error? }
