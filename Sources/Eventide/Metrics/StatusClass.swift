import HTTPTypes

/// The first digit of a status code, as metrics label it: "1xx" to "5xx".
enum StatusClass: Int, CaseIterable, Sendable {
    case informational = 1, successful, redirection, clientError, serverError

    init(_ status: HTTPResponse.Status) {
        self = StatusClass(rawValue: min(5, max(1, status.code / 100))) ?? .serverError
    }

    var label: String { "\(rawValue)xx" }
}
