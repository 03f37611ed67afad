import Foundation

/// An OSC 1.0 message (opensoundcontrol.org spec 1.0): address, then typed arguments.
public struct OSCMessage: Equatable, Sendable {
    public enum Argument: Equatable, Sendable {
        case int(Int32), float(Float), string(String), blob([UInt8]), int64(Int64), double(Double)
        case timeTag(UInt64), bool(Bool), null, impulse
    }
    public var address: String
    public var arguments: [Argument]

    public init(address: String, arguments: [Argument]) {
        self.address = address
        self.arguments = arguments
    }

    /// The OSC encoding of this message (for senders and tests).
    public func encoded() -> [UInt8] {
        var out = OSCPacket.padded(address)
        var tags = ","
        var body: [UInt8] = []
        func be<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.bigEndian) { body += $0 } }
        for a in arguments {
            switch a {
            case .int(let v): tags += "i"; be(v)
            case .float(let v): tags += "f"; be(v.bitPattern)
            case .string(let v): tags += "s"; body += OSCPacket.padded(v)
            case .blob(let v):
                tags += "b"; be(Int32(v.count)); body += v
                body += [UInt8](repeating: 0, count: (4 - v.count % 4) % 4)
            case .int64(let v): tags += "h"; be(v)
            case .double(let v): tags += "d"; be(v.bitPattern)
            case .timeTag(let v): tags += "t"; be(v)
            case .bool(let v): tags += v ? "T" : "F"
            case .null: tags += "N"
            case .impulse: tags += "I"
            }
        }
        out += OSCPacket.padded(tags)
        return out + body
    }
}

/// OSC 1.0 packets: a message or a `#bundle` of elements (nested up to a depth limit).
/// Malformed, truncated or hostile input throws `TalkingHeadError.invalidInput` (source
/// "OSC packet"); nothing is returned for a packet that is not entirely valid.
public enum OSCPacket {
    static let source = "OSC packet"
    static let maxDepth = 8

    /// The messages of a packet, in order (bundles flattened).
    public static func parse(_ bytes: [UInt8]) throws -> [OSCMessage] {
        guard bytes.count <= 65_536 else { throw fail("\(bytes.count) bytes is larger than a datagram") }
        var out: [OSCMessage] = []
        try parse(bytes[...], depth: 0, into: &out)
        return out
    }

    /// A bundle of messages (time tag "immediately").
    public static func bundle(_ messages: [OSCMessage]) -> [UInt8] {
        var out = padded("#bundle")
        withUnsafeBytes(of: UInt64(1).bigEndian) { out += $0 }
        for m in messages {
            let e = m.encoded()
            withUnsafeBytes(of: Int32(e.count).bigEndian) { out += $0 }
            out += e
        }
        return out
    }

    static func parse(_ bytes: ArraySlice<UInt8>, depth: Int, into out: inout [OSCMessage]) throws {
        guard !bytes.isEmpty, bytes.count % 4 == 0 else { throw fail("size \(bytes.count) is not a positive multiple of 4") }
        if bytes.first == UInt8(ascii: "#") {
            guard depth < maxDepth else { throw fail("bundles nested deeper than \(maxDepth)") }
            var r = Reader(bytes: bytes)
            guard try r.string() == "#bundle" else { throw fail("an address starting with '#' that is not #bundle") }
            _ = try r.uint64()
            while !r.atEnd {
                let size = Int(try r.int32())
                guard size > 0, size % 4 == 0, size <= r.remaining else { throw fail("bundle element size \(size) with \(r.remaining) bytes left") }
                try parse(r.take(size), depth: depth + 1, into: &out)
            }
            return
        }
        var r = Reader(bytes: bytes)
        let address = try r.string()
        guard address.hasPrefix("/") else { throw fail("address \"\(address.prefix(40))\" does not start with '/'") }
        guard !r.atEnd else { out.append(OSCMessage(address: address, arguments: [])); return }  // OSC 1.0: tags optional
        let tags = try r.string()
        guard tags.hasPrefix(",") else { throw fail("type tags \"\(tags.prefix(40))\" do not start with ','") }
        var args: [OSCMessage.Argument] = []
        for tag in tags.dropFirst() {
            switch tag {
            case "i": args.append(.int(try r.int32()))
            case "f": args.append(.float(Float(bitPattern: UInt32(bitPattern: try r.int32()))))
            case "s", "S": args.append(.string(try r.string()))
            case "b":
                let n = Int(try r.int32())
                guard n >= 0, n <= r.remaining else { throw fail("blob of \(n) bytes with \(r.remaining) left") }
                args.append(.blob(Array(try r.take(n))))
                _ = try r.take((4 - n % 4) % 4)
            case "h": args.append(.int64(Int64(bitPattern: try r.uint64())))
            case "d": args.append(.double(Double(bitPattern: try r.uint64())))
            case "t": args.append(.timeTag(try r.uint64()))
            case "T": args.append(.bool(true))
            case "F": args.append(.bool(false))
            case "N": args.append(.null)
            case "I": args.append(.impulse)
            default: throw fail("type tag '\(tag)' is not supported")
            }
        }
        guard r.atEnd else { throw fail("\(r.remaining) bytes after the last argument of \(address)") }
        out.append(OSCMessage(address: address, arguments: args))
    }

    static func padded(_ s: String) -> [UInt8] {
        var b = Array(s.utf8) + [0]
        while b.count % 4 != 0 { b.append(0) }
        return b
    }

    static func fail(_ reason: String) -> TalkingHeadError {
        .invalidInput(source: source, field: nil, reason: reason)
    }

    /// Big-endian reads that throw instead of running past the end.
    struct Reader {
        var bytes: ArraySlice<UInt8>
        var atEnd: Bool { bytes.isEmpty }
        var remaining: Int { bytes.count }

        mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, n <= bytes.count else { throw OSCPacket.fail("truncated: \(n) bytes needed, \(bytes.count) left") }
            let out = bytes.prefix(n)
            bytes = bytes.dropFirst(n)
            return out
        }
        mutating func int32() throws -> Int32 {
            let b = try take(4)
            return b.reduce(Int32(0)) { ($0 << 8) | Int32($1) }
        }
        mutating func uint64() throws -> UInt64 {
            let b = try take(8)
            return b.reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
        }
        /// A NUL-terminated UTF-8 string padded to 4 bytes.
        mutating func string() throws -> String {
            guard let end = bytes.firstIndex(of: 0) else { throw OSCPacket.fail("string without its NUL terminator") }
            let length = end - bytes.startIndex
            guard let s = String(validating: bytes[bytes.startIndex..<end], as: UTF8.self) else { throw OSCPacket.fail("string is not UTF-8") }
            _ = try take((length / 4 + 1) * 4)
            return s
        }
    }
}
