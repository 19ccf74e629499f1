#if canImport(Glibc)
import Glibc
#endif
import Testing
import EventideUVLoop

/// An echo server on a raw libuv loop, driven by a blocking client on another thread.
@Suite struct TCPTests {
    final class Echo: TCPConnectionDelegate {
        var closed = 0
        func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) { connection.write(bytes) }
        func connectionDidReadEOF(_ connection: TCPConnection) { connection.shutdown { _ in connection.close() } }
        func connection(_ connection: TCPConnection, didFail error: UVError) { connection.close() }
        func connectionDidWrite(_ connection: TCPConnection) {}
        func connectionDidClose(_ connection: TCPConnection) { closed += 1 }
    }

    @Test func echoesOverARealSocketAndClosesCleanly() throws {
        let loop = try EventLoop()
        let listener = try TCPListener(loop: loop, host: "127.0.0.1", port: 0)
        #expect(listener.localPort > 0)
        let echo = Echo()
        try listener.listen { connection in
            connection.delegate = echo
            connection.startReading()
        }
        let port = listener.localPort
        let client = ClientThread.detached {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            let message = Array("hello, loop".utf8)
            _ = message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            shutdown(fd, Int32(SHUT_WR))
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 64)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                received += buffer[..<count]
            }
            close(fd)
            return String(decoding: received, as: UTF8.self)
        }
        let stopper = LoopTimer(loop: loop)
        stopper.start(afterMilliseconds: 5, repeating: 5) {
            if echo.closed == 1 {
                stopper.close()
                listener.close()
                loop.closeWakeup()
            }
        }
        loop.run()
        try loop.close()
        #expect(client.join() == "hello, loop")
    }

    @Test func bindsIPv6LoopbackAndReportsTheRealPort() throws {
        let loop = try EventLoop()
        let listener = try TCPListener(loop: loop, host: "::1", port: 0)
        #expect(listener.localPort > 0)
        #expect(listener.localAddress == "[::1]:\(listener.localPort)")
        listener.close()
        loop.closeWakeup()
        loop.run()
        try loop.close()
    }

    @Test func invalidAddressesAreRejected() throws {
        let loop = try EventLoop()
        #expect(throws: UVError.self) { try TCPListener(loop: loop, host: "not-an-ip", port: 0) }
        #expect(throws: UVError.self) { try TCPListener(loop: loop, host: "127.0.0.1", port: 70000) }
        loop.closeWakeup()
        loop.run()
        try loop.close()
    }
}

/// A minimal joinable thread for the blocking client side of the test.
final class ClientThread: @unchecked Sendable {
    // @unchecked: `result` is written by the thread before it exits and read after join.
    private var handle = pthread_t()
    private var result = ""
    private let body: @Sendable () -> String

    private init(_ body: @escaping @Sendable () -> String) { self.body = body }

    static func detached(_ body: @escaping @Sendable () -> String) -> ClientThread {
        let thread = ClientThread(body)
        let context = Unmanaged.passRetained(thread).toOpaque()
        pthread_create(&thread.handle, nil, { context in
            let thread = Unmanaged<ClientThread>.fromOpaque(context!).takeRetainedValue()
            thread.result = thread.body()
            return nil
        }, context)
        return thread
    }

    func join() -> String {
        pthread_join(handle, nil)
        return result
    }
}
