/// The decoded `application/x-www-form-urlencoded` query of a request,
/// e.g. `a=1&b=two&a=3&flag&x=%20y+z`.
///
/// Pairs keep their order and repeated names are all kept. `+` decodes to a
/// space and `%XX` escapes are decoded as UTF-8. Parsing never fails: a
/// malformed escape is kept literally and invalid UTF-8 becomes U+FFFD. Empty
/// pieces (`&&`) are skipped; `flag` and `a=` give an empty value and `=b`
/// gives an empty name.
public struct QueryParameters: Sendable, Sequence {
    public typealias Element = (name: String, value: String)

    private var pairs: [Element]

    /// An empty query.
    public init() {
        self.pairs = []
    }

    /// Parses the raw query (the text after `?`, without the `?`).
    public init(rawQuery: Substring) {
        let utf8 = rawQuery.utf8
        var pairs: [Element] = []
        // One allocation for the pair array; small names and values are stored inline in their Strings.
        pairs.reserveCapacity(utf8.reduce(1) { $1 == UInt8(ascii: "&") ? $0 + 1 : $0 })
        var pieceStart = utf8.startIndex
        while pieceStart < utf8.endIndex {
            let pieceEnd = utf8[pieceStart...].firstIndex(of: UInt8(ascii: "&")) ?? utf8.endIndex
            if pieceStart != pieceEnd {
                let piece = utf8[pieceStart..<pieceEnd]
                let equals = piece.firstIndex(of: UInt8(ascii: "=")) ?? pieceEnd
                let valueStart = equals == pieceEnd ? pieceEnd : utf8.index(after: equals)
                pairs.append(
                    (
                        PercentDecoding.decodeLenient(utf8[pieceStart..<equals], plusAsSpace: true),
                        PercentDecoding.decodeLenient(utf8[valueStart..<pieceEnd], plusAsSpace: true)
                    )
                )
            }
            pieceStart = pieceEnd == utf8.endIndex ? pieceEnd : utf8.index(after: pieceEnd)
        }
        self.pairs = pairs
    }

    /// Parses the raw query (the text after `?`, without the `?`).
    public init(rawQuery: String) {
        self.init(rawQuery: rawQuery[...])
    }

    public var count: Int { pairs.count }

    public var isEmpty: Bool { pairs.isEmpty }

    /// The first value for `name`, or `nil` if it does not occur.
    public subscript(_ name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    /// Every value for `name`, in order.
    public func all(_ name: String) -> [String] {
        pairs.compactMap { $0.name == name ? $0.value : nil }
    }

    /// Whether `name` occurs at all (also as a bare `flag`).
    public func contains(_ name: String) -> Bool {
        pairs.contains { $0.name == name }
    }

    /// The first value for `name` converted with `T(_:)`; `nil` when absent or not convertible.
    public func get<T: LosslessStringConvertible>(_ name: String, as type: T.Type = T.self) -> T? {
        self[name].flatMap(T.init)
    }

    /// The first value for `name` converted with `T(_:)`, throwing a `ValidationError`
    /// (422, `loc` ["query", name]) when it is missing or does not convert.
    public func require<T: LosslessStringConvertible>(_ name: String, as type: T.Type = T.self) throws(ValidationError) -> T {
        guard let value = self[name], let converted = T(value) else {
            throw ValidationError.parameter(name, in: "query", value: self[name], as: type)
        }
        return converted
    }

    public func makeIterator() -> IndexingIterator<[Element]> {
        pairs.makeIterator()
    }
}
