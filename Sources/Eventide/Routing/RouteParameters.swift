/// The path parameters captured by the matched route, in template order.
///
/// Values are percent-decoded as UTF-8 (`+` stays `+`; `%2F` becomes `/`
/// without splitting the segment). A segment whose escapes are malformed or
/// decode to invalid UTF-8 is kept raw rather than failing the match.
public struct RouteParameters: Sendable, Sequence {
    public typealias Element = (name: String, value: String)

    // Names are shared with the route's template, so a match allocates only `values`.
    private let names: [String]
    private let values: [String]

    /// No parameters.
    public init() {
        self.names = []
        self.values = []
    }

    init(names: [String], values: [String]) {
        precondition(names.count == values.count, "one value per parameter name")
        self.names = names
        self.values = values
    }

    public var count: Int { names.count }

    public var isEmpty: Bool { names.isEmpty }

    /// The value of the parameter called `name`, or `nil` if the route has none.
    public subscript(_ name: String) -> String? {
        guard let index = names.firstIndex(of: name) else { return nil }
        return values[index]
    }

    /// The value of `name`, throwing ``MissingParameterError`` when absent (a name not in the route's template: the server answers 400).
    public func require(_ name: String) throws(MissingParameterError) -> String {
        guard let value = self[name] else { throw MissingParameterError(name: name) }
        return value
    }

    /// The value of `name` converted with `T(_:)`; `nil` when absent or not convertible.
    public func get<T: LosslessStringConvertible>(_ name: String, as type: T.Type = T.self) -> T? {
        self[name].flatMap(T.init)
    }

    /// The value of `name` converted with `T(_:)`, throwing a `ValidationError` (422,
    /// `loc` ["path", name]) when it does not convert, or ``MissingParameterError`` when
    /// the route's template has no such name.
    public func require<T: LosslessStringConvertible>(_ name: String, as type: T.Type) throws -> T {
        let value = try require(name)
        guard let converted = T(value) else { throw ValidationError.parameter(name, in: "path", value: value, as: type) }
        return converted
    }

    public func makeIterator() -> Iterator {
        Iterator(parameters: self)
    }

    /// Iterates `(name, value)` pairs in template order.
    public struct Iterator: IteratorProtocol {
        private let parameters: RouteParameters
        private var index = 0

        fileprivate init(parameters: RouteParameters) {
            self.parameters = parameters
        }

        public mutating func next() -> Element? {
            guard index < parameters.names.count else { return nil }
            defer { index += 1 }
            return (parameters.names[index], parameters.values[index])
        }
    }
}
