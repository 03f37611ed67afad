import Foundation

/// Reading input files with the real reason when it fails: "no such file", "is a directory",
/// "is a FIFO, not a regular file", the system's reason for permissions. Only regular files
/// (or symbolic links to them) are read: a FIFO or a device could block or never end.
enum InputFile {
    /// Throws unless `path` is a regular file (or a symbolic link to one): `fileNotFound` when
    /// nothing is there, `.io` saying "is a directory", "is a FIFO (named pipe)", ... or why
    /// `stat` failed.
    static func checkRegular(_ path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let e = errno
            if e == ENOENT { throw TalkingHeadError.fileNotFound(path: path) }
            if e == ENOTDIR {
                throw TalkingHeadError.io(path: path, reason: "cannot read: a part of the path is not a directory")
            }
            throw TalkingHeadError.io(path: path, reason: "cannot read: \(String(cString: strerror(e)))")
        }
        if let kind = kindName(st.st_mode) {
            throw TalkingHeadError.io(path: path, reason: "is \(kind), not a regular file")
        }
    }

    /// "a directory", "a FIFO", ... for a mode that is not a regular file; nil for one.
    static func kindName(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }

    /// The bytes of the regular file at `url` (memory-mapped when `mapped`).
    /// - Throws: `TalkingHeadError.fileNotFound` or `.io` naming the path and the reason.
    static func read(_ url: URL, mapped: Bool = false) throws -> Data {
        let path = url.path
        try checkRegular(path)
        guard access(path, R_OK) == 0 else {
            throw TalkingHeadError.io(path: path, reason: "cannot read: \(String(cString: strerror(errno)))")
        }
        do {
            return try Data(contentsOf: url, options: mapped ? .alwaysMapped : [])
        } catch {
            throw TalkingHeadError.io(path: path, reason: "cannot read: \(reason(of: error))")
        }
    }

    /// The POSIX reason behind a Foundation error when there is one.
    static func reason(of error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return ns.localizedDescription
    }
}
