import Eventide
import Logging

/// Starts `router` on port 0 on a loop thread of its own; `stop()` shuts it down
/// gracefully and fails if the loop closed with a handle left open.
struct TestServer {
    let server: Server
    let port: Int

    init(_ router: Router, logger: Logger? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, handlesSignals: false)
        configure(&configuration)
        server = try Server(router: router, configuration: configuration, logger: logger ?? Self.quietLogger)
        try server.start()
        port = server.port!
    }

    static let quietLogger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    func client(receiveTimeout: Double = 5) throws -> RawClient {
        try RawClient(port: port, receiveTimeout: receiveTimeout)
    }

    @discardableResult
    func stop() throws -> ShutdownReport {
        server.shutdown()
        return try server.wait()
    }
}
