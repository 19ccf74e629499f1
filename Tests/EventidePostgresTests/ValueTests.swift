import EventidePostgres
import EventideUVLoop
import Testing

@Suite struct ValueTests {
    @Test func everyScalarRoundTrips() async throws {
        let test = try TestLoop()
        let connection = try await test.connect()
        func echo(_ value: PostgresValue) async throws -> PostgresRows {
            try await test.query(connection, "SELECT $1 AS v", [value])
        }
        #expect(try await echo(.null).isNull(0, 0))
        #expect(try await echo(.bool(true)).bool(0, 0) == true)
        #expect(try await echo(.bool(false)).bool(0, "v") == false)
        #expect(try await echo(.int32(-7)).int64(0, 0) == -7)
        #expect(try await echo(.int64(Int64.max)).int64(0, 0) == Int64.max)
        #expect(try await echo(.float64(2.5)).double(0, 0) == 2.5)
        #expect(try await echo(.text("")).string(0, 0) == "")
        #expect(try await echo(.text("héllo ✓")).string(0, 0) == "héllo ✓")
        #expect(try await echo(.bytea([0, 1, 255])).bytes(0, 0) == [0, 1, 255])
        let json = Array(#"{"a": 1, "b": [true, null]}"#.utf8)
        #expect(try await echo(.jsonb(json)).bytes(0, 0) == json)
        #expect(try await echo(.jsonb(json)).string(0, 0) == #"{"a": 1, "b": [true, null]}"#)
        for milliseconds: Int64 in [0, 1_733_500_000_123, -1_234] {
            #expect(try await echo(.timestamp(milliseconds: milliseconds)).timestampMilliseconds(0, 0) == milliseconds)
        }
        let rendered = try await test.query(connection, "SELECT 12.50::numeric, -0.001::numeric, 123456789::numeric, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, 7::int2")
        #expect(rendered.string(0, 0) == "12.50")
        #expect(rendered.string(0, 1) == "-0.001")
        #expect(rendered.string(0, 2) == "123456789")
        #expect(rendered.string(0, 3) == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
        #expect(rendered.int64(0, 4) == 7)
        #expect(rendered.int64(0, 0) == nil)
        try await test.finish(closing: [connection])
    }

    @Test func everyArrayRoundTripsThroughUnnest() async throws {
        let test = try TestLoop()
        let connection = try await test.connect()
        func unnest(_ value: PostgresValue) async throws -> PostgresRows {
            try await test.query(connection, "SELECT x FROM unnest($1) WITH ORDINALITY AS t(x, i) ORDER BY i", [value])
        }
        let int64s = try await unnest(.int64Array([1, -2, Int64.min]))
        #expect((0..<int64s.count).map { int64s.int64($0, 0) } == [1, -2, Int64.min])
        let int32s = try await unnest(.int32Array([3, Int32.max]))
        #expect((0..<int32s.count).map { int32s.int64($0, 0) } == [3, Int64(Int32.max)])
        let texts = try await unnest(.textArray(["a", nil, "", "ü"]))
        #expect((0..<texts.count).map { texts.string($0, 0) } == ["a", nil, "", "ü"])
        let jsons = try await unnest(.jsonbArray([Array("[1]".utf8), Array(#"{"k": "v"}"#.utf8)]))
        #expect((0..<jsons.count).map { jsons.string($0, 0) } == ["[1]", #"{"k": "v"}"#])
        let times = try await unnest(.timestampArray([5, nil, -5]))
        #expect((0..<times.count).map { times.timestampMilliseconds($0, 0) } == [5, nil, -5])
        let bools = try await unnest(.boolArray([true, false]))
        #expect((0..<bools.count).map { bools.bool($0, 0) } == [true, false])
        let empty = try await test.query(connection, "SELECT cardinality($1) AS n", [.int64Array([])])
        #expect(empty.int64(0, "n") == 0)
        try await test.finish(closing: [connection])
    }
}
