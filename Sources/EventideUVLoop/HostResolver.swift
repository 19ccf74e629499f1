internal import CLibUV

/// Host names to numeric addresses through libuv's `uv_getaddrinfo`, which runs the
/// blocking `getaddrinfo` on libuv's thread pool: the loop never waits for DNS.
public enum HostResolver {
    /// Resolves `host` for TCP and calls `completion` on the loop's thread with its
    /// numeric addresses ("10.0.0.5", "::1") in the resolver's order, without repeats,
    /// or with the resolver's error. Call on the loop's thread.
    public static func resolve(_ host: String, on loop: EventLoop, _ completion: @escaping (Result<[String], UVError>) -> Void) {
        precondition(loop.inEventLoop, "HostResolver.resolve must be called on the loop's thread")
        let request = UnsafeMutablePointer<uv_getaddrinfo_t>.allocate(capacity: 1)
        let pending = Unmanaged.passRetained(Pending(completion))
        request.pointee.data = pending.toOpaque()
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        let status = uv_getaddrinfo(loop.rawLoop, request, { request, status, info in
            let pending = Unmanaged<Pending>.fromOpaque(request!.pointee.data).takeRetainedValue()
            defer {
                uv_freeaddrinfo(info)
                request!.deallocate()
            }
            guard status == 0 else { return pending.completion(.failure(UVError(code: status))) }
            var addresses: [String] = []
            var node = info
            while let entry = node {
                if let address = HostResolver.numericName(entry.pointee.ai_addr), !addresses.contains(address) { addresses.append(address) }
                node = entry.pointee.ai_next
            }
            pending.completion(.success(addresses))
        }, host, nil, &hints)
        guard status == 0 else {
            pending.release()
            request.deallocate()
            return completion(.failure(UVError(code: status)))
        }
    }

    private final class Pending {
        let completion: (Result<[String], UVError>) -> Void
        init(_ completion: @escaping (Result<[String], UVError>) -> Void) { self.completion = completion }
    }

    private static func numericName(_ address: UnsafeMutablePointer<sockaddr>?) -> String? {
        guard let address else { return nil }
        var text = [CChar](repeating: 0, count: 64)
        let status: Int32
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            status = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { uv_ip4_name($0, &text, text.count) }
        case AF_INET6:
            status = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { uv_ip6_name($0, &text, text.count) }
        default:
            return nil
        }
        guard status == 0 else { return nil }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
