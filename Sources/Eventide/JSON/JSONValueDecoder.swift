#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The `Decoder` (and single-value container) over one parsed value for `JSONBytesDecoder`.
final class JSONValueDecoder: Decoder, SingleValueDecodingContainer {
    let value: JSONDecodingValue
    let codingPath: [any CodingKey]
    let state: JSONDecodingState
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ value: JSONDecodingValue, codingPath: [any CodingKey], state: JSONDecodingState) {
        self.value = value
        self.codingPath = codingPath
        self.state = state
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(try state.keyed(value, keyedBy: type, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try state.unkeyed(value, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    /// The value as `T`, by its `init(from:)` unless Foundation has a strategy for it.
    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        try state.decode(type, from: value, codingPath: codingPath)
    }

    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }

    func decode(_ type: Bool.Type) throws -> Bool { try state.bool(value) }
    func decode(_ type: String.Type) throws -> String { try state.string(value) }
    func decode(_ type: Double.Type) throws -> Double { try state.double(value) }
    func decode(_ type: Float.Type) throws -> Float { try state.float(value) }
    func decode(_ type: Int.Type) throws -> Int { try state.integer(value) }
    func decode(_ type: Int8.Type) throws -> Int8 { try state.integer(value) }
    func decode(_ type: Int16.Type) throws -> Int16 { try state.integer(value) }
    func decode(_ type: Int32.Type) throws -> Int32 { try state.integer(value) }
    func decode(_ type: Int64.Type) throws -> Int64 { try state.integer(value) }
    func decode(_ type: UInt.Type) throws -> UInt { try state.integer(value) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try state.integer(value) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try state.integer(value) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try state.integer(value) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try state.integer(value) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }
}

extension JSONDecodingState {
    /// `value` as `T`: scalars read directly, Foundation's strategy types refused, anything
    /// else by its `init(from:)` on a new decoder.
    func decode<T: Decodable>(_ type: T.Type, from value: JSONDecodingValue, codingPath: [any CodingKey]) throws -> T {
        if T.self == String.self { return try string(value) as! T }
        if T.self is Date.Type || T.self is Data.Type || T.self is URL.Type || T.self is Decimal.Type {
            throw fallback()
        }
        return try T(from: JSONValueDecoder(value, codingPath: codingPath, state: self))
    }

    func keyed<Key: CodingKey>(_ value: JSONDecodingValue, keyedBy type: Key.Type, codingPath: [any CodingKey]) throws -> JSONKeyedDecoding<Key> {
        guard case .object(let members) = value else { throw fallback() }
        return JSONKeyedDecoding(members: members, codingPath: codingPath, state: self)
    }

    func unkeyed(_ value: JSONDecodingValue, codingPath: [any CodingKey]) throws -> JSONUnkeyedDecoding {
        guard case .array(let elements) = value else { throw fallback() }
        return JSONUnkeyedDecoding(elements: elements, codingPath: codingPath, state: self)
    }

    func bool(_ value: JSONDecodingValue) throws -> Bool {
        guard case .bool(let bool) = value else { throw fallback() }
        return bool
    }

    func string(_ value: JSONDecodingValue) throws -> String {
        guard case .string(let string) = value else { throw fallback() }
        return string
    }

    func double(_ value: JSONDecodingValue) throws -> Double {
        // Longer texts are where parsers may round differently; zero from non-zero digits
        // is an underflow Foundation may report.
        guard case .number(let text) = value, text.utf8.count <= 20, let double = Double(text), double.isFinite,
              double != 0 || !text.utf8.contains(where: { $0 >= UInt8(ascii: "1") && $0 <= UInt8(ascii: "9") })
        else { throw fallback() }
        return double
    }

    func float(_ value: JSONDecodingValue) throws -> Float {
        let double = try double(value)
        // Foundation may round once (to Float) or twice (through Double): only where both agree.
        guard case .number(let text) = value, let float = Float(text), float.isFinite, float == Float(double),
              float != 0 || double == 0
        else { throw fallback() }
        return float
    }

    /// Plain digits only (no sign on zero, no fraction or exponent) that fit in `T`.
    func integer<T: FixedWidthInteger>(_ value: JSONDecodingValue) throws -> T {
        guard case .number(let text) = value else { throw fallback() }
        var utf8 = text.utf8[...]
        let negative = utf8.first == UInt8(ascii: "-")
        if negative {
            utf8 = utf8.dropFirst()
            guard T.isSigned, utf8.first != UInt8(ascii: "0") else { throw fallback() }
        }
        guard !utf8.isEmpty else { throw fallback() }
        var result: T = 0
        for byte in utf8 {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { throw fallback() }
            let (shifted, overflow) = result.multipliedReportingOverflow(by: 10)
            // Negative numbers are built downwards, so `T.min` fits.
            let (next, overflow2) = negative
                ? shifted.subtractingReportingOverflow(T(digit)) : shifted.addingReportingOverflow(T(digit))
            guard !overflow, !overflow2 else { throw fallback() }
            result = next
        }
        return result
    }
}
