import ArgumentParser
import Eventide
import Logging

/// Options every example server takes.
struct ServerOptions: ParsableArguments {
    @Option(help: "The address to bind.")
    var host = "127.0.0.1"

    @Option(help: "The port to bind (0 picks a free one).")
    var port = 8000

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    /// A stderr logger at the chosen level.
    func makeLogger(label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = logLevel
        return logger
    }

    /// The server configuration for these options.
    var configuration: ServerConfiguration {
        ServerConfiguration(host: host, port: port)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
