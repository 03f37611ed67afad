import Foundation

/// A file being written, the one way the package writes files (PNG, APNG, CSV, JSON...).
///
/// What happens depends on what the path names when it is opened:
/// - nothing, or a regular file: the bytes go to a temporary file `.th-XXXXXX.tmp` in the same
///   folder (short, so it fits wherever the final name fits), renamed over the path by
///   `commit()`: a reader never sees a partial file under the final name, and a failed or
///   abandoned write leaves the old file (if any) as it was;
/// - a symbolic link: followed (up to 40 links); its final target is replaced as above and the
///   link stays a link;
/// - a character or block device or a FIFO: written in place, like `cat > path` (a FIFO must
///   have a reader already); never replaced by a regular file;
/// - a directory, a socket: refused with `TalkingHeadError.io` naming the path and the reason.
///
/// Temporary files hold an exclusive `flock` while in use; `sweepStaleTemporaries(in:)`
/// removes those whose writer died (killed, crashed) and nothing else.
public final class OutputFile {
    /// The path as given.
    public let url: URL
    /// The file that is replaced or written (the symlink's target, else `url.path`).
    public let targetPath: String
    /// The temporary file, nil when writing in place.
    public let temporaryPath: String?
    private var fd: Int32
    private var closed = false
    /// Bytes written so far.
    public private(set) var bytesWritten = 0

    /// Prefix and suffix of our temporary names (`.th-` six random characters `.tmp`).
    static let temporaryPrefix = ".th-"
    static let temporarySuffix = ".tmp"

