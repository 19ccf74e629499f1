/// Writes bytes into preallocated memory of a precomputed size. Every write is bounds-checked
/// (also in release builds) so a sizing mistake traps instead of corrupting memory.
struct ByteWriter {
    private let base: UnsafeMutableRawPointer
    private let capacity: Int
    private(set) var offset = 0

    init(_ buffer: UnsafeMutableRawBufferPointer) {
        self.base = buffer.baseAddress!
        self.capacity = buffer.count
    }

    @inline(__always)
    private func reserve(_ count: Int) {
        precondition(count <= capacity &- offset, "ByteWriter overflow")
    }

    @inline(__always)
    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + offset).copyMemory(from: source, byteCount: bytes.count)
        offset &+= bytes.count
    }

    @inline(__always)
    mutating func write(_ s: StaticString) {
        reserve(s.utf8CodeUnitCount)
        (base + offset).copyMemory(from: s.utf8Start, byteCount: s.utf8CodeUnitCount)
        offset &+= s.utf8CodeUnitCount
    }

    @inline(__always)
    mutating func write(_ s: String) {
        ASCII.withUTF8(s) { write($0) }
    }

    @inline(__always)
    mutating func write(byte: UInt8) {
        reserve(1)
        base.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
        offset &+= 1
    }

    /// Writes a non-negative integer in decimal (negative values as 0).
    mutating func writeDecimal(_ value: Int) {
        let digits = ByteWriter.decimalDigits(value)
        reserve(digits)
        var v = UInt(max(value, 0))
        var i = digits
        while i > 0 {
            i &-= 1
            let digit = UInt8(truncatingIfNeeded: 0x30 &+ v % 10)
            base.storeBytes(of: digit, toByteOffset: offset &+ i, as: UInt8.self)
            v /= 10
        }
        offset &+= digits
    }

    /// Writes a non-negative integer in lowercase hexadecimal.
    mutating func writeHex(_ value: Int) {
        let digits = ByteWriter.hexDigits(value)
        var shift = digits &* 4
        while shift > 0 {
            shift &-= 4
            let nibble = UInt8(truncatingIfNeeded: value >> shift) & 0xF
            write(byte: nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble)
        }
    }

    static func decimalDigits(_ value: Int) -> Int {
        var v = max(value, 0)
        var n = 1
        while v >= 10 {
            v /= 10
            n &+= 1
        }
        return n
    }

    static func hexDigits(_ value: Int) -> Int {
        max(1, (Int.bitWidth &- value.leadingZeroBitCount &+ 3) >> 2)
    }
}

extension Array where Element == UInt8 {
    /// Appends `count` bytes produced by `body`, which must write exactly `count` bytes.
    /// Small outputs are assembled on the stack and appended with one copy.
    @inline(__always)
    mutating func appendBytes(count: Int, _ body: (inout ByteWriter) -> Void) {
        withUnsafeTemporaryAllocation(byteCount: count, alignment: 1) { scratch in
            var writer = ByteWriter(scratch)
            body(&writer)
            assert(writer.offset == count, "size computation and output disagree")
            append(contentsOf: UnsafeRawBufferPointer(scratch))
        }
    }
}
