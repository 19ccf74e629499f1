/// Header names common in requests, returned as string literals.
///
/// Making a `String` from received bytes validates the UTF-8 and builds the string
/// (~140 instructions even for a short ASCII name); comparing the bytes with a literal
/// of the same length costs a few. Only exact spellings match (the canonical one, and for
/// the commonest names the all-lowercase one HTTP/2-era clients send), so the result is
/// always the name as received.
enum CommonFieldNames {
    /// The name in `bytes[range]`, from a literal when it is a common one.
    @inline(__always)
    static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        literal(bytes, range) ?? ASCII.string(bytes, range)
    }

    static func literal(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String? {
        func matches(_ name: StaticString) -> Bool {
            memoryEquals(bytes, range, name)
        }
        switch range.count {
        case 4:
            if matches("Host") { return "Host" }
            if matches("host") { return "host" }
        case 6:
            if matches("Accept") { return "Accept" }
            if matches("Cookie") { return "Cookie" }
            if matches("Origin") { return "Origin" }
            if matches("accept") { return "accept" }
        case 7:
            if matches("Referer") { return "Referer" }
        case 10:
            if matches("User-Agent") { return "User-Agent" }
            if matches("Connection") { return "Connection" }
            if matches("user-agent") { return "user-agent" }
            if matches("connection") { return "connection" }
        case 12:
            if matches("Content-Type") { return "Content-Type" }
            if matches("content-type") { return "content-type" }
        case 13:
            if matches("Authorization") { return "Authorization" }
            if matches("Cache-Control") { return "Cache-Control" }
        case 14:
            if matches("Content-Length") { return "Content-Length" }
            if matches("content-length") { return "content-length" }
        case 15:
            if matches("Accept-Encoding") { return "Accept-Encoding" }
            if matches("Accept-Language") { return "Accept-Language" }
            if matches("accept-encoding") { return "accept-encoding" }
        default:
            break
        }
        return nil
    }

    @inline(__always)
    static func memoryEquals(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ name: StaticString
    ) -> Bool {
        // The caller switched on the length: only the bytes are compared here.
        assert(name.utf8CodeUnitCount == range.count, "\(name) listed under the wrong length")
        let literal = name.utf8Start
        var i = 0
        while i < range.count {
            if bytes[range.lowerBound &+ i] != literal[i] { return false }
            i &+= 1
        }
        return true
    }
}