    /// Opens `url` for writing (see the type's rules). Removes stale temporary files of earlier
    /// crashed runs in the target's folder first.
    /// - Throws: `TalkingHeadError.io` naming the path: missing folder, a directory, a socket,
    ///   a FIFO without a reader, permissions.
    public init(url: URL) throws {
        self.url = url
        let target = try Self.resolve(url)
        targetPath = target.path
        switch target.kind {
        case .inPlace:
            // O_NONBLOCK so a FIFO without a reader fails (ENXIO) instead of waiting forever.
            let fd = open(target.path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else {
                let reason = errno == ENXIO ? "is a FIFO that no process is reading" : String(cString: strerror(errno))
                throw TalkingHeadError.io(path: url.path, reason: "cannot write: \(reason)")
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            self.fd = fd
            temporaryPath = nil
        case .replace:
            let folder = (target.path as NSString).deletingLastPathComponent
            let dir = folder.isEmpty ? "." : folder
            Self.sweepOnce(dir)
            var template = Array((dir + "/" + Self.temporaryPrefix + "XXXXXX" + Self.temporarySuffix).utf8CString)
            let fd = template.withUnsafeMutableBufferPointer {
                mkstemps($0.baseAddress!, Int32(Self.temporarySuffix.utf8.count))
            }
            guard fd >= 0 else {
                throw TalkingHeadError.io(path: url.path, reason: "cannot create a file in \(dir): \(String(cString: strerror(errno)))")
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = flock(fd, LOCK_EX | LOCK_NB)
            // mkstemp makes 0600; give what open(..., 0666) would under the umask.
            let mask = umask(0)
            umask(mask)
            _ = fchmod(fd, 0o666 & ~mask)
            self.fd = fd
            temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
    }

    deinit { abandon() }

    /// Appends `data`.
    /// - Throws: `TalkingHeadError.io` with the system's reason (full disk, ...).
    public func write(_ data: Data) throws {
        guard !closed else { throw TalkingHeadError.io(path: url.path, reason: "write after the file was closed") }
        let failure: Int32? = data.withUnsafeBytes { raw -> Int32? in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
        if let failure {
            throw TalkingHeadError.io(path: url.path, reason: "cannot write: \(String(cString: strerror(failure)))")
        }
        bytesWritten += data.count
    }

    /// Closes the file and, when it was written to a temporary file, renames that into place.
    /// On failure the temporary file is removed and the old file (if any) is untouched.
    public func commit() throws {
        guard !closed else { throw TalkingHeadError.io(path: url.path, reason: "already closed") }
        closed = true
        let result = close(fd)
        let closeErrno = errno
        guard let temporaryPath else {
            if result != 0 { throw TalkingHeadError.io(path: url.path, reason: "cannot write: \(String(cString: strerror(closeErrno)))") }
            return
        }
        if result != 0 {
            unlink(temporaryPath)
            throw TalkingHeadError.io(path: url.path, reason: "cannot write: \(String(cString: strerror(closeErrno)))")
        }
        if rename(temporaryPath, targetPath) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw TalkingHeadError.io(path: url.path, reason: "cannot write (rename): \(reason)")
        }
    }

    /// Drops the file: the temporary one is removed (the old file stays as it was); in place,
    /// the bytes already written stay written. Safe to call more than once.
    public func abandon() {
        guard !closed else { return }
        closed = true
        if let temporaryPath { unlink(temporaryPath) }
        close(fd)
    }

    /// Writes `data` to `url` in one go under the rules of `OutputFile`.
    public static func write(_ data: Data, to url: URL) throws {
        let file = try OutputFile(url: url)
        do {
            try file.write(data)
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
    }
}

extension OutputFile {
    enum Kind { case replace, inPlace }

    /// The path that will be written and how, following symbolic links.
    static func resolve(_ url: URL) throws -> (path: String, kind: Kind) {
        var path = url.path
        guard !path.isEmpty else { throw TalkingHeadError.io(path: path, reason: "empty output path") }
        if path.hasSuffix("/") && path != "/" {
            throw TalkingHeadError.io(path: url.path, reason: "is a directory name (ends with /), not a file name")
        }
        for _ in 0..<40 {
            var st = stat()
            if lstat(path, &st) != 0 {
                let e = errno
                guard e == ENOENT else {
                    throw TalkingHeadError.io(path: url.path, reason: "cannot write: \(String(cString: strerror(e)))")
                }
                // Nothing there yet: the folder must exist (and be a folder).
                let folder = (path as NSString).deletingLastPathComponent
                try checkFolder(folder.isEmpty ? "." : folder, for: url)
                return (path, .replace)
            }
            switch st.st_mode & S_IFMT {
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(path, &buffer, buffer.count - 1)
                guard n >= 0 else {
                    throw TalkingHeadError.io(path: url.path, reason: "cannot read the symbolic link \(path): \(String(cString: strerror(errno)))")
                }
                let link = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                path = link.hasPrefix("/") ? link : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(link)
            case S_IFREG:
                return (path, .replace)
            case S_IFDIR:
                throw TalkingHeadError.io(path: url.path, reason: "is a directory, not a file")
            case S_IFCHR, S_IFBLK, S_IFIFO:
                return (path, .inPlace)
            case S_IFSOCK:
                throw TalkingHeadError.io(path: url.path, reason: "is a socket, not a regular file; refusing to replace it")
            default:
                throw TalkingHeadError.io(path: url.path, reason: "is not a regular file; refusing to replace it")
            }
        }
        throw TalkingHeadError.io(path: url.path, reason: "too many levels of symbolic links")
    }

    private static func checkFolder(_ folder: String, for url: URL) throws {
        var st = stat()
        guard stat(folder, &st) == 0 else {
            let reason = errno == ENOENT ? "the folder \(folder) does not exist" : "\(folder): \(String(cString: strerror(errno)))"
            throw TalkingHeadError.io(path: url.path, reason: "cannot write: \(reason)")
        }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw TalkingHeadError.io(path: url.path, reason: "cannot write: \(folder) is not a directory")
        }
        guard access(folder, W_OK | X_OK) == 0 else {
            throw TalkingHeadError.io(path: url.path, reason: "cannot write in \(folder): \(String(cString: strerror(errno)))")
        }
    }

    /// Checks, before any work, that `url` can be written as an output: its folder exists and
    /// is writable (created with its parents when `createFolder`), and the path is not a
    /// directory or a socket. Nothing is written at `url` itself.
    public static func checkWritable(_ url: URL, createFolder: Bool = false) throws {
        if createFolder {
            let folder = url.deletingLastPathComponent()
            try OutputFolder.create(folder)
        }
        _ = try resolve(url)
    }

    private static let sweptLock = NSLock()
    nonisolated(unsafe) private static var swept = Set<String>()

    /// Sweeps `folder` the first time this process writes there (a run starting in a folder),
    /// not at every frame.
    static func sweepOnce(_ folder: String) {
        sweptLock.lock()
        let first = swept.insert(folder).inserted
        sweptLock.unlock()
        if first { sweepStaleTemporaries(inPath: folder) }
    }

    /// Removes temporary files of ours in `folder` whose writer is gone (their lock is free)
    /// and that are older than a few seconds. Returns the names removed.
    @discardableResult
    public static func sweepStaleTemporaries(in folder: URL) -> [String] {
        sweepStaleTemporaries(inPath: folder.path)
    }

    @discardableResult
    static func sweepStaleTemporaries(inPath folder: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var removed: [String] = []
        let now = time(nil)
        for name in names where isTemporaryName(name) {
            let path = folder + "/" + name
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var st = stat()
            // A file just made by mkstemp is locked microseconds later: leave young files alone.
            guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, now - st.st_mtim.tv_sec >= 2 else { continue }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // its writer is alive
            if unlink(path) == 0 { removed.append(name) }
        }
        return removed
    }

    /// `.th-` + 6 characters + `.tmp`: the names `OutputFile` makes.
    static func isTemporaryName(_ name: String) -> Bool {
        name.utf8.count == temporaryPrefix.utf8.count + 6 + temporarySuffix.utf8.count
            && name.hasPrefix(temporaryPrefix) && name.hasSuffix(temporarySuffix)
    }
}

/// Output folders: created before any rendering, with an error naming what is in the way.
public enum OutputFolder {
    /// Creates `dir` and its parents; the error names the part of the path that is in the way.
    public static func create(_ dir: URL) throws {
        var isDir: ObjCBool = false
        var ancestor = dir.standardizedFileURL
        while !FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isDir), ancestor.path != "/" {
            ancestor = ancestor.deletingLastPathComponent()
        }
        if !isDir.boolValue {
            throw TalkingHeadError.io(path: dir.path, reason: "cannot create the output folder: \(ancestor.path) is a file, not a folder")
        }
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw TalkingHeadError.io(path: dir.path, reason: "cannot create the output folder: \(error.localizedDescription)")
        }
        guard access(dir.path, W_OK | X_OK) == 0 else {
            throw TalkingHeadError.io(path: dir.path, reason: "cannot write in the output folder: \(String(cString: strerror(errno)))")
        }
    }

    /// Frame files of an earlier run: names of six or more digits + `.png` (`000123.png`, as
    /// `animate` writes them) whose number is `count` or more, as (number, name), sorted.
    public static func staleFrames(in dir: URL, from count: Int) -> [(number: Int, name: String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        var out: [(Int, String)] = []
        for name in names where name.hasSuffix(".png") {
            let digits = name.dropLast(4)
            guard digits.count >= 6, digits.count <= 18, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }),
                  let n = Int(digits), n >= count else { continue }
            out.append((n, name))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Removes the frame files of an earlier run numbered `count` or more (regular files only),
    /// so the folder holds exactly this run's frames. Returns how many were removed.
    @discardableResult
    public static func removeStaleFrames(in dir: URL, from count: Int) throws -> Int {
        var removed = 0
        for (_, name) in staleFrames(in: dir, from: count) {
            let path = dir.appendingPathComponent(name).path
            var st = stat()
            guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
            guard unlink(path) == 0 else {
                throw TalkingHeadError.io(path: path, reason: "cannot remove a frame of an earlier run: \(String(cString: strerror(errno)))")
            }
            removed += 1
        }
        return removed
    }
}
