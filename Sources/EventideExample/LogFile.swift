#if canImport(Glibc)
import Glibc
#endif

/// Blocking file writes, as the tutorial's `with open(...)` does: open, write, close.
enum LogFile {
    struct WriteError: Error, CustomStringConvertible {
        let path: String
        let code: Int32
        var description: String { "cannot write \(path): \(String(cString: strerror(code)))" }
    }

    /// Appends `line` (mode "a").
    static func append(_ line: LogLine, to path: String) throws {
        try write(line, to: path, flags: O_WRONLY | O_CREAT | O_APPEND)
    }

    /// Replaces the file's content with `line` (mode "w").
    static func overwrite(_ line: LogLine, to path: String) throws {
        try write(line, to: path, flags: O_WRONLY | O_CREAT | O_TRUNC)
    }

    private static func write(_ line: LogLine, to path: String, flags: Int32) throws {
        // withCString lends a native string's own bytes; passing `path` as the argument
        // would copy it into a new array on every call.
        let fd = path.withCString { open($0, flags | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw WriteError(path: path, code: errno) }
        defer { close(fd) }
        try line.bytes.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                guard written > 0 else { throw WriteError(path: path, code: errno) }
                offset += written
            }
        }
    }
}
