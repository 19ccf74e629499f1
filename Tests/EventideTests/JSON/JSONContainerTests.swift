import Foundation
import Testing

@testable import Eventide

/// Containers and whole values against Foundation's `JSONEncoder`.
@Suite("JSON containers")
struct JSONContainerTests {
    @Test func message() throws {
        let bytes = try expectSameAsFoundation(Message(message: "Notification sent in the background"))
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"message":"Notification sent in the background"}"#)
    }

    @Test func structs() throws {
        try expectSameAsFoundation(Profile())
        try expectSameAsFoundation([Profile(), Profile(nickname: "A", email: nil, shape: .point)])
        try expectSameAsFoundation(Point(x: 0, y: 0))
        try expectSameAsFoundation(Empty())
        try expectSameAsFoundation([Empty()])
    }

    @Test func membersInEncodingOrderWithoutSortedKeys() throws {
        #expect(try fastJSON(Point(x: 1, y: 2)) == #"{"x":1,"y":2}"#)
        #expect(try fastJSON(Containers()).hasPrefix(#"{"first":"one","nested":{"a":1,"b":["x",null,[1.5,2.5],{"c":true}],"c":{"x":5,"y":6}}"#))
    }

    @Test func optionals() throws {
        let bytes = try expectSameAsFoundation(Profile())
        #expect(!String(decoding: bytes, as: UTF8.self).contains("nickname"))  // encodeIfPresent skips the key
        try expectSameAsFoundation(["a": nil, "b": 1] as [String: Int?])
        try expectSameAsFoundation([[nil], [1]] as [[Int?]])
        try expectSameAsFoundation(["a": .some(nil), "b": 1] as [String: Int??])
    }

    @Test func enums() throws {
        try expectSameAsFoundation([Color.red, .green])
        try expectSameAsFoundation([Level.low, .high])
        try expectSameAsFoundation([Shape.circle(radius: 1.5), .rect(width: 1, height: 2), .labeled("l", 3), .point])
        try expectSameAsFoundation(Color.red)
        try expectSameAsFoundation([Color.red: Level.low])  // not a String or Int key: a flat array
    }

    @Test func arraysAndDictionaries() throws {
        try expectSameAsFoundation([[1, 2], [], [3, 4, 5]])
        try expectSameAsFoundation([[[String]]]([[["a"]], [[], ["b", "c"]]]))
        try expectSameAsFoundation([Int]())
        try expectSameAsFoundation([String: Int]())
        try expectSameAsFoundation(["b": 1, "a": 2, "c": 3])
        try expectSameAsFoundation(["outer": ["b": [1], "a": [2, 3]]])
        try expectSameAsFoundation([10: "ten", 2: "two", 1: "one", -5: "minus five"])  // an object, keys as strings
        try expectSameAsFoundation([Int8(1): true])
        try expectSameAsFoundation([1.5: "x"])  // not a string or int key: a flat array of keys and values
        try expectSameAsFoundation(Set(["x", "y", "z"]))
        try expectSameAsFoundation(["points": [Point(x: 1, y: 2)]])
        try expectSameAsFoundation(awkwardKeys)
        try expectSameAsFoundation(Dictionary(uniqueKeysWithValues: (0..<300).map { ("key\($0 % 7)-\($0)", $0) }))
        try expectSameAsFoundation(Dictionary(uniqueKeysWithValues: (0..<300).map { ($0 * 7919 % 1000, [$0]) }))
    }

    @Test func sortedKeysUseTheUnescapedBytes() throws {
        let sorted = try fastJSON(["a\"": 1, "a#": 2, "a": 3, "a/": 4], .sortedKeys)
        #expect(sorted == #"{"a":3,"a\"":1,"a#":2,"a\/":4}"#)
    }

    @Test func nestedValuesThatEncodeNothing() throws {
        try expectSameAsFoundation([Silent()])
        try expectSameAsFoundation(["silent": Silent()])
        try expectSameAsFoundation(Wrapper(wrapped: Silent()))
        try expectSameAsFoundation([Wrapper(wrapped: Silent())])
    }

    @Test func singleValueContainers() throws {
        try expectSameAsFoundation(Wrapper(wrapped: "text"))
        try expectSameAsFoundation(Wrapper(wrapped: Point(x: 1, y: 2)))
        try expectSameAsFoundation(Wrapper(wrapped: [1, 2]))
        try expectSameAsFoundation(Wrapper(wrapped: Wrapper(wrapped: 3.25)))
        try expectSameAsFoundation(["w": Wrapper(wrapped: Int?.none)])
        try expectSameAsFoundation(Wrapper(wrapped: UInt16(7)))
    }

    @Test func everyContainerOperation() throws {
        try expectSameAsFoundation(Containers())
        try expectSameAsFoundation([Containers(), Containers()])
    }

    @Test func superEncoders() throws {
        #expect(try fastJSON(Dog(), .sortedKeys) == #"{"breed":"collie","super":{"legs":4,"name":"Rex"}}"#)
        try expectSameAsFoundation(Dog())
        try expectSameAsFoundation([Dog(), Dog()])
        try expectSameAsFoundation(Cat())
        try expectSameAsFoundation(["cat": Cat()])
    }

    @Test func aContainerAskedForTwice() throws {
        try expectSameAsFoundation(TwiceKeyed())
        try expectSameAsFoundation(TwiceUnkeyed())
        try expectSameAsFoundation([TwiceKeyed()])
    }

    @Test func deepNesting() throws {
        try expectSameAsFoundation(Nesting(depth: 200, objects: false))
        try expectSameAsFoundation(Nesting(depth: 200, objects: true))
    }

    @Test func largeValues() throws {
        try expectSameAsFoundation((0..<5_000).map { Point(x: $0, y: -$0) })
        try expectSameAsFoundation(String(repeating: "0123456789\"/\\\n", count: 10_000))
        try expectSameAsFoundation(Dictionary(uniqueKeysWithValues: (0..<2_000).map { ("k\($0)", Profile()) }))
    }
}
