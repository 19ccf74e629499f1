/// `JSONBytesEncoder`'s keyed container: a handle on an object frame. Each member is
/// written when it is encoded (key first, then the value); an `id` of 0 marks a container
/// that could not be opened, whose every use falls back.
struct JSONKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let state: JSONEncodingState
    let depth: Int
    let id: Int

    var codingPath: [any CodingKey] { state.codingPath(depth, id) }

    func encodeNil(forKey key: Key) throws {
        try state.beginMemberOrThrow(key.stringValue, depth, id)
        state.writeNull()
    }

    func encode(_ value: Bool, forKey key: Key) throws {
        try state.beginMemberOrThrow(key.stringValue, depth, id)
        state.writeBool(value)
    }

    func encode(_ value: String, forKey key: Key) throws {
        try state.beginMemberOrThrow(key.stringValue, depth, id)
        state.writeString(value)
    }

    func encode(_ value: Double, forKey key: Key) throws {
        try state.beginMemberOrThrow(key.stringValue, depth, id)
        try state.writeFloatingPoint(value)
    }

    func encode(_ value: Float, forKey key: Key) throws {
        try state.beginMemberOrThrow(key.stringValue, depth, id)
        try state.writeFloatingPoint(value)
    }

    func encode(_ value: Int, forKey key: Key) throws { try encodeInteger(value, forKey: key) }
    func encode(_ value: Int8, forKey key: Key) throws { try encodeInteger(value, forKey: key) }
    func encode(_ value: Int16, forKey key: Key) throws { try encodeInteger(value, forKey: key) }
    func encode(_ value: Int32, forKey key: Key) throws { try encodeInteger(value, forKey: key) }
    func encode(_ value: Int64, forKey key: Key) throws { try encodeInteger(value, forKey: key) }
    func encode(_ value: Int128, forKey key: Key) throws { try encodeInteger(value, forKey: key) }
    func encode(_ value: UInt, forKey key: Key) throws { try encodeInteger(value, forKey: key) }
    func encode(_ value: UInt8, forKey key: Key) throws { try encodeInteger(value, forKey: key) }
    func encode(_ value: UInt16, forKey key: Key) throws { try encodeInteger(value, forKey: key) }
    func encode(_ value: UInt32, forKey key: Key) throws { try encodeInteger(value, forKey: key) }
    func encode(_ value: UInt64, forKey key: Key) throws { try encodeInteger(value, forKey: key) }
    func encode(_ value: UInt128, forKey key: Key) throws { try encodeInteger(value, forKey: key) }

    func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try state.beginMemberOrThrow(key.stringValue, depth, id)
        if try state.writeLeaf(value) { return }
        try state.encodeNested(value, at: .key(key))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nestedID = state.beginMember(key.stringValue, depth, id) ? (try? state.push(.object, .key(key))) : nil
        return KeyedEncodingContainer(JSONKeyedContainer<NestedKey>(state: state, depth: depth + 1, id: nestedID ?? 0))
    }

    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nestedID = state.beginMember(key.stringValue, depth, id) ? (try? state.push(.array, .key(key))) : nil
        return JSONUnkeyedContainer(state: state, depth: depth + 1, id: nestedID ?? 0)
    }

    func superEncoder() -> any Encoder {
        superEncoder(named: JSONCodingKey.superKey.stringValue, component: .key(JSONCodingKey.superKey))
    }

    func superEncoder(forKey key: Key) -> any Encoder {
        superEncoder(named: key.stringValue, component: .key(key))
    }

    /// A member whose value the returned encoder fills; `{}` if it encodes nothing before
    /// this container is used again.
    private func superEncoder(named name: String, component: JSONPathComponent) -> any Encoder {
        let superID = state.beginMember(name, depth, id) ? (try? state.push(.pending, component)) : nil
        return JSONValueEncoder(state: state, depth: depth + 1, id: superID ?? 0)
    }

    private func encodeInteger<T: FixedWidthInteger>(_ value: T, forKey key: Key) throws {
        try state.beginMemberOrThrow(key.stringValue, depth, id)
        state.writeInteger(value)
    }
}
