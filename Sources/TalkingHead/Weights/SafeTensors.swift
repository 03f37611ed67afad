import Foundation

/// A parsed safetensors file (https://github.com/huggingface/safetensors): an 8-byte
/// little-endian header length, a JSON header mapping names to dtype, shape and byte range,
/// then the raw data. Only F32 tensors are accepted.
///
/// Everything in the header is validated before any tensor is touched: the header length is
/// bounded by the file size, the JSON is well formed, every entry has dtype F32, a shape of
/// non-negative sizes whose byte count matches its range, and ranges lie inside the data and
/// do not overlap. Errors are `TalkingHeadError.invalidWeights` naming the file and the key.
struct SafeTensorsFile {
    struct Entry: Equatable {
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    /// The file this was read from (for error messages).
    let path: String
    /// Name -> entry, for every tensor in the file.
    let entries: [String: Entry]
    /// The `__metadata__` string map, empty when absent.
    let metadata: [String: String]
    /// The whole file, memory-mapped.
    private let bytes: Data
    /// Offset of the data section in `bytes`.
    private let dataStart: Int

    /// Largest header accepted: far above any real one, small enough to parse safely.
    static let maxHeaderLength = 64 << 20

    init(contentsOf url: URL) throws {
        let path = url.path
        try self.init(data: try InputFile.read(url, mapped: true), path: path)
    }

    init(data: Data, path: String) throws {
        func fail(_ reason: String, key: String? = nil) -> TalkingHeadError {
            .invalidWeights(path: path, key: key, reason: reason)
        }
        self.path = path
        self.bytes = data
        guard data.count >= 8 else { throw fail("file too short for a safetensors header (\(data.count) bytes)") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header claims \(headerLength) bytes but the file has only \(data.count - 8) after the length field")
        }
        guard headerLength <= UInt64(Self.maxHeaderLength) else {
            throw fail("header of \(headerLength) bytes is larger than the \(Self.maxHeaderLength) accepted")
        }
        let hl = Int(headerLength)
        dataStart = 8 + hl
        let headerData = data.subdata(in: data.startIndex + 8 ..< data.startIndex + 8 + hl)
        guard let json = try? JSONSerialization.jsonObject(with: headerData), let header = json as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let dataSize = data.count - dataStart
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (key, value) in header {
            if key == "__metadata__" {
                guard let m = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw fail("__metadata__ value '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any] else { throw fail("entry is not an object", key: key) }
            guard let dtype = info["dtype"] as? String else { throw fail("no dtype", key: key) }
            guard dtype == "F32" else { throw fail("dtype \(dtype) is not supported (only F32)", key: key) }
            guard let shapeAny = info["shape"] as? [Any], let shape = Self.integers(shapeAny), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("shape is not a list of non-negative integers", key: key)
            }
            guard let offsetsAny = info["data_offsets"] as? [Any], let offsets = Self.integers(offsetsAny), offsets.count == 2 else {
                throw fail("data_offsets is not a pair of integers", key: key)
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail("data_offsets [\(begin), \(end)] lie outside the \(dataSize) bytes of data", key: key)
            }
            var elements = 1
            for s in shape {
                let (p, overflow) = elements.multipliedReportingOverflow(by: s)
                guard !overflow, p <= dataSize / 4 + 1 else { throw fail("shape \(shape) is larger than the file", key: key) }
                elements = p
            }
            guard end - begin == elements * 4 else {
                throw fail("shape \(shape) needs \(elements * 4) bytes but data_offsets span \(end - begin)", key: key)
            }
            entries[key] = Entry(shape: shape, begin: begin, end: end)
        }
        let sorted = entries.sorted { ($0.value.begin, $0.value.end, $0.key) < ($1.value.begin, $1.value.end, $1.key) }
        var previousEnd = 0
        var previousKey = ""
        for (key, e) in sorted where e.end > e.begin {
            guard e.begin >= previousEnd else {
                throw fail("data overlaps tensor '\(previousKey)'", key: key)
            }
            previousEnd = e.end
            previousKey = key
        }
        self.entries = entries
        self.metadata = metadata
    }

    private static func integers(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            // Booleans arrive as NSNumber with objCType "c"; refuse them.
            guard let n = v as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 9e15 else { return nil }
            out.append(n.intValue)
        }
        return out
    }

    /// The values of tensor `key`, copied into an aligned flat tensor.
    /// - Throws: `invalidWeights` naming the key and the element when a value is NaN or infinite
    ///   (damaged weights would otherwise render garbage without an error).
    func tensor(_ key: String) throws -> Tensor {
        guard let e = entries[key] else { throw TalkingHeadError.missingTensor(path: path, key: key) }
        let count = (e.end - e.begin) / 4
        let t = Tensor(uninitializedChannels: 1, height: 1, width: count)
        bytes.withUnsafeBytes { raw in
            let src = raw.baseAddress! + dataStart + e.begin
            UnsafeMutableRawPointer(t.data).copyMemory(from: src, byteCount: count * 4)
        }
        #if _endian(big)
        for i in 0..<count { t.data[i] = Float(bitPattern: UInt32(littleEndian: t.data[i].bitPattern)) }
        #endif
        if let bad = firstNonFinite(t.data, count: count) {
            throw TalkingHeadError.invalidWeights(
                path: path, key: key, reason: "element \(bad) of \(count) is \(t.data[bad]) (weights must be finite; damaged file? run `talking-head weights verify`)")
        }
        return t
    }
}

/// The index of the first NaN or infinity among `count` floats: the largest magnitude bits of
/// each block of 4096 (a vectorised max; 3 ms for the 14.5 M floats of THA3 on this CPU), a
/// closer look only in a block that has one.
func firstNonFinite(_ p: UnsafePointer<Float>, count: Int) -> Int? {
    let raw = UnsafeRawPointer(p).assumingMemoryBound(to: UInt32.self)
    var i = 0
    while i < count {
        let end = min(count, i + 4096)
        var largest: UInt32 = 0
        for j in i..<end { largest = max(largest, raw[j] & 0x7FFF_FFFF) }
        if largest >= 0x7F80_0000 { return (i..<end).first { !p[$0].isFinite } }
        i = end
    }
    return nil
}

/// Writes F32 tensors as a safetensors file (tests and tools).
func writeSafeTensors(_ tensors: [(key: String, shape: [Int], values: [Float])],
                      metadata: [String: String] = [:], to url: URL) throws {
    var header: [String: Any] = [:]
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    var offset = 0
    for t in tensors {
        header[t.key] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]]
        offset += 4 * t.values.count
    }
    var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    while json.count % 8 != 0 { json.append(0x20) }
    var out = Data()
    var n = UInt64(json.count).littleEndian
    withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
    out.append(json)
    for t in tensors {
        t.values.withUnsafeBytes { out.append(contentsOf: $0) }
    }
    try OutputFile.write(out, to: url)
}
