import Foundation
import Testing

@testable import Eventide

/// Coding paths as a custom `encode(to:)` sees them, recorded under both encoders.
@Suite("JSON coding paths")
struct JSONCodingPathTests {
    @Test func pathsMatchFoundation() throws {
        let foundationLog = PathLog()
        _ = try foundationJSON(PathProbe(depth: 2, log: foundationLog))
        let fastLog = PathLog()
        let bytes = try JSONBytesEncoder.encodeWithoutFallback(PathProbe(depth: 2, log: fastLog))
        #expect(bytes != nil)
        #expect(fastLog.lines.count > 20)
        #expect(fastLog.lines.count == foundationLog.lines.count)
        for (index, (fast, foundation)) in zip(fastLog.lines, foundationLog.lines).enumerated() where fast != foundation {
            Issue.record("line \(index): \(fast) (Foundation: \(foundation))")
            break
        }
    }

    @Test func dictionaryAndArrayElementPaths() throws {
        let foundationLog = PathLog()
        _ = try foundationJSON(["k": [Leaf(log: foundationLog), Leaf(log: foundationLog)]])
        let fastLog = PathLog()
        _ = try #require(try JSONBytesEncoder.encodeWithoutFallback(["k": [Leaf(log: fastLog), Leaf(log: fastLog)]]))
        #expect(fastLog.lines == ["k/-,Index 0/0", "k/-,Index 1/1"])
        #expect(fastLog.lines == foundationLog.lines)

        let numericLog = PathLog()
        _ = try foundationJSON(["1": Leaf(log: numericLog)])
        _ = try foundationJSON([2: Leaf(log: numericLog)])
        _ = try #require(try JSONBytesEncoder.encodeWithoutFallback(["1": Leaf(log: numericLog)]))
        _ = try #require(try JSONBytesEncoder.encodeWithoutFallback([2: Leaf(log: numericLog)]))
        #expect(numericLog.lines.count == 4)
        #expect(numericLog.lines[2...] == numericLog.lines[..<2])
    }

    @Test func userInfoIsEmpty() throws {
        let log = PathLog()
        _ = try JSONBytesEncoder.encode(Leaf(log: log, recordUserInfo: true))
        #expect(log.lines == ["", "userInfo 0"])
    }
}

final class PathLog {
    var lines: [String] = []

    func record(_ label: String, _ path: [any CodingKey]) {
        let rendered = path.map { key in "\(key.stringValue)/\(key.intValue.map(String.init) ?? "-")" }
        lines.append(([label] + rendered).joined(separator: " "))
    }
}

/// Records its encoder's path.
struct Leaf: Encodable {
    let log: PathLog
    var recordUserInfo = false

    func encode(to encoder: any Encoder) throws {
        log.lines.append(encoder.codingPath.map { "\($0.stringValue)/\($0.intValue.map(String.init) ?? "-")" }.joined(separator: ","))
        if recordUserInfo { log.lines.append("userInfo \(encoder.userInfo.count)") }
        var container = encoder.singleValueContainer()
        try container.encode(1)
    }
}

/// Records the coding path of its encoder and of every container it opens, through keyed,
/// unkeyed, nested and super paths, recursing `depth` levels.
struct PathProbe: Encodable {
    var depth: Int
    var log = PathLog()

    enum Keys: String, CodingKey { case child, list, nested, single }

    func encode(to encoder: any Encoder) throws {
        log.record("encoder", encoder.codingPath)
        var container = encoder.container(keyedBy: Keys.self)
        log.record("keyed", container.codingPath)
        guard depth > 0 else { return }
        let child = PathProbe(depth: depth - 1, log: log)
        try container.encode(child, forKey: .child)
        var list = container.nestedUnkeyedContainer(forKey: .list)
        log.record("list", list.codingPath)
        try list.encode(child)
        try list.encode(Wrapper(wrapped: child))
        var inner = list.nestedContainer(keyedBy: Keys.self)
        log.record("inner", inner.codingPath)
        try inner.encode(child, forKey: .single)
        var innerList = list.nestedUnkeyedContainer()
        log.record("innerList", innerList.codingPath)
        try innerList.encode(child)
        try child.encode(to: list.superEncoder())
        log.record("list count \(list.count)", list.codingPath)
        var nested = container.nestedContainer(keyedBy: Keys.self, forKey: .nested)
        log.record("nested", nested.codingPath)
        try nested.encode(child, forKey: .single)
        try child.encode(to: nested.superEncoder())
        try child.encode(to: container.superEncoder(forKey: .single))
    }
}
