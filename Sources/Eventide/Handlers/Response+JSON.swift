#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Response {
    /// A JSON response (`Content-Type: application/json`) encoding `value`.
    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok, encoder: JSONEncoder = JSONEncoder()) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status, headers: .contentType("application/json"), body: .bytes(Array(data)))
    }
}

extension Dictionary: ResponseConvertible where Key == String, Value: Encodable {
    /// A 200 JSON object, keys sorted (FastAPI's "return a dict").
    public func makeResponse() throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try .json(self, encoder: encoder)
    }
}
