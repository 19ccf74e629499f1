import Foundation

/// One request per connection to a `TestServer`, for the dashboard tests.
struct DashboardClient {
    let server: TestServer

    func get(_ path: String, _ headers: [String] = []) throws -> TestResponse {
        try send("GET", path, headers, body: nil)
    }

    /// A form POST (`application/x-www-form-urlencoded`).
    func post(_ path: String, form: String, _ headers: [String] = []) throws -> TestResponse {
        try send("POST", path, headers + ["Content-Type: application/x-www-form-urlencoded"], body: form)
    }

    private func send(_ method: String, _ path: String, _ headers: [String], body: String?) throws -> TestResponse {
        let client = try server.client()
        var request = "\(method) \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
        for header in headers { request += header + "\r\n" }
        if let body { request += "Content-Length: \(body.utf8.count)\r\n" }
        request += "\r\n" + (body ?? "")
        try client.send(request)
        return try client.readResponse()
    }

    /// The CSRF token of a page's forms.
    static func csrfToken(in page: String) -> String? {
        guard let start = page.range(of: #"name="csrf" value=""#)?.upperBound, let end = page[start...].firstIndex(of: "\"") else {
            return nil
        }
        return String(page[start..<end])
    }
}

extension TestResponse {
    /// `Authorization: Bearer <token>`.
    static func bearer(_ token: String) -> String { "Authorization: Bearer \(token)" }

    /// `Authorization: Basic <base64 of user:password>`.
    static func basic(_ user: String, _ password: String) -> String {
        "Authorization: Basic \(Data("\(user):\(password)".utf8).base64EncodedString())"
    }
}
