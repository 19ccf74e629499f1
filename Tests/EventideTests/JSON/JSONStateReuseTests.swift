import Foundation
import Testing

@testable import Eventide

/// `JSONBytesEncoder` keeps one finished encoding state for the next encoding
/// (JSONEncodingState+Reuse): nothing of one encoding may show in another.
@Suite("JSON state reuse")
struct JSONStateReuseTests {
    /// Holds on to the encoder a value was given, past its `encode(to:)`.
    final class EncoderLeak: @unchecked Sendable {
        var encoder: (any Encoder)?
    }

    struct Leaking: Encodable {
        enum Key: CodingKey { case a, b }
        let leak: EncoderLeak

        func encode(to encoder: any Encoder) throws {
            leak.encoder = encoder
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(1, forKey: .a)
        }
    }

    /// A state still referenced by an escaped encoder is not reused: writing through that
    /// encoder later touches nothing another encoding uses. (Reused, the late write would
    /// mark the kept state for the Foundation fallback, and the next encoding would fall
    /// back.)
    @Test func aStateAnEncoderEscapedWithIsNotReused() throws {
        let leak = EncoderLeak()
        #expect(try fastJSON(Leaking(leak: leak)) == #"{"a":1}"#)
        #expect(try fastJSON(Point(x: 1, y: 2)) == #"{"x":1,"y":2}"#)
        var late = try #require(leak.encoder).container(keyedBy: Leaking.Key.self)
        try? late.encode(2, forKey: .b)
        let next = try JSONBytesEncoder.encodeWithoutFallback(Message(message: "next"))
        #expect(next.map { String(decoding: $0, as: UTF8.self) } == #"{"message":"next"}"#)
    }

    /// After a fallback, a thrown error and another formatting, the kept state starts clean.
    @Test func nothingCarriesOverBetweenEncodings() throws {
        #expect(try JSONBytesEncoder.encodeWithoutFallback([Double.nan]) == nil)
        #expect(try fastJSON(Point(x: 3, y: 4)) == #"{"x":3,"y":4}"#)
        #expect(throws: EncodingError.self) { try JSONBytesEncoder.encode(["x": Double.infinity]) }
        #expect(try fastJSON(["b": 1, "a": 2], .sortedKeys) == #"{"a":2,"b":1}"#)
        #expect(try fastJSON(["/"]) == #"["\/"]"#)
        #expect(try fastJSON(["/"], .withoutEscapingSlashes) == #"["/"]"#)
        #expect(try fastJSON(["/"]) == #"["\/"]"#)
    }

    /// Encodings on many threads at once, each result checked.
    @Test func concurrentEncodingsStayApart() async throws {
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var wrong = 0
                    for index in 0..<2_000 {
                        let point = Point(x: worker, y: index)
                        let sorted = index % 3 == 0
                        let text = (try? fastJSON(point, sorted ? .sortedKeys : [])) ?? ""
                        if text != #"{"x":\#(worker),"y":\#(index)}"# { wrong += 1 }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}
