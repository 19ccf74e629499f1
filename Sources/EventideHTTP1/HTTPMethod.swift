/// An HTTP request method (RFC 9110 §9), compared case-sensitively by its token.
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// The method token exactly as received or written, e.g. `"GET"`.
    public var rawValue: String

    /// Creates a method from its token. No validation is performed.
    @inlinable public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Creates a method from a string literal, e.g. `let m: HTTPMethod = "PURGE"`.
    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    /// The method token.
    public var description: String { rawValue }

    /// `GET`
    @inlinable public static var get: HTTPMethod { HTTPMethod(rawValue: "GET") }
    /// `HEAD`
    @inlinable public static var head: HTTPMethod { HTTPMethod(rawValue: "HEAD") }
    /// `POST`
    @inlinable public static var post: HTTPMethod { HTTPMethod(rawValue: "POST") }
    /// `PUT`
    @inlinable public static var put: HTTPMethod { HTTPMethod(rawValue: "PUT") }
    /// `DELETE`
    @inlinable public static var delete: HTTPMethod { HTTPMethod(rawValue: "DELETE") }
    /// `PATCH`
    @inlinable public static var patch: HTTPMethod { HTTPMethod(rawValue: "PATCH") }
    /// `OPTIONS`
    @inlinable public static var options: HTTPMethod { HTTPMethod(rawValue: "OPTIONS") }
    /// `TRACE`
    @inlinable public static var trace: HTTPMethod { HTTPMethod(rawValue: "TRACE") }
    /// `CONNECT`
    @inlinable public static var connect: HTTPMethod { HTTPMethod(rawValue: "CONNECT") }
}
