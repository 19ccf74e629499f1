/// One open JSON value on `JSONEncodingState`'s stack.
struct JSONEncodingFrame {
    enum Kind {
        /// A value is expected here and nothing was encoded yet.
        case pending
        /// A single value was written.
        case single
        /// An object is open: `{` and `count` members were written.
        case object
        /// An array is open: `[` and `count` elements were written.
        case array
    }

    var kind: Kind
    /// Unique within one encoding: a handle whose id no longer matches its frame was
    /// used after the frame closed.
    let id: Int
    /// How this frame is reached from the one below it.
    let component: JSONPathComponent
    /// An encoder's frame (the top level, a nested value, a super encoder), not a nested
    /// container's: coding paths of encoders skip nested containers' keys, as Foundation's.
    let isEncoder: Bool
    /// Members (object) or elements (array) written so far.
    var count = 0
    /// Object: the output offset just past `{`, where the members begin.
    var contentStart = 0
    /// Object: the first member, kept here so one-member objects record nothing in
    /// `JSONEncodingState.members`.
    var firstMember = JSONObjectMember(start: 0, keyEnd: 0)
    /// Object with two or more members: the index of its first record in
    /// `JSONEncodingState.members` (its records run to the end of that array).
    var membersStart = 0
}
