#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Decodes a `Decodable` value from JSON bytes the way Foundation's default `JSONDecoder`
/// does, for the shapes durable task arguments take, without Foundation's `Data` copy,
/// `Any` tree and per-value boxing. `DurableTask.decoded(from:)` uses it.
///
/// Anything it does not reproduce exactly goes to `JSONDecoder` instead (the value's
/// `init(from:)` then runs a second time), and the result or error is Foundation's:
/// - any error on the fast path: malformed JSON, invalid UTF-8, a missing key, a type
///   mismatch, or an error thrown by the value's own `init(from:)`;
/// - any error the fast path threw, even if the value caught it and carried on;
/// - a `Date`, `Data`, `URL` or `Decimal` (Foundation decodes them by its strategies);
/// - a number Foundation may read differently: for an integer type anything but plain
///   digits that fit, for `Double`/`Float` one that is not finite, underflows to zero,
///   is long enough to round in more than one way, or reads differently as `Float`
///   directly and through `Double`;
/// - an object with a repeated key, nesting deeper than `JSONValueParser.maximumDepth`,
///   `superDecoder()`.
/// `allKeys` lists keys in the order the object has them; Foundation's order is its
/// dictionary's, which changes from process to process. `userInfo` is empty, as a
/// default `JSONDecoder`'s.
package enum JSONBytesDecoder {
    /// The value of type `T` that `bytes` hold. Throws, after the fallback, what
    /// `JSONDecoder.decode` throws.
    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        if let value = decodeWithoutFallback(type, from: bytes) { return value }
        return try foundationDecoder.decode(type, from: Data(bytes))
    }

    /// The value, or `nil` where `decode(_:from:)` hands the bytes to Foundation.
    static func decodeWithoutFallback<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) -> T? {
        guard let root = JSONValueParser.parse(bytes) else { return nil }
        let state = JSONDecodingState()
        do {
            let value = try JSONValueDecoder(root, codingPath: [], state: state).decodeValue(type)
            return state.needsFallback ? nil : value
        } catch {
            return nil
        }
    }
}

/// Shared by every decoder and container of one `decodeWithoutFallback` call.
final class JSONDecodingState {
    /// Set with every error the fast path throws, so a value that catches one still ends
    /// up decoded by Foundation.
    var needsFallback = false

    /// The error to throw; marks the decoding for Foundation.
    func fallback() -> JSONDecodingFallback {
        needsFallback = true
        return JSONDecodingFallback()
    }
}

/// Thrown through a value's `init(from:)` when `JSONBytesDecoder` does not decode what was
/// asked for itself; the bytes then go to Foundation's `JSONDecoder`.
struct JSONDecodingFallback: Error {}

/// The decoder for the fallback (its `decode` is safe to call from any thread; making one
/// per call cost more than decoding a small value).
private let foundationDecoder = JSONDecoder()
