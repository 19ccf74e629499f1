import EventideHTTP1

extension HTTPHeaders {
    /// The usual content types' header lists, built once: copying one costs a retain,
    /// building one an allocation per response.
    private static let textPlainUTF8: HTTPHeaders = ["Content-Type": "text/plain; charset=utf-8"]
    private static let textPlain: HTTPHeaders = ["Content-Type": "text/plain"]
    private static let applicationJSON: HTTPHeaders = ["Content-Type": "application/json"]
    private static let octetStream: HTTPHeaders = ["Content-Type": "application/octet-stream"]

    /// A list holding only `Content-Type: value`.
    static func contentType(_ value: String) -> HTTPHeaders {
        switch value {
        case "text/plain; charset=utf-8": return textPlainUTF8
        case "text/plain": return textPlain
        case "application/json": return applicationJSON
        case "application/octet-stream": return octetStream
        default: return ["Content-Type": value]
        }
    }
}
