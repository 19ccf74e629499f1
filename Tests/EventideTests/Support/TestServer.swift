import Eventide
import Logging

/// Starts `router` on port 0 on a loop thread of its own; `stop()` shuts it down
/// gracefully and fails if the loop closed with a handle left open.
struct TestServer {
    let server: Server
    let port: Int

    init(_ router: Router, configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, handlesSignals: false)
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        server = try Server(router: router, configuration: configuration, logger: logger)
        try server.start()
        port = server.port!
    }

    func client(receiveTimeout: Double = 5) throws -> RawClient {
        try RawClient(port: port, receiveTimeout: receiveTimeout)
    }

    func stop() throws {
        server.shutdown()
        try server.wait()
    }
}
