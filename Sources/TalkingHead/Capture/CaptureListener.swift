import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counters of a capture listener (for `/api/state` and `/metrics`).
public struct CaptureStatistics: Sendable, Equatable, Codable {
    public var source: CaptureSource
    public var port: UInt16
    public var packetsReceived = 0
    /// Datagrams parsed whole (a VMC packet without Apply counts, without a pose).
    public var packetsAccepted = 0
    /// Datagrams refused (malformed, truncated, unknown name, NaN, out of range).
    public var packetsDropped = 0
    public var posesDelivered = 0
    /// The last refusal's message.
    public var lastError: String?
    /// Clock time of the last accepted datagram.
    public var lastPacketTime: TimeInterval?
    /// Accepted datagrams in the last second.
    public var packetRate: Double = 0

    /// For a JSON state object (`/api/state`): the fields above, lastError and lastPacketTime
    /// only when set.
    public var jsonObject: [String: Any] {
        var o: [String: Any] = ["source": source.rawValue, "port": Int(port), "packetsReceived": packetsReceived,
                                "packetsAccepted": packetsAccepted, "packetsDropped": packetsDropped,
                                "posesDelivered": posesDelivered, "packetRate": packetRate]
        if let lastError { o["lastError"] = lastError }
        if let lastPacketTime { o["lastPacketTime"] = lastPacketTime }
        return o
    }

    /// Prometheus exposition text (`/metrics`) for some listeners: packets by source and
    /// result, poses delivered and the packet rate, each family with its HELP and TYPE.
    public static func prometheusText(_ all: [CaptureStatistics]) -> String {
        guard !all.isEmpty else { return "" }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ lines: [(String, String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in lines { out += "\(name){\(labels)} \(value)\n" }
        }
        func src(_ s: CaptureStatistics) -> String { "source=\"\(s.source.rawValue)\"" }
        family("talking_head_capture_packets_total", "counter", "Face capture datagrams by source and result.",
               all.flatMap { s in [("\(src(s)),result=\"accepted\"", "\(s.packetsAccepted)"),
                                   ("\(src(s)),result=\"dropped\"", "\(s.packetsDropped)")] })
        family("talking_head_capture_poses_total", "counter", "Face capture poses handed to the animator.",
               all.map { (src($0), "\($0.posesDelivered)") })
        family("talking_head_capture_packets_per_second", "gauge", "Accepted face capture datagrams in the last second.",
               all.map { (src($0), "\($0.packetRate)") })
        return out
    }
}

/// A UDP receiver for one capture protocol on a background thread: every datagram is decoded
/// by `CaptureDecoder` and each pose handed to `onPose` with the time of `clock` (give the
/// clock the animator's `pose(at:)` uses, then `onPose` calls `animator.setCapture(pose, at: time)`).
/// Bad datagrams are counted and dropped; the listener keeps listening.
public final class CaptureListener: @unchecked Sendable {
    public let source: CaptureSource
    private let lock = NSLock()
    private var decoder: CaptureDecoder
    private var stats: CaptureStatistics
    private var recent: [TimeInterval] = []
    private var fd: Int32 = -1
    private var stopping = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    private let clock: @Sendable () -> TimeInterval
    private let onPose: @Sendable (PoseParameters, TimeInterval) -> Void

    /// The clock used when none is given: CLOCK_MONOTONIC in seconds (the server's clock too).
    public static let monotonic: @Sendable () -> TimeInterval = {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return TimeInterval(ts.tv_sec) + TimeInterval(ts.tv_nsec) * 1e-9
    }

