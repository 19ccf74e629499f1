import Eventide
import EventideHTTP1
import EventideUVLoop
import Foundation

/// A response as a test sees it: status, headers, and the whole body (streamed bodies
/// are collected).
public struct TestResponse: Sendable {
    /// The status.
    public let status: HTTPStatus
    /// The headers the handler set.
    public let headers: HTTPHeaders
    /// The body bytes.
    public let body: [UInt8]

    init(_ response: Response) async throws {
        status = response.status
        headers = response.headers
        switch response.body {
        case .empty:
            body = []
        case .bytes(let bytes):
            body = bytes
        case .string(let text):
            body = Array(text.utf8)
        case .stream(let produce):
            let collected = Locked<[UInt8]>([])
            try await produce(ResponseBodyWriter { bytes in collected.withLock { $0 += bytes } })
            body = collected.withLock { $0 }
        }
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body decoded as JSON.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body))
    }
}
