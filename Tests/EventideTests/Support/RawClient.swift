#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A blocking TCP client for tests: sends exact bytes and reads raw responses, with a
/// receive timeout so a broken server fails the test instead of hanging it.
final class RawClient {
    private let fd: Int32
    private var buffer: [UInt8] = []

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(port: Int, receiveTimeout: Double = 5, receiveBuffer: Int32? = 65536) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        if var size = receiveBuffer {
            // Small receive buffers keep the kernel from absorbing large responses, so
            // tests see the server's own backpressure.
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let connected = connectToLoopback(fd, port: port)
        // No close here: deinit runs after a failing init once `fd` is set, and closes it.
        guard connected == 0 else { throw Failure(description: "connect: \(errno)") }
        var timeout = timeval(tv_sec: Int(receiveTimeout), tv_usec: Int((receiveTimeout - Double(Int(receiveTimeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    var fileDescriptor: Int32 { fd }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send: \(errno)") }
            offset += sent
        }
    }

    /// Shuts down the write side (the server sees EOF).
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Closes with RST (SO_LINGER 0).
    func reset() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Reads more bytes into the buffer; false at EOF.
    @discardableResult
    private func fill(max: Int = 65536) throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: max)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count == 0 { return false }
        guard count > 0 else { throw Failure(description: "recv: errno \(errno) (timeout or reset)") }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    /// Reads raw bytes until `marker` arrived; returns them up to and including it, as text
    /// (for watching a chunked body arrive chunk by chunk).
    func readRaw(until marker: String) throws -> String {
        let needle = Array(marker.utf8)
        while true {
            if let end = buffer.indices.first(where: { buffer[$0...].starts(with: needle) }).map({ $0 + needle.count }) {
                defer { buffer.removeFirst(end) }
                return String(decoding: buffer[..<end], as: UTF8.self)
            }
            guard try fill() else { throw Failure(description: "EOF before \(marker.debugDescription)") }
        }
    }

    /// Reads one response (head and body by Content-Length or chunked); with
    /// `bodyless` (a HEAD request) the body is not read.
    func readResponse(bodyless: Bool = false) throws -> TestResponse {
        var headEnd: Int?
        while headEnd == nil {
            headEnd = buffer.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound
            if headEnd == nil, try !fill() { throw Failure(description: "EOF before response head; got \(String(decoding: buffer, as: UTF8.self))") }
        }
        var response = try TestResponse(head: Array(buffer[..<headEnd!]))
        buffer.removeFirst(headEnd!)
        if bodyless || response.status == 204 || response.status == 304 || response.status < 200 { return response }
        if let length = response.headers["content-length"].flatMap({ Int($0) }) {
            while buffer.count < length { if try !fill() { throw Failure(description: "EOF in body") } }
            response.body = Array(buffer[..<length])
            buffer.removeFirst(length)
        } else if response.headers["transfer-encoding"]?.lowercased() == "chunked" {
            response.body = try readChunkedBody()
        } else {
            while try fill() {}
            response.body = buffer
            buffer = []
        }
        return response
    }

    private func readLine() throws -> String {
        while true {
            if let end = buffer.firstRange(of: [13, 10]) {
                let line = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
                buffer.removeFirst(end.upperBound)
                return line
            }
            if try !fill() { throw Failure(description: "EOF in chunked body") }
        }
    }

    private func readChunkedBody() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeLine = try readLine()
            guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) else { throw Failure(description: "bad chunk size \(sizeLine)") }
            if size == 0 {
                while try !readLine().isEmpty {}
                return body
            }
            while buffer.count < size + 2 { if try !fill() { throw Failure(description: "EOF in chunk") } }
            body.append(contentsOf: buffer[..<size])
            buffer.removeFirst(size + 2)
        }
    }

    /// True when the server closed the connection (EOF) with nothing more to read.
    func isClosedByPeer() throws -> Bool {
        guard buffer.isEmpty else { return false }
        return try !fill()
    }

    /// Reads slowly: `chunk` bytes every `interval` seconds until `total` bytes arrived.
    func readSlowly(total: Int, chunk: Int, interval: Double) throws -> Int {
        var received = buffer.count
        buffer = []
        while received < total {
            usleep(useconds_t(interval * 1_000_000))
            var bytes = [UInt8](repeating: 0, count: chunk)
            let count = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received += count
        }
        return received
    }
}

/// A parsed HTTP response.
/// `connect(2)` of `fd` to 127.0.0.1:`port`; returns what `connect` returned.
func connectToLoopback(_ fd: Int32, port: Int) -> Int32 {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

struct TestResponse {
    var status: Int
    var headers: [String: String]
    var body: [UInt8] = []
    var text: String { String(decoding: body, as: UTF8.self) }

    init(head: [UInt8]) throws {
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let statusLine = lines.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let code = Int(statusLine[1]) else {
            throw RawClient.Failure(description: "bad status line: \(lines.first ?? "")")
        }
        status = code
        headers = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }
}
