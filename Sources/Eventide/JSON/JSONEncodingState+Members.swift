// Closing an object of two or more members: duplicate keys and `.sortedKeys`.
//
// Foundation collects an object's members in a dictionary, so a repeated key keeps its last
// value, and with `.sortedKeys` orders the members by the UTF-8 bytes of their keys. Members
// here are written as they come; when the object closes, a repeated key asks for the
// fallback and, with `.sortedKeys`, the members are reordered in place.

extension JSONEncodingState {
    /// Checks (and with `.sortedKeys` sorts) the members of `frame`, the object being closed,
    /// whose records are the last `frame.count` of `members`; removes those records.
    func finishMembers(of frame: JSONEncodingFrame) {
        let range = frame.membersStart..<members.count
        assert(range.count == frame.count, "member records out of step with the object")
        for index in range {
            members[index].end = index + 1 < range.upperBound ? members[index + 1].start - 1 : bytes.count
        }
        if sortsKeys {
            sortMembers(range, contentStart: frame.contentStart)
        } else if hasDuplicateKey(range) {
            requestFallback()
        }
        members.removeSubrange(range)
    }

    private func hasDuplicateKey(_ range: Range<Int>) -> Bool {
        bytes.withUnsafeBufferPointer { output in
            if range.count <= 8 {
                for first in range {
                    for second in (first + 1)..<range.upperBound where Self.sameKey(members[first], members[second], in: output) {
                        return true
                    }
                }
                return false
            }
            // Any total order brings equal keys together; the escaped bytes will do.
            let sorted = members[range].sorted { a, b in
                output[(a.start + 1)..<(a.keyEnd - 1)].lexicographicallyPrecedes(output[(b.start + 1)..<(b.keyEnd - 1)])
            }
            return zip(sorted, sorted.dropFirst()).contains { Self.sameKey($0, $1, in: output) }
        }
    }

    private func sortMembers(_ range: Range<Int>, contentStart: Int) {
        let duplicate = bytes.withUnsafeBufferPointer { output in
            members[range].sort { Self.keyPrecedes($0, $1, in: output) }
            return zip(members[range], members[range].dropFirst()).contains { Self.sameKey($0, $1, in: output) }
        }
        if duplicate {
            requestFallback()
            return
        }
        guard zip(members[range], members[range].dropFirst()).contains(where: { $0.start > $1.start }) else { return }
        let content = Array(bytes[contentStart...])
        bytes.removeSubrange(contentStart...)
        for (position, member) in members[range].enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: content[(member.start - contentStart)..<(member.end - contentStart)])
        }
    }

    /// Equal keys are equal escaped: escaping is a function of the key.
    private static func sameKey(_ a: JSONObjectMember, _ b: JSONObjectMember, in output: UnsafeBufferPointer<UInt8>) -> Bool {
        a.keyEnd - a.start == b.keyEnd - b.start && output[a.start..<a.keyEnd].elementsEqual(output[b.start..<b.keyEnd])
    }

    /// Foundation's `.sortedKeys` order: the keys' UTF-8 bytes, compared before escaping
    /// (escaping changes the order: `a"` sorts before `a#`, `a\"` after it).
    private static func keyPrecedes(_ a: JSONObjectMember, _ b: JSONObjectMember, in output: UnsafeBufferPointer<UInt8>) -> Bool {
        var left = JSONUnescapingIterator(output, from: a.start + 1, to: a.keyEnd - 1)
        var right = JSONUnescapingIterator(output, from: b.start + 1, to: b.keyEnd - 1)
        while true {
            switch (left.next(), right.next()) {
            case (let x?, let y?):
                if x != y { return x < y }
            case (nil, .some):
                return true
            case (_, nil):
                return false
            }
        }
    }
}
