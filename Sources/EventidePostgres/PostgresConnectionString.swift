internal import CLibPQ

/// A libpq connection string or URI (`postgres://user@host:5432/db?...` or
/// `host=... dbname=...`), checked with `PQconninfoParse`.
///
/// Its description lists the options set, with the password redacted, so it can be
/// logged.
public struct PostgresConnectionString: Sendable, CustomStringConvertible {
    /// The string as given, for libpq.
    let string: String
    /// The options set in it, by libpq keyword, in libpq's order.
    let options: [(keyword: String, value: String)]

    /// Parses `string` the way libpq will.
    ///
    /// - Throws: `PostgresError` of kind `.invalidConnectionString` with libpq's message.
    public init(_ string: String) throws(PostgresError) {
        var message: UnsafeMutablePointer<CChar>?
        guard let parsed = PQconninfoParse(string, &message) else {
            let text = message.map { String(cString: $0) } ?? "out of memory"
            PQfreemem(message)
            throw PostgresError(.invalidConnectionString, text.trimmingTrailingNewlines)
        }
        defer { PQconninfoFree(parsed) }
        var options: [(String, String)] = []
        var option = parsed
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { options.append((String(cString: keyword), String(cString: value))) }
            option += 1
        }
        self.string = string
        self.options = options
    }

    /// The value of a libpq option (`host`, `port`, `dbname`...) when the string sets it.
    public func option(_ keyword: String) -> String? {
        options.first { $0.keyword == keyword }?.value
    }

    /// This string with `defaults` for the libpq options it does not set. The `options`
    /// keyword (server settings, `-c name=value`) is merged: the defaults' settings first,
    /// so the string's own win.
    ///
    /// - Throws: `PostgresError` of kind `.invalidConnectionString` when a default is not
    ///   a libpq option.
    public func addingDefaults(_ defaults: [(keyword: String, value: String)]) throws(PostgresError) -> PostgresConnectionString {
        var merged = options
        for (keyword, value) in defaults {
            if keyword == "options", let index = merged.firstIndex(where: { $0.keyword == "options" }) {
                merged[index].value = value + " " + merged[index].value
            } else if !merged.contains(where: { $0.keyword == keyword }) {
                merged.append((keyword, value))
            }
        }
        return try PostgresConnectionString(options: merged)
    }

    /// This string with `values` in place of what it set for those keywords.
    func setting(_ values: [(keyword: String, value: String)]) throws(PostgresError) -> PostgresConnectionString {
        let kept = options.filter { option in !values.contains { $0.keyword == option.keyword } }
        return try PostgresConnectionString(options: kept + values)
    }

    private init(options: [(keyword: String, value: String)]) throws(PostgresError) {
        try self.init(options.map { "\($0.keyword)=\(Self.quoted($0.value))" }.joined(separator: " "))
    }

    /// A conninfo value in single quotes, with `\` and `'` escaped.
    private static func quoted(_ value: String) -> String {
        var text = "'"
        for character in value {
            if character == "\\" || character == "'" { text.append("\\") }
            text.append(character)
        }
        return text + "'"
    }

    public var description: String {
        options.map { $0.keyword == "password" ? "password=<redacted>" : "\($0.keyword)=\($0.value)" }
            .joined(separator: " ")
    }
}

extension String {
    /// libpq's messages end with a newline.
    var trimmingTrailingNewlines: String {
        var text = Substring(self)
        while text.last == "\n" { text = text.dropLast() }
        return String(text)
    }
}
