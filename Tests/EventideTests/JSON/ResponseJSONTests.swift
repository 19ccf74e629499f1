import Foundation
import Testing

@testable import Eventide

/// `Response.json` and the dictionary conformance on top of `JSONBytesEncoder`.
@Suite("Response JSON")
struct ResponseJSONTests {
    func body(_ response: Response) -> [UInt8] {
        if case .bytes(let bytes) = response.body { return bytes }
        Issue.record("not a complete body: \(response.body)")
        return []
    }

    @Test func json() throws {
        let message = Message(message: "Notification sent in the background")
        let response = try Response.json(message)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/json")
        #expect(body(response) == (try foundationJSON(message)))
        #expect(try Response.json(message, status: .created).status == .created)
        #expect(try JSONDecoder().decode(Message.self, from: Data(body(response))) == message)
    }

    @Test func anExplicitEncoderIsUsed() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted]
        encoder.dateEncodingStrategy = .secondsSince1970
        let response = try Response.json(["when": Date(timeIntervalSince1970: 5)], status: .accepted, encoder: encoder)
        #expect(String(decoding: body(response), as: UTF8.self) == "{\n  \"when\" : 5\n}")
        #expect(response.status == .accepted)
        #expect(response.headers[.contentType] == "application/json")
        #expect(body(try Response.json("a/b", encoder: JSONEncoder())) == Array(#""a\/b""#.utf8))
    }

    @Test func dictionaryResponse() throws {
        let response = try ["url": "https://example.com/a", "b": "2", "a": "1"].makeResponse()
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/json")
        #expect(String(decoding: body(response), as: UTF8.self) == #"{"a":"1","b":"2","url":"https://example.com/a"}"#)
        let nested = ["z": [Point(x: 1, y: 2)], "y": []]
        #expect(body(try nested.makeResponse()) == (try foundationJSON(nested, [.sortedKeys, .withoutEscapingSlashes])))
    }
}
