/// A line for `LogFile`, written as a string literal with interpolations and built straight
/// into UTF-8 bytes, sized once: a `String` interpolation grows its buffer as it goes (three
/// allocations for a notification line, one here).
struct LogLine: ExpressibleByStringInterpolation {
    let bytes: [UInt8]

    /// The bytes of `text`.
    init(_ text: String) { bytes = Array(text.utf8) }

    init(stringLiteral text: String) { self.init(text) }

    init(stringInterpolation: Interpolation) { bytes = stringInterpolation.bytes }

    struct Interpolation: StringInterpolationProtocol {
        var bytes: [UInt8] = []

        init(literalCapacity: Int, interpolationCount: Int) {
            // Room for the literal parts and a typical value per interpolation.
            bytes.reserveCapacity(literalCapacity + 32 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: String) { bytes.append(contentsOf: literal.utf8) }

        mutating func appendInterpolation(_ value: some CustomStringConvertible) {
            bytes.append(contentsOf: value.description.utf8)
        }
    }
}
