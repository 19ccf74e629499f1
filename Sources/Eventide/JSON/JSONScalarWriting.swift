/// The scalar `encode` overloads the single-value container (`JSONValueEncoder`) and the
/// unkeyed container share: the same writes, after each container's own step that opens
/// the slot the value goes to.
protocol JSONScalarWriting {
    var state: JSONEncodingState { get }
    /// Opens the slot for the next scalar, or throws (the fallback) when it cannot.
    func beginScalar() throws
}

extension JSONScalarWriting {
    func encodeNil() throws {
        try beginScalar()
        state.writeNull()
    }

    func encode(_ value: Bool) throws {
        try beginScalar()
        state.writeBool(value)
    }

    func encode(_ value: String) throws {
        try beginScalar()
        state.writeString(value)
    }

    func encode(_ value: Double) throws {
        try beginScalar()
        try state.writeFloatingPoint(value)
    }

    func encode(_ value: Float) throws {
        try beginScalar()
        try state.writeFloatingPoint(value)
    }

    func encode(_ value: Int) throws { try encodeInteger(value) }
    func encode(_ value: Int8) throws { try encodeInteger(value) }
    func encode(_ value: Int16) throws { try encodeInteger(value) }
    func encode(_ value: Int32) throws { try encodeInteger(value) }
    func encode(_ value: Int64) throws { try encodeInteger(value) }
    func encode(_ value: UInt) throws { try encodeInteger(value) }
    func encode(_ value: UInt8) throws { try encodeInteger(value) }
    func encode(_ value: UInt16) throws { try encodeInteger(value) }
    func encode(_ value: UInt32) throws { try encodeInteger(value) }
    func encode(_ value: UInt64) throws { try encodeInteger(value) }

    /// Also behind each container's own `Int128`/`UInt128` overloads, which must be
    /// declared on the type: the standard library's protocol defaults for those two would
    /// make a second protocol-extension candidate ambiguous.
    func encodeInteger<T: FixedWidthInteger>(_ value: T) throws {
        try beginScalar()
        state.writeInteger(value)
    }
}
