#if canImport(Glibc)
import Glibc
#endif
import Eventide
import Foundation

/// The client's end of a real TCP connection to a `.live` test server: blocking sends,
/// and a reader thread that moves whatever arrives into the connection's inbox.
final class SocketPeer: TestPeer {
    private let fd: Int32

    /// Connects to 127.0.0.1:`port`; a read gives up after `receiveTimeout` seconds (a
    /// broken server fails the test instead of hanging it), longer than any of the
    /// server's default timeouts so it never races them.
    init(port: Int, receiveTimeout: Int = 120) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError.socket("socket", errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let error = errno
            Glibc.close(fd)
            throw TestClientError.socket("connect", error)
        }
        var timeout = timeval(tv_sec: receiveTimeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        Glibc.close(fd)
    }

    /// Starts the reader thread; it stops once the server closed its side, `close()` was
    /// called, or a read failed or timed out. It holds the peer, so the descriptor stays
    /// open while it reads.
    func startReading(into inbox: Inbox) {
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    inbox.finish(failure: .readTimedOut)
                    return
                }
                if count <= 0 { break }
                inbox.append(Array(chunk[..<count]))
            }
            inbox.finish()
        }
        thread.start()
    }

    func send(_ bytes: [UInt8]) async throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw TestClientError.socket("send", errno) }
            offset += sent
        }
    }

    func shutdownWrite() async {
        Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    func reset() async {
        var option = linger(l_onoff: 1, l_linger: 0)  // close now sends RST
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    func setReading(_ reading: Bool) async throws {
        throw TestClientError.needsInMemoryTransport
    }

    func close() async {
        Glibc.shutdown(fd, Int32(SHUT_RDWR))  // the descriptor itself closes with the peer
    }
}
