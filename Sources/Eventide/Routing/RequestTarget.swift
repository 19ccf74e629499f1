/// A request-target (RFC 9112 section 3.2) split into path and query, as
/// slices of the original text (no copying).
///
/// - origin-form `/path?query`: the usual case.
/// - absolute-form `http://host:port/path?query`: accepted as servers must;
///   the path is taken from it (`/` when empty) and the authority exposed.
///   Only the `http` and `https` schemes (any case) are accepted.
/// - asterisk-form `*` (for `OPTIONS *`): path `*`.
///
/// A `#fragment` is never part of a target; if one is sent, it and everything
/// after it are ignored. Anything else (empty, authority-form, other schemes)
/// is rejected with `nil`, for the caller to answer 400.
package struct RequestTarget: Sendable {
    enum Form: Sendable, Equatable {
        case origin
        case absolute
        case asterisk
    }

    let form: Form
    /// The raw, still percent-encoded path. Never empty.
    let path: Substring
    /// The raw query after `?` (possibly empty), or `nil` when there is no `?`.
    let query: Substring?
    /// `host[:port]` from an absolute-form target, which takes precedence over `Host`.
    let authority: Substring?

    init?(_ raw: Substring) {
        let utf8 = raw.utf8
        guard let first = utf8.first else { return nil }
        if first == UInt8(ascii: "/") {
            self.init(form: .origin, pathAndQuery: raw, authority: nil)
        } else if first == UInt8(ascii: "*") {
            guard utf8.count == 1 else { return nil }
            self.init(form: .asterisk, path: raw, query: nil, authority: nil)
        } else {
            guard let afterScheme = Self.afterHTTPScheme(raw) else { return nil }
            let rest = raw[afterScheme...]
            let authorityEnd = rest.utf8.firstIndex { byte in
                byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#")
            } ?? rest.endIndex
            // RFC 9110 4.2.1: an http(s) URI with an empty host is invalid.
            guard authorityEnd != rest.startIndex else { return nil }
            self.init(form: .absolute, pathAndQuery: rest[authorityEnd...], authority: rest[..<authorityEnd])
        }
    }

    package init?(_ raw: String) {
        self.init(raw[...])
    }

    private init(form: Form, path: Substring, query: Substring?, authority: Substring?) {
        self.form = form
        self.path = path
        self.query = query
        self.authority = authority
    }

    /// Splits `text` (empty or starting with `/`, `?` or `#`) at `?` and drops any fragment.
    private init(form: Form, pathAndQuery text: Substring, authority: Substring?) {
        let utf8 = text.utf8
        let end: String.Index
        let queryMark: String.Index?
        // One pass over contiguous bytes (always, for the parser's strings): the generic
        // index walk of `firstIndex(of:)` showed in request profiles.
        if let (endOffset, queryOffset) = utf8.withContiguousStorageIfAvailable(Self.fragmentAndQueryOffsets) {
            end = utf8.index(utf8.startIndex, offsetBy: endOffset)
            queryMark = queryOffset.map { utf8.index(utf8.startIndex, offsetBy: $0) }
        } else {
            end = utf8.firstIndex(of: UInt8(ascii: "#")) ?? utf8.endIndex
            queryMark = utf8[..<end].firstIndex(of: UInt8(ascii: "?"))
        }
        var path = text[..<(queryMark ?? end)]
        if path.isEmpty {
            path = "/"  // absolute-form with an empty path means "/" (RFC 9112 3.2.2)
        }
        let query = queryMark.map { text[utf8.index(after: $0)..<end] }
        self.init(form: form, path: path, query: query, authority: authority)
    }

    /// The offset of the first `#` (or the length) and of the first `?` before it.
    private static func fragmentAndQueryOffsets(_ bytes: UnsafeBufferPointer<UInt8>) -> (end: Int, query: Int?) {
        var query: Int?
        for offset in bytes.indices {
            switch bytes[offset] {
            case UInt8(ascii: "#"): return (offset, query)
            case UInt8(ascii: "?") where query == nil: query = offset
            default: continue
            }
        }
        return (bytes.count, query)
    }

    /// The index just after a case-insensitive `http://` or `https://` prefix.
    private static func afterHTTPScheme(_ raw: Substring) -> String.Index? {
        let utf8 = raw.utf8
        var index = utf8.startIndex
        for expected in "http".utf8 {
            guard index != utf8.endIndex, utf8[index] | 0x20 == expected else { return nil }
            utf8.formIndex(after: &index)
        }
        if index != utf8.endIndex, utf8[index] | 0x20 == UInt8(ascii: "s") {
            utf8.formIndex(after: &index)
        }
        for expected in "://".utf8 {
            guard index != utf8.endIndex, utf8[index] == expected else { return nil }
            utf8.formIndex(after: &index)
        }
        return index
    }
}
