/// The keys `JSONBytesEncoder` puts into coding paths itself, spelled as Foundation's
/// `JSONEncoder` spells them: `"Index 3"` (int value 3) for an element of an unkeyed
/// container, `"super"` for a keyed container's `superEncoder()`.
struct JSONCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }

    init(intValue: Int) {
        stringValue = "\(intValue)"
        self.intValue = intValue
    }

    /// The key of element `index` of an unkeyed container.
    init(index: Int) {
        stringValue = "Index \(index)"
        intValue = index
    }

    /// The key of a keyed container's `superEncoder()`.
    static let superKey = JSONCodingKey(stringValue: "super")
}
