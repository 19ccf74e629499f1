import Eventide
import HTTPTypes

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The dashboard's door, around every one of its routes: lets in a request carrying the
/// bearer token (`Authorization: Bearer`), basic credentials or the session cookie; turns
/// a `?token=` that is right into the session cookie; checks the CSRF token of every POST;
/// and adds the security headers to every answer, errors included.
///
/// Without credentials the answer is 401 asking for basic credentials when those are
/// configured, else 404 (a dashboard behind a bearer token does not tell that it is
/// there); with wrong ones, 401.
struct DashboardGuard: Middleware {
    let keys: DashboardKeys
    /// The mount path: the session cookie's `Path`.
    let base: String

    /// The session cookie's name.
    static let cookieName = "eventide_dashboard"

    /// What a request presented.
    enum Verdict {
        case granted(DashboardKeys.Identity)
        /// The right `?token=`: answered with the cookie and a redirect without it.
        case login
        case missing
        case wrong
    }

    func respond(to request: Request, next: MiddlewareNext) async throws -> Response {
        var response: Response
        switch verdict(for: request) {
        case .granted(let identity):
            if request.method == .post, !keys.isCSRFToken(Self.formField("csrf", of: request) ?? "", for: identity) {
                response = .text("403 Forbidden: missing or wrong CSRF token (reload the page and try again)\n", status: .forbidden)
            } else {
                do { response = try await next(request) } catch { response = ErrorResponse.response(for: error, to: request) }
            }
        case .login:
            response = Response(status: .seeOther)
            response.headers[.location] = String(request.path)
            response.headers[.setCookie] = "\(Self.cookieName)=\(keys.session ?? ""); Path=\(base); HttpOnly; SameSite=Strict"
        case .missing where !keys.offersBasic:
            response = .text("404 Not Found\n", status: .notFound)
        case .missing, .wrong:
            response = .text("401 Unauthorized\n", status: .unauthorized)
            response.headers[.wwwAuthenticate] =
                keys.offersBasic ? #"Basic realm="Eventide tasks", charset="UTF-8""# : #"Bearer realm="Eventide tasks", error="invalid_token""#
        }
        Self.secure(&response)
        return response
    }

    /// Looks at the `Authorization` header first, then the cookie, then `?token=` (GET only).
    func verdict(for request: Request) -> Verdict {
        let headers = request.headers
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { return .wrong }
            let credentials = parts[1].trimmingCharacters(in: .whitespaces)
            switch parts[0].lowercased() {
            case "bearer": return keys.isBearer(credentials) ? .granted(.bearer) : .wrong
            case "basic":
                guard let decoded = Data(base64Encoded: credentials) else { return .wrong }
                return keys.isBasic(String(decoding: decoded, as: UTF8.self)) ? .granted(.basic) : .wrong
            default: return .wrong
            }
        }
        if let cookie = Self.cookie(Self.cookieName, in: headers[.cookie]), keys.isSession(cookie) { return .granted(.bearer) }
        if request.method == .get, let token = request.query["token"] { return keys.isBearer(token) ? .login : .wrong }
        return .missing
    }

    /// The identity a request was let in with (its CSRF token's), for the pages' forms.
    func identity(of request: Request) -> DashboardKeys.Identity? {
        if case .granted(let identity) = verdict(for: request) { return identity }
        return nil
    }

    /// The value of cookie `name` in a `Cookie` field (`a=1; b=2`).
    static func cookie(_ name: String, in field: String?) -> String? {
        guard let field else { return nil }
        for pair in field.split(whereSeparator: { $0 == ";" || $0 == "," }) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// A field of an `application/x-www-form-urlencoded` body.
    static func formField(_ name: String, of request: Request) -> String? {
        QueryParameters(rawQuery: request.bodyText)[name]
    }

    /// No inline script or style and nothing from elsewhere, no framing, no caching, no
    /// referrer (a `?token=` must not travel on).
    static func secure(_ response: inout Response) {
        response.headers[.contentSecurityPolicy] =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.cacheControl] = "no-store"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
    }
}

extension HTTPField.Name {
    // Not among swift-http-types' names.
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
