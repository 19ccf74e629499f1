/// A small open-addressing hash table from byte strings to `Int`, looked up
/// with borrowed bytes.
///
/// Used for the router's whole-path table and literal children. Unlike a
/// `Dictionary` keyed by String, a lookup needs no key object, no Unicode
/// comparison and no retain of the request's storage: it hashes the bytes of
/// the request path in place. The table is only filled at startup, so a fast
/// unseeded hash is fine (requests cannot add colliding keys).
struct ByteKeyTable: Sendable {
    private struct Entry: Sendable {
        var hash: UInt64
        var start: Int
        var count: Int
        var value: Int
    }

    /// Every key's bytes, back to back.
    private var keyBytes: [UInt8] = []
    private var entries: [Entry] = []
    /// Power-of-two slot array holding `entry index + 1`; `0` marks an empty slot.
    private var slots: [Int32] = []

    init() {}

    var isEmpty: Bool { entries.isEmpty }

    var count: Int { entries.count }

    /// The value stored for `key`.
    func value(for key: UnsafeRawBufferPointer) -> Int? {
        guard !slots.isEmpty else { return nil }
        let hash = Self.hash(key)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        return keyBytes.withUnsafeBytes { stored -> Int? in
            while true {
                let entryIndex = Int(slots[slot]) - 1
                guard entryIndex >= 0 else { return nil }
                let entry = entries[entryIndex]
                if entry.hash == hash, entry.count == key.count,
                    Self.bytesEqual(UnsafeRawBufferPointer(rebasing: stored[entry.start..<entry.start + entry.count]), key)
                {
                    return entry.value
                }
                slot = (slot + 1) & mask
            }
        }
    }

    /// The value stored for `key`.
    func value(for key: String) -> Int? {
        var key = key
        return key.withUTF8 { value(for: UnsafeRawBufferPointer($0)) }
    }

    /// Stores `value` for `key`, replacing an existing value.
    mutating func setValue(_ value: Int, for key: String) {
        var key = key
        key.withUTF8 { setValue(value, for: UnsafeRawBufferPointer($0)) }
    }

    private mutating func setValue(_ value: Int, for key: UnsafeRawBufferPointer) {
        let hash = Self.hash(key)
        if let slot = findSlot(for: key, hash: hash), slots[slot] != 0 {
            entries[Int(slots[slot]) - 1].value = value
            return
        }
        entries.append(Entry(hash: hash, start: keyBytes.count, count: key.count, value: value))
        keyBytes.append(contentsOf: key)
        // Keep the load factor at or below one half so probe chains stay short.
        if slots.count < entries.count * 2 {
            rebuildSlots(capacity: max(8, slots.count * 2))
        } else {
            let slot = findSlot(for: key, hash: hash)!
            slots[slot] = Int32(entries.count)
        }
    }

    /// The slot holding `key`, or the empty slot where it would go; `nil` when there are no slots.
    private func findSlot(for key: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let entry = entries[Int(slots[slot]) - 1]
            let matches = keyBytes.withUnsafeBytes { stored in
                entry.hash == hash && entry.count == key.count
                    && Self.bytesEqual(UnsafeRawBufferPointer(rebasing: stored[entry.start..<entry.start + entry.count]), key)
            }
            if matches { return slot }
            slot = (slot + 1) & mask
        }
        return slot
    }

    private mutating func rebuildSlots(capacity: Int) {
        slots = Array(repeating: 0, count: capacity)
        let mask = capacity - 1
        for (index, entry) in entries.enumerated() {
            var slot = Int(truncatingIfNeeded: entry.hash) & mask
            while slots[slot] != 0 {
                slot = (slot + 1) & mask
            }
            slots[slot] = Int32(index + 1)
        }
    }

    /// A fast 64-bit hash over 8-byte words with a final avalanche (splitmix64 finalizer).
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var offset = 0
        while offset + 8 <= bytes.count {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0x0000_0100_0000_01B3
            hash ^= hash >> 29
            offset += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count {
            tail |= UInt64(bytes[offset]) << shift
            shift += 8
            offset += 1
        }
        hash = (hash ^ tail) &* 0xBF58_476D_1CE4_E5B9
        hash ^= hash >> 31
        hash = hash &* 0x94D0_49BB_1331_11EB
        return hash ^ (hash >> 32)
    }

    /// Compares two equally long buffers eight bytes at a time.
    static func bytesEqual(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset + 8 <= left.count {
            guard
                left.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    == right.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            else { return false }
            offset += 8
        }
        while offset < left.count {
            guard left[offset] == right[offset] else { return false }
            offset += 1
        }
        return true
    }
}
