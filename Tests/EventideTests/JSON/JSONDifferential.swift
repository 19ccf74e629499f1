import Foundation
import Testing

@testable import Eventide

/// The output formattings `JSONBytesEncoder` supports.
let supportedFormattings: [JSONEncoder.OutputFormatting] = [
    [], [.sortedKeys], [.withoutEscapingSlashes], [.sortedKeys, .withoutEscapingSlashes],
]

func foundationJSON<T: Encodable>(_ value: T, _ formatting: JSONEncoder.OutputFormatting = []) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = formatting
    return Array(try encoder.encode(value))
}

/// Encodes `value` both ways under every supported formatting and expects the bytes
/// `JSONBytesEncoder` writes itself (no fallback) to be Foundation's: identical with
/// `.sortedKeys`, identical up to object member order without it. Returns the fast
/// output without options, for further checks.
@discardableResult
func expectSameAsFoundation<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
    var plain: [UInt8] = []
    for formatting in supportedFormattings {
        let expected = try foundationJSON(value, formatting)
        let fast = try JSONBytesEncoder.encodeWithoutFallback(value, formatting: formatting)
        let actual = try #require(fast, "fell back to Foundation (formatting \(formatting.rawValue))", sourceLocation: sourceLocation)
        if formatting.contains(.sortedKeys) {
            // As text: a failure shows a readable difference (both sides are valid UTF-8).
            #expect(
                String(decoding: actual, as: UTF8.self) == String(decoding: expected, as: UTF8.self),
                "formatting \(formatting.rawValue)", sourceLocation: sourceLocation)
        } else {
            #expect(canonicalJSON(actual) == canonicalJSON(expected), "formatting \(formatting.rawValue)", sourceLocation: sourceLocation)
            #expect(actual.count == expected.count, "formatting \(formatting.rawValue)", sourceLocation: sourceLocation)
        }
        if formatting.isEmpty { plain = actual }
    }
    return plain
}

/// `JSONBytesEncoder` output as text.
func fastJSON<T: Encodable>(_ value: T, _ formatting: JSONEncoder.OutputFormatting = []) throws -> String {
    String(decoding: try JSONBytesEncoder.encode(value, formatting: formatting), as: UTF8.self)
}
