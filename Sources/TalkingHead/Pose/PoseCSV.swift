import Foundation

/// A pose sequence read from CSV: one row per frame, columns named after pose parameters.
///
/// Rules:
/// - The first line is a header of parameter names (`head_x`, `mouth_aaa`, ...): any subset of
///   the 45, in any order; a parameter without a column is 0.
/// - An optional first column named `frame` or `time` is ignored.
/// - Every other cell is a finite decimal number within the parameter's range (`clamp: true`
///   clamps out-of-range values instead of refusing them).
/// - Blank lines are ignored; every row has as many cells as the header.
///
/// Every error is `TalkingHeadError.invalidPoseFile` with the file, the 1-based line and
/// column, and the offending text quoted. The whole file is checked before anything uses it.
public struct PoseSequence: Sendable {
    /// One pose per data row, in file order.
    public var poses: [PoseParameters]
    /// The parameters named in the header, in column order.
    public var parameters: [PoseParameter]

    /// Reads and checks a pose CSV file.
    public init(contentsOf url: URL, clamp: Bool = false) throws {
        let path = url.path
        let data = try InputFile.read(url)
        guard String(data: data, encoding: .utf8) != nil else {
            throw TalkingHeadError.invalidPoseFile(path: path, line: 1, column: nil, reason: "not UTF-8 text")
        }
        try self.init(bytes: [UInt8](data), path: path, clamp: clamp)
    }

    /// Parses CSV text; `path` names the source in errors.
    public init(csv text: String, path: String = "<csv>", clamp: Bool = false) throws {
        try self.init(bytes: Array(text.utf8), path: path, clamp: clamp)
    }

    /// Parses CSV bytes in one pass over them (time linear in the size, whatever the line
    /// lengths); quoted text in errors is cut to `PoseCSV.quoteLimit` characters.
    init(bytes: [UInt8], path: String, clamp: Bool) throws {
        func fail(_ line: Int, _ column: Int?, _ reason: String) -> TalkingHeadError {
            .invalidPoseFile(path: path, line: line, column: column, reason: reason)
        }
        let lines = PoseCSV.lines(bytes)
        // A NUL byte would end the text a C parser sees ("0.1<NUL>junk" read as 0.1): refuse it.
        for (n, line) in lines.enumerated() {
            if let k = bytes[line].firstIndex(of: 0) {
                let column = bytes[line.lowerBound..<k].reduce(1) { $0 + ($1 == UInt8(ascii: ",") ? 1 : 0) }
                throw fail(n + 1, column, "NUL byte (character \(k - line.lowerBound + 1) of the line): not text")
            }
        }
        func isBlank(_ r: Range<Int>) -> Bool { PoseCSV.trimmed(bytes, r).isEmpty }
        guard let headerIndex = lines.firstIndex(where: { !isBlank($0) }) else {
            throw fail(1, nil, "empty file: expected a header of parameter names and at least one row")
        }
        let header = PoseCSV.cells(bytes, lines[headerIndex]).map { PoseCSV.text(bytes, PoseCSV.trimmed(bytes, $0)) }
        var columns: [PoseParameter?] = []
        var seen: [PoseParameter: Int] = [:]
        for (i, name) in header.enumerated() {
            if i == 0 && (name == "frame" || name == "time") {
                columns.append(nil)
                continue
            }
            guard let p = PoseParameter(rawValue: name) else {
                let hint = name.isEmpty ? "empty column name" : "unknown parameter \(PoseCSV.quote(name))"
                throw fail(headerIndex + 1, i + 1, "\(hint) (run `talking-head params` for the 45 names)")
            }
            if let first = seen[p] {
                throw fail(headerIndex + 1, i + 1, "parameter \"\(name)\" repeats column \(first + 1)")
            }
            seen[p] = i
            columns.append(p)
        }
        var poses: [PoseParameters] = []
        for lineIndex in (headerIndex + 1)..<lines.count {
            let line = lines[lineIndex]
            if isBlank(line) { continue }
            let cells = PoseCSV.cells(bytes, line)
            guard cells.count == header.count else {
                throw fail(lineIndex + 1, nil,
                           "row has \(cells.count) cells but the header has \(header.count): \(PoseCSV.quote(bytes, line))")
            }
            var pose = PoseParameters()
            for (i, cell) in cells.enumerated() {
                guard let p = columns[i] else { continue }
                let range = PoseCSV.trimmed(bytes, cell)
                // No number needs more than a few dozen characters; longer cells are not parsed.
                guard range.count <= PoseCSV.maxNumberLength else {
                    throw fail(lineIndex + 1, i + 1, "\(PoseCSV.quote(bytes, range)) is not a number (\(p.rawValue))")
                }
                switch p.checkedValue(parsing: PoseCSV.text(bytes, range), clamp: clamp) {
                case .success(let value): pose[p] = value
                case .failure(let problem): throw fail(lineIndex + 1, i + 1, problem.description)
                }
            }
            poses.append(pose)
        }
        guard !poses.isEmpty else {
            throw fail(headerIndex + 1, nil, "the header has no rows below it")
        }
        self.poses = poses
        self.parameters = columns.compactMap { $0 }
    }
}

