import Eventide
import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The dashboard's secrets: a key drawn at random when the dashboard is registered, and
/// the configured credentials as HMACs under it. Every comparison is of two such HMACs
/// (32 bytes each, whatever the lengths of what was presented), byte by byte without an
/// early exit: its time says nothing about the secret.
///
/// The session cookie holds an HMAC of the bearer token, never the token; CSRF tokens
/// are HMACs of the way the client authenticated. Both die with the process (a new key).
final class DashboardKeys: Sendable {
    /// How a request proved who it is: what its CSRF token is bound to.
    enum Identity: String, Sendable {
        /// The bearer token, in the `Authorization` header or through the session cookie.
        case bearer
        /// HTTP basic credentials.
        case basic
    }

    /// The key's bytes (`SymmetricKey` is not `Sendable`).
    private let key: [UInt8]
    private let bearer: [UInt8]?
    private let basic: [UInt8]?
    /// The session cookie's value (hex), set after a `?token=` login.
    let session: String?

    /// Whether basic credentials are configured (a browser is then asked for them).
    var offersBasic: Bool { basic != nil }

    init(_ authorization: TaskDashboard.Authorization) {
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        self.key = key
        let bearer = authorization.bearerToken.map { token in Self.mac(key, "bearer", token) }
        self.bearer = bearer
        basic = authorization.basic.map { Self.mac(key, "basic", "\($0.user):\($0.password)") }
        session = bearer.map { Self.hex(Self.mac(key, "session", Self.hex($0))) }
    }

    /// Whether `token` is the bearer token.
    func isBearer(_ token: String) -> Bool {
        guard let bearer else { return false }
        return Self.equal(Self.mac(key, "bearer", token), bearer)
    }

    /// Whether `credentials` ("user:password", as decoded from a basic header) are the basic ones.
    func isBasic(_ credentials: String) -> Bool {
        guard let basic else { return false }
        return Self.equal(Self.mac(key, "basic", credentials), basic)
    }

    /// Whether `cookie` is the session cookie's value.
    func isSession(_ cookie: String) -> Bool {
        guard let session else { return false }
        return same(cookie, session)
    }

    /// The CSRF token of pages shown to a client authenticated as `identity`.
    func csrfToken(for identity: Identity) -> String { Self.hex(Self.mac(key, "csrf", identity.rawValue)) }

    /// Whether `token` is `identity`'s CSRF token.
    func isCSRFToken(_ token: String, for identity: Identity) -> Bool { same(token, csrfToken(for: identity)) }

    /// Whether `a` and `b` are equal, compared as HMACs (the time does not depend on where
    /// they differ, nor on their lengths).
    private func same(_ a: String, _ b: String) -> Bool {
        Self.equal(Self.mac(key, "compare", a), Self.mac(key, "compare", b))
    }

    private static func mac(_ key: [UInt8], _ purpose: String, _ value: String) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: key))
        hmac.update(data: Array(purpose.utf8))
        hmac.update(data: [0])
        hmac.update(data: Array(value.utf8))
        return Array(hmac.finalize())
    }

    /// Equal lengths and bytes, every byte looked at.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
