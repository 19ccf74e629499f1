internal import CLibUV

/// An error reported by libuv, carrying its negative errno-style code.
public struct UVError: Error, Hashable, Sendable, CustomStringConvertible {
    /// libuv's error code (negative, e.g. `UV_ECONNRESET`).
    public let code: Int32

    /// Wraps a libuv error code.
    public init(code: Int32) { self.code = code }

    /// libuv's short name for the error, e.g. `ECONNRESET`.
    public var name: String { String(cString: uv_err_name(code)) }

    /// libuv's human-readable message for the error.
    public var message: String { String(cString: uv_strerror(code)) }

    public var description: String { "\(name): \(message)" }

    /// The peer closed its side of the connection.
    public static let endOfFile = UVError(code: UV_EOF.rawValue)
    /// The peer reset the connection.
    public static let connectionReset = UVError(code: UV_ECONNRESET.rawValue)
    /// Writing to a connection the peer already closed.
    public static let brokenPipe = UVError(code: UV_EPIPE.rawValue)
    /// The operation was cancelled because its handle closed.
    public static let cancelled = UVError(code: UV_ECANCELED.rawValue)
    /// The address is already in use.
    public static let addressInUse = UVError(code: UV_EADDRINUSE.rawValue)
    /// An argument was invalid (for example an unparsable address).
    public static let invalidArgument = UVError(code: UV_EINVAL.rawValue)
    /// The loop still has open handles.
    public static let busy = UVError(code: UV_EBUSY.rawValue)

    /// Throws when `result` is a negative libuv status; returns it otherwise.
    @discardableResult
    static func check(_ result: Int32) throws(UVError) -> Int32 {
        if result < 0 { throw UVError(code: result) }
        return result
    }
}
