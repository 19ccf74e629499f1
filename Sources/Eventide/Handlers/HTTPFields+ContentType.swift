import HTTPTypes

extension HTTPFields {
    /// The usual content types' field lists, built once: copying one costs a retain,
    /// building one an allocation (and a validation of the value) per response.
    private static let textPlainUTF8: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
    private static let textPlain: HTTPFields = [.contentType: "text/plain"]
    private static let applicationJSON: HTTPFields = [.contentType: "application/json"]
    private static let octetStream: HTTPFields = [.contentType: "application/octet-stream"]

    /// A list holding only `Content-Type: value`.
    static func contentType(_ value: String) -> HTTPFields {
        switch value {
        case "text/plain; charset=utf-8": return textPlainUTF8
        case "text/plain": return textPlain
        case "application/json": return applicationJSON
        case "application/octet-stream": return octetStream
        default: return [.contentType: value]
        }
    }
}
