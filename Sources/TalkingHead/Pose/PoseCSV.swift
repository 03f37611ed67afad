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
        guard FileManager.default.fileExists(atPath: path) else { throw TalkingHeadError.fileNotFound(path: path) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TalkingHeadError.io(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TalkingHeadError.invalidPoseFile(path: path, line: 1, column: nil, reason: "not UTF-8 text")
        }
        try self.init(csv: text, path: path, clamp: clamp)
    }

    /// Parses CSV text; `path` names the source in errors.
    public init(csv text: String, path: String = "<csv>", clamp: Bool = false) throws {
        func fail(_ line: Int, _ column: Int?, _ reason: String) -> TalkingHeadError {
            .invalidPoseFile(path: path, line: line, column: column, reason: reason)
        }
        // "\r\n" is one Character in Swift, and a newline like "\n" and "\r".
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline })
        if lines.first?.hasPrefix("\u{FEFF}") == true { lines[0] = lines[0].dropFirst() }
        guard let headerIndex = lines.firstIndex(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
            throw fail(1, nil, "empty file: expected a header of parameter names and at least one row")
        }
        let header = lines[headerIndex].split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var columns: [PoseParameter?] = []
        var seen: [PoseParameter: Int] = [:]
        for (i, name) in header.enumerated() {
            if i == 0 && (name == "frame" || name == "time") {
                columns.append(nil)
                continue
            }
            guard let p = PoseParameter(rawValue: name) else {
                let hint = name.isEmpty ? "empty column name" : "unknown parameter \"\(name)\""
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
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == header.count else {
                throw fail(lineIndex + 1, nil,
                           "row has \(cells.count) cells but the header has \(header.count): \"\(line)\"")
            }
            var pose = PoseParameters()
            for (i, cell) in cells.enumerated() {
                guard let p = columns[i] else { continue }
                switch p.checkedValue(parsing: String(cell), clamp: clamp) {
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