    /// Binds `bindAddress:port` (IPv4; port 0 picks a free one, see `port`) and starts listening.
    /// - Throws: `TalkingHeadError.io` naming the address when the socket cannot be bound.
    public init(source: CaptureSource, port: UInt16? = nil, bindAddress: String = "0.0.0.0",
                converter: FaceCaptureConverter, clock: @escaping @Sendable () -> TimeInterval = CaptureListener.monotonic,
                onPose: @escaping @Sendable (PoseParameters, TimeInterval) -> Void) throws {
        self.source = source
        self.decoder = CaptureDecoder(source: source, converter: converter)
        self.clock = clock
        self.onPose = onPose
        let wanted = port ?? source.defaultPort
        let where_ = "udp://\(bindAddress):\(wanted)"
        #if canImport(Glibc)
        let s = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        #else
        let s = socket(AF_INET, SOCK_DGRAM, 0)
        #endif
        guard s >= 0 else { throw TalkingHeadError.io(path: where_, reason: "socket: \(String(cString: strerror(errno)))") }
        // No SO_REUSEADDR: with it Linux lets a second UDP socket share the port silently.
        // A larger receive buffer (the kernel caps it at net.core.rmem_max) absorbs bursts
        // while this thread waits for a core.
        var buffer: Int32 = 4 << 20
        setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buffer, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = wanted.bigEndian
        guard inet_pton(AF_INET, bindAddress, &addr.sin_addr) == 1 else {
            close(s)
            throw TalkingHeadError.io(path: where_, reason: "not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let reason = String(cString: strerror(errno))
            close(s)
            throw TalkingHeadError.io(path: where_, reason: "cannot listen: \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &length) }
        }
        fd = s
        stats = CaptureStatistics(source: source, port: UInt16(bigEndian: actual.sin_port))
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "capture-\(source.rawValue)"
        self.thread = thread
        thread.start()
    }

    deinit { stop() }

    /// The bound port.
    public var port: UInt16 { lock.withLock { stats.port } }

    /// A snapshot of the counters (the packet rate over the last second at the clock's now).
    public var statistics: CaptureStatistics {
        let now = clock()
        return lock.withLock {
            var s = stats
            s.packetRate = Double(recent.filter { $0 > now - 1 }.count)
            return s
        }
    }

    /// Sends a datagram from the listening socket (iFacialMocap's start string goes to the
    /// phone from port 49983, and the phone answers to that port).
    public func send(_ bytes: [UInt8], to host: String, port: UInt16) throws {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            throw TalkingHeadError.invalidInput(source: "capture", field: "host", reason: "\"\(host)\" is not an IPv4 address")
        }
        let sent = lock.withLock { () -> Int in
            guard fd >= 0 else { return -1 }
            return bytes.withUnsafeBytes { buf in
                withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, buf.baseAddress, buf.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        }
        guard sent == bytes.count else {
            throw TalkingHeadError.io(path: "udp://\(host):\(port)", reason: "send failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Stops the thread and closes the socket (idempotent).
    public func stop() {
        let wasRunning = lock.withLock { () -> Bool in
            guard !stopping, fd >= 0 else { return false }
            stopping = true
            return true
        }
        guard wasRunning else { return }
        finished.wait()
        lock.withLock {
            close(fd)
            fd = -1
        }
    }

    private func run() {
        let s = lock.withLock { fd }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !lock.withLock({ stopping }) {
            var p = pollfd(fd: s, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(s, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            guard n >= 0 else { continue }
            handle(Array(buffer[0..<n]))
        }
        finished.signal()
    }

    /// Decodes one datagram and updates the counters (also the entry point for tests).
    func handle(_ datagram: [UInt8]) {
        let now = clock()
        let result: Result<PoseParameters?, Error> = lock.withLock {
            stats.packetsReceived += 1
            return Result { try decoder.decode(datagram) }
        }
        switch result {
        case .success(let pose):
            lock.withLock {
                stats.packetsAccepted += 1
                stats.lastPacketTime = now
                recent.append(now)
                if recent.count > 4096 || (recent.first ?? now) < now - 2 { recent.removeAll { $0 < now - 1 } }
                if pose != nil { stats.posesDelivered += 1 }
            }
            if let pose { onPose(pose, now) }
        case .failure(let error):
            lock.withLock {
                stats.packetsDropped += 1
                stats.lastError = "\(error)"
            }
        }
    }
}
