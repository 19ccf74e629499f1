#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Encodes an `Encodable` value to JSON bytes the way Foundation's `JSONEncoder` with the
/// same `outputFormatting` does, writing straight into one `[UInt8]` (no intermediate tree,
/// no per-object dictionary, no `Data` copy). `Response.json(_:status:)` and
/// `Dictionary.makeResponse()` use it.
///
/// The bytes are Foundation's, with one difference: without `.sortedKeys`, object members
/// come in the order they were encoded, where Foundation writes them in the order of its
/// internal dictionary, which changes from process to process.
///
/// The whole value goes to `JSONEncoder` instead (its `encode(to:)` running a second time)
/// when it, or any value inside it, is:
/// - a `Date`, `Data`, `URL` or `Decimal` (Foundation encodes them by its strategies);
/// - a `Float` or `Double` NaN or infinity (Foundation throws its own error);
/// - an object with a repeated key (Foundation keeps the last value);
/// - encoded out of order: a container written to after its parent moved on, a second
///   single value, a keyed and an unkeyed container on one encoder, or a container or its
///   `count`/`codingPath` used through a handle whose value was already complete;
/// - nested more than `JSONEncodingState.maximumDepth` deep;
/// - encoded by code that caught an error thrown by a value nested in it (Foundation drops
///   what that value had encoded);
/// and when the top-level value encodes nothing or `.prettyPrinted` is asked for.
/// Coding paths and `count` follow Foundation's; `userInfo` is empty, as a default
/// `JSONEncoder`'s.
package enum JSONBytesEncoder {
    /// The JSON encoding of `value`. Throws what the value's `encode(to:)` throws, or, after
    /// the fallback, what `JSONEncoder.encode` throws.
    package static func encode<T: Encodable>(_ value: T, formatting: JSONEncoder.OutputFormatting = []) throws -> [UInt8] {
        if let bytes = try encodeWithoutFallback(value, formatting: formatting) { return bytes }
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
        return Array(try encoder.encode(value))
    }

    /// The bytes, or `nil` where `encode(_:formatting:)` hands the value to Foundation.
    static func encodeWithoutFallback<T: Encodable>(_ value: T, formatting: JSONEncoder.OutputFormatting = []) throws -> [UInt8]? {
        guard formatting.isSubset(of: [.sortedKeys, .withoutEscapingSlashes]) else { return nil }
        var state = JSONEncodingState.take(formatting: formatting)
        defer { JSONEncodingState.recycle(&state) }
        do {
            try state.encodeTopLevel(value)
        } catch {
            // The value's own error, unless the fallback was asked for on the way (the value
            // may have caught `JSONFallback` and thrown something else).
            if state.needsFallback { return nil }
            throw error
        }
        return state.needsFallback || state.errorPassedThrough ? nil : state.takeBytes()
    }
}
