/// A keyed container over one object for `JSONBytesDecoder`.
struct JSONKeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [(key: String, value: JSONDecodingValue)]
    let codingPath: [any CodingKey]
    let state: JSONDecodingState

    var allKeys: [Key] { members.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { members.contains { $0.key == key.stringValue } }

    /// The member's value; a missing key goes to Foundation (which throws `keyNotFound`).
    private func value(_ key: Key) throws -> JSONDecodingValue {
        let name = key.stringValue
        for member in members where member.key == name { return member.value }
        throw state.fallback()
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try value(key) { return true }
        return false
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try state.bool(value(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try state.string(value(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try state.double(value(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try state.float(value(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try state.integer(value(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try state.integer(value(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try state.integer(value(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try state.integer(value(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try state.integer(value(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try state.integer(value(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try state.integer(value(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try state.integer(value(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try state.integer(value(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try state.integer(value(key)) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try state.decode(type, from: value(key), codingPath: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(try state.keyed(value(key), keyedBy: type, codingPath: codingPath + [key]))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try state.unkeyed(value(key), codingPath: codingPath + [key])
    }

    func superDecoder() throws -> any Decoder { throw state.fallback() }
    func superDecoder(forKey key: Key) throws -> any Decoder { throw state.fallback() }
}

/// An unkeyed container over one array for `JSONBytesDecoder`.
struct JSONUnkeyedDecoding: UnkeyedDecodingContainer {
    let elements: [JSONDecodingValue]
    let codingPath: [any CodingKey]
    let state: JSONDecodingState
    private(set) var currentIndex = 0

    init(elements: [JSONDecodingValue], codingPath: [any CodingKey], state: JSONDecodingState) {
        self.elements = elements
        self.codingPath = codingPath
        self.state = state
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    /// The current element; reading past the end goes to Foundation.
    private func current() throws -> JSONDecodingValue {
        guard !isAtEnd else { throw state.fallback() }
        return elements[currentIndex]
    }

    /// The current element read by `read`, moving on only if that succeeds.
    private mutating func next<T>(_ read: (JSONDecodingValue) throws -> T) throws -> T {
        let result = try read(current())
        currentIndex += 1
        return result
    }

    mutating func decodeNil() throws -> Bool {
        guard case .null = try current() else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next(state.bool) }
    mutating func decode(_ type: String.Type) throws -> String { try next(state.string) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next(state.double) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next(state.float) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next(state.integer) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next(state.integer) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next(state.integer) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next(state.integer) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next(state.integer) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next(state.integer) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next(state.integer) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next(state.integer) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next(state.integer) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next(state.integer) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let path = codingPath + [JSONCodingKey(index: currentIndex)]
        return try next { [state] in try state.decode(type, from: $0, codingPath: path) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let path = codingPath + [JSONCodingKey(index: currentIndex)]
        return try next { [state] in KeyedDecodingContainer(try state.keyed($0, keyedBy: type, codingPath: path)) }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let path = codingPath + [JSONCodingKey(index: currentIndex)]
        return try next { [state] in try state.unkeyed($0, codingPath: path) }
    }

    mutating func superDecoder() throws -> any Decoder { throw state.fallback() }
}
