import Testing

@testable import Eventide

@Suite("ByteKeyTable")
struct ByteKeyTableTests {
    private func lookup(_ table: ByteKeyTable, _ key: String) -> Int? {
        Array(key.utf8).withUnsafeBytes { table.value(for: $0) }
    }

    @Test func emptyTable() {
        let table = ByteKeyTable()
        #expect(table.isEmpty)
        #expect(lookup(table, "") == nil)
        #expect(lookup(table, "a") == nil)
    }

    @Test func manyKeysGrowAndStayFindable() {
        var table = ByteKeyTable()
        let keys = [""] + (0..<600).map { "segment-\($0)" } + ["a", "ab", "abcdefgh", "abcdefghi", "/a/very/long/path/over/sixteen/bytes"]
        for (index, key) in keys.enumerated() {
            table.setValue(index, for: key)
        }
        #expect(table.count == keys.count)
        for (index, key) in keys.enumerated() {
            #expect(lookup(table, key) == index, "\(key)")
            #expect(table.value(for: key) == index)
        }
        for missing in ["segment-600", "segment-", "abcdefg", "abcdefgX", "b", "/a/very/long/path/over/sixteen/byteS"] {
            #expect(lookup(table, missing) == nil, "\(missing)")
        }
    }

    @Test func setValueReplaces() {
        var table = ByteKeyTable()
        table.setValue(1, for: "users")
        table.setValue(2, for: "users")
        #expect(table.count == 1)
        #expect(lookup(table, "users") == 2)
    }

    @Test func comparesBytesNotCanonicalEquivalence() {
        var table = ByteKeyTable()
        table.setValue(1, for: "caf\u{E9}")
        #expect(lookup(table, "caf\u{E9}") == 1)
        #expect(lookup(table, "cafe\u{301}") == nil)
    }
}
