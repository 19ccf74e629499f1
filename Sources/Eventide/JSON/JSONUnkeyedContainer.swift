/// `JSONBytesEncoder`'s unkeyed container: a handle on an array frame; an `id` of 0 marks a
/// container that could not be opened, whose every use falls back. Three words, so it
/// fits in `any UnkeyedEncodingContainer` without allocating.
struct JSONUnkeyedContainer: UnkeyedEncodingContainer, JSONScalarWriting {
    let state: JSONEncodingState
    let depth: Int
    let id: Int

    var codingPath: [any CodingKey] { state.codingPath(depth, id) }

    var count: Int { state.count(depth, id) }

    func beginScalar() throws { _ = try state.beginElementOrThrow(depth, id) }
    func encode(_ value: Int128) throws { try encodeInteger(value) }
    func encode(_ value: UInt128) throws { try encodeInteger(value) }

    func encode<T: Encodable>(_ value: T) throws {
        let index = try state.beginElementOrThrow(depth, id)
        if try state.writeLeaf(value) { return }
        try state.encodeNested(value, at: .index(index))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(JSONKeyedContainer<NestedKey>(state: state, depth: depth + 1, id: nested(.object)))
    }

    func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        JSONUnkeyedContainer(state: state, depth: depth + 1, id: nested(.array))
    }

    /// An element whose value the returned encoder fills; `{}` if it encodes nothing before
    /// this container is used again.
    func superEncoder() -> any Encoder {
        JSONValueEncoder(state: state, depth: depth + 1, id: nested(.pending))
    }

    /// Opens the next element as a frame of `kind`; its id, 0 if it could not be opened.
    private func nested(_ kind: JSONEncodingFrame.Kind) -> Int {
        guard let index = state.beginElement(depth, id) else { return 0 }
        return (try? state.push(kind, .index(index))) ?? 0
    }
}
