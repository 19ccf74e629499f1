import EventideHTTP1

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Response {
    /// A JSON response (`Content-Type: application/json`) encoding `value` as a default
    /// `JSONEncoder()` would (see `JSONBytesEncoder`), without going through `Data`.
    public static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        json(bytes: try JSONBytesEncoder.encode(value), status: status)
    }

    /// A JSON response (`Content-Type: application/json`) encoding `value` with `encoder`.
    public static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, encoder: JSONEncoder) throws -> Response {
        json(bytes: Array(try encoder.encode(value)), status: status)
    }

    fileprivate static func json(bytes: [UInt8], status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: .contentType("application/json"), body: .bytes(bytes))
    }
}

extension Dictionary: ResponseConvertible where Key == String, Value: Encodable {
    /// A 200 JSON object, keys sorted, slashes not escaped (FastAPI's "return a dict").
    public func makeResponse() throws -> Response {
        .json(bytes: try JSONBytesEncoder.encode(self, formatting: [.sortedKeys, .withoutEscapingSlashes]), status: .ok)
    }
}
