import Eventide
extension TaskDashboard {
    /// Who may open the dashboard: holders of a bearer token, of HTTP basic credentials, or
    /// of either. Credentials are compared in constant time (as HMACs under a key drawn at
    /// random for each dashboard).
    ///
    /// An empty token, user or password counts as not configured; a dashboard with nothing
    /// configured (or `authorization: nil`) registers no route, so every path under it
    /// answers 404.
    public struct Authorization: Sendable {
        /// The bearer token (nil: bearer tokens are not accepted).
        public var bearerToken: String?
        /// The basic credentials (nil: basic authentication is not offered).
        public var basic: (user: String, password: String)?

        /// Accepts the credentials given (either one when both are).
        public init(bearerToken: String? = nil, basic: (user: String, password: String)? = nil) {
            self.bearerToken = bearerToken.flatMap { $0.isEmpty ? nil : $0 }
            self.basic = basic.flatMap { $0.user.isEmpty || $0.password.isEmpty ? nil : $0 }
        }

        /// `Authorization: Bearer <token>` (or, in a browser, `?token=<token>` once, which
        /// leaves a session cookie).
        public static func bearer(_ token: String) -> Authorization { Authorization(bearerToken: token) }

        /// HTTP basic authentication: a browser asks for the user and password itself.
        public static func basic(user: String, password: String) -> Authorization {
            Authorization(basic: (user, password))
        }

        /// Whether any credential is configured.
        var isConfigured: Bool { bearerToken != nil || basic != nil }
    }
}
