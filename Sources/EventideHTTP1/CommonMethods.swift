/// The standard request methods, returned as string literals (see `CommonFieldNames`:
/// a literal costs a few comparisons where a `String` made from the bytes costs ~150
/// instructions, on every request). Methods are case-sensitive, so only the exact
/// uppercase tokens match; any other method is made from its bytes.
enum CommonMethods {
    /// The method token in `bytes[range]`.
    @inline(__always)
    static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        literal(bytes, range) ?? ASCII.string(bytes, range)
    }

    static func literal(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String? {
        func matches(_ token: StaticString) -> Bool {
            CommonFieldNames.memoryEquals(bytes, range, token)
        }
        switch range.count {
        case 3:
            if matches("GET") { return "GET" }
            if matches("PUT") { return "PUT" }
        case 4:
            if matches("POST") { return "POST" }
            if matches("HEAD") { return "HEAD" }
        case 5:
            if matches("PATCH") { return "PATCH" }
            if matches("TRACE") { return "TRACE" }
        case 6:
            if matches("DELETE") { return "DELETE" }
        case 7:
            if matches("OPTIONS") { return "OPTIONS" }
            if matches("CONNECT") { return "CONNECT" }
        default:
            break
        }
        return nil
    }
}
