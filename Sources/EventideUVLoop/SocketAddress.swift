internal import CLibUV

/// An IPv4 or IPv6 socket address parsed from a numeric host and a port.
struct SocketAddress {
    var storage = sockaddr_storage()

    /// An all-zero address, to be filled by `getsockname`/`getpeername`.
    static var unspecified: SocketAddress { SocketAddress() }

    private init() {}

    /// Parses `host` ("127.0.0.1", "::1", "0.0.0.0", "::", or "localhost") and `port`.
    init(host: String, port: Int) throws(UVError) {
        guard (0...65535).contains(port) else { throw .invalidArgument }
        let numericHost = host == "localhost" ? "127.0.0.1" : host
        let status: Int32 = withUnsafeMutableBytes(of: &storage) { raw in
            if numericHost.contains(":") {
                return uv_ip6_addr(numericHost, Int32(port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self))
            }
            return uv_ip4_addr(numericHost, Int32(port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self))
        }
        try UVError.check(status)
    }

    /// Calls `body` with the address as a generic `sockaddr` pointer.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self)) }
    }

    /// The port, in host byte order.
    var port: Int {
        withSockAddr { address in
            if Int32(address.pointee.sa_family) == AF_INET6 {
                return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    /// "ip:port" (IPv6 in brackets), for logs.
    var description: String {
        var text = [CChar](repeating: 0, count: 64)
        let isIPv6 = withSockAddr { Int32($0.pointee.sa_family) == AF_INET6 }
        _ = withSockAddr { address in
            if isIPv6 {
                return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { uv_ip6_name($0, &text, text.count) }
            }
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { uv_ip4_name($0, &text, text.count) }
        }
        let ip = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return isIPv6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
