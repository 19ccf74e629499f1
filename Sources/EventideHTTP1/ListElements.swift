/// Iterates the elements of a comma-separated field value (RFC 9110 §5.6.1) as byte ranges
/// with surrounding whitespace removed. Empty elements are produced as empty ranges.
struct ListElements: Sequence, IteratorProtocol {
    private let bytes: UnsafeRawBufferPointer
    private var position: Int
    private let end: Int
    private var finished = false

    init(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    mutating func next() -> Range<Int>? {
        guard !finished else { return nil }
        var start = position
        var stop = start
        while stop < end && bytes[stop] != ASCII.comma { stop &+= 1 }
        if stop == end { finished = true } else { position = stop &+ 1 }
        while start < stop && ASCII.isWhitespace(bytes[start]) { start &+= 1 }
        while stop > start && ASCII.isWhitespace(bytes[stop &- 1]) { stop &-= 1 }
        return start..<stop
    }
}
