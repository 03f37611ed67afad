import Foundation
import XCTest
@testable import TalkingHead
#if canImport(Glibc)
import Glibc
#endif

/// The UDP listener on loopback: real datagrams to 127.0.0.1, poses and counters follow.
final class ListenerTests: XCTestCase {
    /// A UDP sender to 127.0.0.1.
    final class Sender {
        let fd: Int32
        init() { fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0) }
        deinit { close(fd) }
        func send(_ bytes: [UInt8], port: UInt16) {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let n = bytes.withUnsafeBytes { buf in
                withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, buf.baseAddress, buf.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            precondition(n == bytes.count, "sendto failed")
        }
    }

    /// Collects delivered poses.
    final class Sink: @unchecked Sendable {
        let lock = NSLock()
        var poses: [PoseParameters] = []
        func add(_ p: PoseParameters) { lock.withLock { poses.append(p) } }
        var count: Int { lock.withLock { poses.count } }
        var last: PoseParameters? { lock.withLock { poses.last } }
    }

    func waitFor(_ what: String, timeout: TimeInterval = 5, _ condition: () -> Bool) {
        let end = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() > end { return XCTFail("timed out waiting for \(what)") }
            usleep(2_000)
        }
    }

    func testEachProtocolOnLoopbackCountsBadPackets() throws {
        let converter = try FaceCaptureConverter()
        let good: [CaptureSource: [UInt8]] = [
            .iFacialMocap: Array("jawOpen&40|eyeBlink_L&80|=head#0,5,0,0,0,0|".utf8),
            .vmc: OSCPacket.bundle([OSCMessage(address: "/VMC/Ext/Blend/Val", arguments: [.string("EyeBlinkLeft"), .float(0.8)]),
                                    OSCMessage(address: "/VMC/Ext/Blend/Apply", arguments: [])]),
            .openSeeFace: OpenSeeFacePacket.encode(features: [-1] + [Float](repeating: 0, count: 13)),
        ]
        for source in CaptureSource.allCases {
            let sink = Sink()
            let listener = try CaptureListener(source: source, port: 0, bindAddress: "127.0.0.1", converter: converter) { pose, _ in sink.add(pose) }
            defer { listener.stop() }
            XCTAssertNotEqual(listener.port, 0)
            let sender = Sender()
            sender.send(Array("garbage \u{0}".utf8), port: listener.port)
            sender.send([], port: listener.port)
            for _ in 0..<20 { sender.send(good[source]!, port: listener.port) }
            waitFor("\(source) poses") { sink.count == 20 && listener.statistics.packetsReceived == 22 }
            let stats = listener.statistics
            XCTAssertEqual(stats.packetsDropped, 2, "\(source)")
            XCTAssertEqual(stats.packetsAccepted, 20, "\(source)")
            XCTAssertEqual(stats.posesDelivered, 20, "\(source)")
            XCTAssertNotNil(stats.lastError)
            XCTAssertGreaterThan(stats.packetRate, 0)
            XCTAssertEqual(sink.last?[.eyeWinkLeft] ?? 0, 1, accuracy: 1e-6, "\(source): the left eye closed")
            XCTAssertEqual(stats.jsonObject["packetsDropped"] as? Int, 2)
            XCTAssertTrue(JSONSerialization.isValidJSONObject(stats.jsonObject))
            XCTAssertTrue(CaptureStatistics.prometheusText([stats]).contains("talking_head_capture_packets_total{source=\"\(source.rawValue)\",result=\"dropped\"} 2\n"))
        }
    }

    func testSustainedRateOnLoopback() throws {
        // 2,000 full iFacialMocap datagrams (52 blendshapes, head, eyes), at most 32 in flight
        // (a sender that outruns the receiver only measures the kernel's buffer): every one
        // decoded and converted, none refused; the rate is printed for the report.
        let sink = Sink()
        let listener = try CaptureListener(source: .iFacialMocap, port: 0, bindAddress: "127.0.0.1",
                                           converter: try FaceCaptureConverter()) { pose, _ in sink.add(pose) }
        defer { listener.stop() }
        let packet = Array((ARKitBlendshape.allCases.map { "\($0.rawValue)&\($0.index)" }.joined(separator: "|")
            + "|=head#1.5,-2.25,3,0.01,0.02,0.03|rightEye#1,2,3|leftEye#1,2,3|").utf8)
        let sender = Sender()
        let start = Date()
        let deadline = start.addingTimeInterval(30)
        var sent = 0
        while sent < 2000 && Date() < deadline {
            if sent - listener.statistics.packetsReceived < 32 { sender.send(packet, port: listener.port); sent += 1 }
            else { usleep(100) }
        }
        waitFor("2000 datagrams") {
            let s = listener.statistics
            return s.packetsAccepted + s.packetsDropped >= 2000 && sink.count >= s.posesDelivered && s.posesDelivered >= 2000
        }
        let elapsed = Date().timeIntervalSince(start)
        let stats = listener.statistics
        XCTAssertEqual(stats.packetsDropped, 0)
        XCTAssertEqual(stats.packetsAccepted, 2000)
        XCTAssertEqual(sink.count, 2000)
        print("capture listener: \(stats.packetsAccepted) iFacialMocap datagrams of \(packet.count) bytes decoded and converted in "
              + "\(String(format: "%.3f", elapsed)) s on loopback = \(Int(Double(stats.packetsAccepted) / elapsed)) packets/s")
    }

    /// A clock the test moves by hand (the animator's and the listener's).
    final class ManualClock: @unchecked Sendable {
        let lock = NSLock()
        var now: TimeInterval = 10
        func read() -> TimeInterval { lock.withLock { now } }
        func set(_ t: TimeInterval) { lock.withLock { now = t } }
    }

    func testAnimatorFollowsCaptureAndTakesOverWhenItStops() throws {
        // Listener -> Animator.setCapture on the animator's clock; pose(at:) follows the
        // capture, and without packets for more than a second the animator takes over again.
        let clock = ManualClock()
        var settings = AnimatorSettings()
        settings.swayAmplitude = 0
        let animator = Animator(settings: settings, seed: 1)
        let listener = try CaptureListener(source: .iFacialMocap, port: 0, bindAddress: "127.0.0.1",
                                           converter: try FaceCaptureConverter(), clock: { clock.read() }) { pose, time in
            animator.setCapture(pose, at: time)
        }
        defer { listener.stop() }
        let sender = Sender()
        var t = 10.0
        var pose = animator.pose(at: t)
        XCTAssertEqual(pose[.headY], 0, accuracy: 0.05)
        // 1 s of capture at 30 packets/s: head turned 10 degrees (head_y -1), left eye closed.
        for i in 0..<30 {
            t = 10 + Double(i + 1) / 30
            clock.set(t)
            sender.send(Array("eyeBlink_L&100|jawOpen&0|=head#0,10,0,0,0,0|".utf8), port: listener.port)
            waitFor("packet \(i)") { listener.statistics.packetsAccepted == i + 1 }
            pose = animator.pose(at: t)
        }
        XCTAssertLessThan(pose[.headY], -0.8, "the head follows the capture")
        XCTAssertGreaterThan(pose[.eyeWinkLeft], 0.8, "the eye follows the capture")
        // No packets for 3 s: the animator's own pose again (head straight without sway).
        for i in 1...90 { pose = animator.pose(at: t + Double(i) / 30) }
        XCTAssertGreaterThan(pose[.headY], -0.2, "the animator took over after the capture stopped")
    }

    func testPortInUseIsAnError() throws {
        let a = try CaptureListener(source: .vmc, port: 0, bindAddress: "127.0.0.1", converter: try FaceCaptureConverter()) { _, _ in }
        defer { a.stop() }
        XCTAssertThrowsError(try CaptureListener(source: .vmc, port: a.port, bindAddress: "127.0.0.1", converter: try FaceCaptureConverter()) { _, _ in }) { error in
            guard case TalkingHeadError.io(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(path.contains("\(a.port)"))
        }
        XCTAssertThrowsError(try CaptureListener(source: .vmc, port: 0, bindAddress: "localhost", converter: try FaceCaptureConverter()) { _, _ in })
    }
}
