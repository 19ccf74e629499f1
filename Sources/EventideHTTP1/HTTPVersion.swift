/// An HTTP protocol version, e.g. `HTTP/1.1`.
public struct HTTPVersion: Hashable, Sendable, CustomStringConvertible {
    /// The major version digit.
    public var major: Int
    /// The minor version digit.
    public var minor: Int

    /// Creates a version from its two digits.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// `HTTP/1.0`
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    /// `HTTP/1.1`
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    /// Whether this version has HTTP/1.1 semantics (persistent connections, mandatory Host).
    /// Per RFC 9110 §2.5 a higher minor version of HTTP/1 is treated as 1.1.
    public var hasHTTP11Semantics: Bool { major == 1 && minor >= 1 }

    /// The wire form, e.g. `"HTTP/1.1"`.
    public var description: String { "HTTP/\(major).\(minor)" }
}
