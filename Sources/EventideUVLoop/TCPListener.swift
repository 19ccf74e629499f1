internal import CLibUV

/// A listening TCP socket. Loop-bound.
public final class TCPListener {
    private let loop: EventLoop
    private let handle: UnsafeMutablePointer<uv_tcp_t>
    private var onConnection: ((TCPConnection) -> Void)?
    private var onAcceptError: ((UVError) -> Void)?
    private var closed = false

    /// The port actually bound (useful after binding port 0).
    public let localPort: Int
    /// The bound address as "ip:port".
    public let localAddress: String

    /// Binds `host:port` (IPv4 or IPv6 literal, or "localhost"). With `reusePort` the
    /// socket sets `SO_REUSEPORT`, so several loops can each bind their own listener.
    public init(loop: EventLoop, host: String, port: Int, reusePort: Bool = false) throws(UVError) {
        self.loop = loop
        let address = try SocketAddress(host: host, port: port)
        let fd = address.withSockAddr { eventide_bound_socket($0, reusePort ? 1 : 0) }
        guard fd >= 0 else { throw UVError(code: fd) }  // -errno, which is libuv's code on Unix
        let tcp = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        uv_tcp_init(loop.rawLoop, tcp)
        let opened = uv_tcp_open(tcp, fd)
        if opened < 0 { eventide_close_fd(fd) }
        var bound = SocketAddress.unspecified
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutableBytes(of: &bound.storage) { raw in
            uv_tcp_getsockname(tcp, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        handle = tcp
        localPort = bound.port
        localAddress = bound.description
        // Retained until the close callback releases it.
        tcp.pointee.data = Unmanaged.passRetained(self).toOpaque()
        if opened < 0 || named < 0 {
            close()
            throw UVError(code: opened < 0 ? opened : named)
        }
    }

    /// Starts accepting. `onConnection` receives each accepted connection (not yet
    /// reading); `onAcceptError` hears accept failures such as fd exhaustion.
    public func listen(backlog: Int32 = 1024, onAcceptError: @escaping (UVError) -> Void = { _ in },
                       _ onConnection: @escaping (TCPConnection) -> Void) throws(UVError) {
        self.onConnection = onConnection
        self.onAcceptError = onAcceptError
        try UVError.check(uv_listen(eventide_stream(handle), backlog) { server, status in
            let listener = Unmanaged<TCPListener>.fromOpaque(server!.pointee.data).takeUnretainedValue()
            listener.accept(status: status)
        })
    }

    private func accept(status: Int32) {
        guard status >= 0 else {
            onAcceptError?(UVError(code: status))
            return
        }
        let connection = TCPConnection(loop: loop)
        let accepted = uv_accept(eventide_stream(handle), connection.stream)
        guard accepted == 0 else {
            connection.close()
            onAcceptError?(UVError(code: accepted))
            return
        }
        connection.didAccept()
        onConnection?(connection)
    }

    /// Stops listening and closes the socket; its memory is freed in the close callback.
    public func close() {
        guard !closed else { return }
        closed = true
        onConnection = nil
        onAcceptError = nil
        uv_close(eventide_handle(handle)) { raw in
            let tcp = raw!.withMemoryRebound(to: uv_tcp_t.self, capacity: 1) { $0 }
            Unmanaged<TCPListener>.fromOpaque(tcp.pointee.data).release()
            tcp.deallocate()
        }
    }
}
