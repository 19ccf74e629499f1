/// The `Encoder` handed to a value's `encode(to:)` by `JSONBytesEncoder`, and its own
/// single-value container (as in Foundation): a handle on the frame where the value goes.
/// Three words, so passing it as `any Encoder` does not allocate.
struct JSONValueEncoder: Encoder, SingleValueEncodingContainer, JSONScalarWriting {
    let state: JSONEncodingState
    let depth: Int
    let id: Int

    var codingPath: [any CodingKey] { state.codingPath(depth, id) }

    /// Empty, as a default `JSONEncoder`'s.
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let opened = state.openContainer(.object, depth, id)
        return KeyedEncodingContainer(JSONKeyedContainer<Key>(state: state, depth: depth, id: opened ? id : 0))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let opened = state.openContainer(.array, depth, id)
        return JSONUnkeyedContainer(state: state, depth: depth, id: opened ? id : 0)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    // MARK: - SingleValueEncodingContainer (the scalars: JSONScalarWriting)

    func beginScalar() throws { try state.beginSingleValue(depth, id) }
    func encode(_ value: Int128) throws { try encodeInteger(value) }
    func encode(_ value: UInt128) throws { try encodeInteger(value) }

    /// Foundation encodes the value through this same encoder (no new coding-path
    /// component), and writes `{}` if it encoded nothing.
    func encode<T: Encodable>(_ value: T) throws {
        guard state.activate(depth, id), state.frames[depth].kind == .pending else { throw state.fallback() }
        if try state.writeLeaf(value) {
            try state.beginSingleValue(depth, id)
            return
        }
        try state.encodeThrough(value, self)
        guard state.activate(depth, id) else { throw JSONFallback() }
        if state.frames[depth].kind == .pending {
            try state.beginSingleValue(depth, id)
            state.writeASCII("{}")
        }
    }
}