/// Byte-level helpers of the CSV reader.
enum PoseCSV {
    /// Quoted text in errors is cut to this many characters.
    static let quoteLimit = 80
    /// Longer cells are not numbers (the longest float text needs far fewer).
    static let maxNumberLength = 200

    /// Line ranges: split at "\n", "\r\n" or "\r"; a UTF-8 byte order mark skipped.
    static func lines(_ b: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var i = start
        while i < b.count {
            if b[i] == 0x0A || b[i] == 0x0D {
                out.append(start..<i)
                if b[i] == 0x0D && i + 1 < b.count && b[i + 1] == 0x0A { i += 1 }
                start = i + 1
            }
            i += 1
        }
        out.append(start..<b.count)
        return out
    }

    /// Cell ranges of a line, split at commas.
    static func cells(_ b: [UInt8], _ line: Range<Int>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = line.lowerBound
        for i in line where b[i] == UInt8(ascii: ",") {
            out.append(start..<i)
            start = i + 1
        }
        out.append(start..<line.upperBound)
        return out
    }

    /// `r` without leading and trailing spaces and tabs.
    static func trimmed(_ b: [UInt8], _ r: Range<Int>) -> Range<Int> {
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi && (b[lo] == 0x20 || b[lo] == 0x09) { lo += 1 }
        while hi > lo && (b[hi - 1] == 0x20 || b[hi - 1] == 0x09) { hi -= 1 }
        return lo..<hi
    }

    static func text(_ b: [UInt8], _ r: Range<Int>) -> String { String(decoding: b[r], as: UTF8.self) }

    /// `s` in double quotes, control characters escaped, cut to `quoteLimit` characters with
    /// the full length said.
    static func quote(_ s: String) -> String { quote(Array(s.utf8), 0..<s.utf8.count) }

    /// The bytes `r` quoted as `quote(_:)` does; only the first few hundred bytes are decoded.
    static func quote(_ b: [UInt8], _ r: Range<Int>) -> String {
        let head = String(decoding: b[r.lowerBound..<min(r.upperBound, r.lowerBound + 4 * quoteLimit)], as: UTF8.self)
        var shown = ""
        var count = 0
        for ch in head.unicodeScalars {
            if count == quoteLimit { break }
            shown += ch.value < 0x20 || ch.value == 0x7F ? ch.escaped(asASCII: true) : String(ch)
            count += 1
        }
        let whole = r.count <= 4 * quoteLimit && count == head.unicodeScalars.count
        return whole ? "\"\(shown)\"" : "\"\(shown)...\" (\(r.count) bytes)"
    }
}
