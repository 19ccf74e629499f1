/// An ordered list of header (or trailer) fields. Order and the original case of names are
/// preserved; name lookups are ASCII case-insensitive. Repeated names are kept as separate
/// entries.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral,
    CustomStringConvertible, Equatable
{
    /// One field: its name as given and its value (without surrounding whitespace when parsed).
    public typealias Element = (name: String, value: String)

    // A struct rather than a tuple: arrays of tuples are destroyed through slow generic
    // value witnesses.
    struct Field: Sendable {
        var name: String
        var value: String
    }

    var fields: [Field]

    /// Creates an empty list.
    public init() {
        fields = []
    }

    /// Creates a list from `(name, value)` pairs, in order.
    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// Creates a list from a literal such as `["Host": "example.com"]`, in order.
    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { Field(name: $0.0, value: $0.1) }
    }

    /// Reserves room for `capacity` fields.
    public mutating func reserveCapacity(_ capacity: Int) {
        fields.reserveCapacity(capacity)
    }

    /// Appends a field, keeping any existing fields with the same name.
    public mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces the first field named `name` (keeping its position) and removes the others;
    /// appends a new field when none exists.
    public mutating func replaceOrAdd(name: String, value: String) {
        guard let first = fields.firstIndex(where: { ASCII.caseInsensitiveEquals($0.name, name) })
        else {
            add(name: name, value: value)
            return
        }
        fields[first] = Field(name: name, value: value)
        var i = fields.index(after: first)
        while i < fields.endIndex {
            if ASCII.caseInsensitiveEquals(fields[i].name, name) {
                fields.remove(at: i)
            } else {
                i += 1
            }
        }
    }

    /// Removes every field named `name`.
    public mutating func remove(name: String) {
        fields.removeAll { ASCII.caseInsensitiveEquals($0.name, name) }
    }

    /// The value of the first field named `name`, or nil.
    public func first(name: String) -> String? {
        for field in fields where ASCII.caseInsensitiveEquals(field.name, name) {
            return field.value
        }
        return nil
    }

    /// The values of all fields named `name`, in order (empty when absent).
    public subscript(name: String) -> [String] {
        fields.compactMap { ASCII.caseInsensitiveEquals($0.name, name) ? $0.value : nil }
    }

    /// Whether any field is named `name`.
    public func contains(name: String) -> Bool {
        fields.contains { ASCII.caseInsensitiveEquals($0.name, name) }
    }

    /// The number of fields (repeated names counted separately).
    public var count: Int { fields.count }

    /// Whether there are no fields.
    public var isEmpty: Bool { fields.isEmpty }

    /// Iterates the fields in order.
    public func makeIterator() -> Iterator {
        Iterator(base: fields.makeIterator())
    }

    /// Iterates the fields of an ``HTTPHeaders`` in order.
    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Field]>

        /// The next field, or nil at the end.
        public mutating func next() -> Element? {
            guard let field = base.next() else { return nil }
            return (name: field.name, value: field.value)
        }
    }

    /// The number of fields, as a lower bound for `Sequence` algorithms.
    public var underestimatedCount: Int { fields.count }

    /// The fields as `name: value` items, e.g. `[Host: a, Accept: */*]`.
    public var description: String {
        "[" + fields.map { "\($0.name): \($0.value)" }.joined(separator: ", ") + "]"
    }

    /// Equal when both lists have the same fields in the same order; names compare
    /// case-insensitively, values exactly.
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        guard lhs.fields.count == rhs.fields.count else { return false }
        for (l, r) in zip(lhs.fields, rhs.fields) {
            if l.value != r.value || !ASCII.caseInsensitiveEquals(l.name, r.name) { return false }
        }
        return true
    }
}
