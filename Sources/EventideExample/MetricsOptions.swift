import ArgumentParser
import Eventide
import EventidePrometheus
import Logging
import Metrics
import Prometheus

/// `--metrics`: Prometheus metrics of the app at `GET /metrics`, on a port of their own
/// (`--metrics-port`, default 9464) or on the app's (`--metrics-port same`).
struct MetricsOptions: ParsableArguments {
    @Flag(help: "Serve Prometheus metrics at GET /metrics (see --metrics-port).")
    var metrics = false

    @Option(name: .customLong("metrics-port"), help: "The port of GET /metrics: a number (0 picks a free one) or 'same' for the app's own port.")
    var metricsPort: MetricsPort = .port(9464)

    enum MetricsPort: ExpressibleByArgument, Equatable {
        case same
        case port(Int)

        init?(argument: String) {
            if argument == "same" {
                self = .same
            } else if let port = Int(argument), (0...65_535).contains(port) {
                self = .port(port)
            } else {
                return nil
            }
        }

        var defaultValueDescription: String {
            switch self {
            case .same: return "same"
            case .port(let port): return "\(port)"
            }
        }
    }

    /// The registry every metric of this process goes to, bootstrapped once.
    private static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(EventidePrometheusFactory(registry: registry))
        return registry
    }()

    /// With `--metrics`: bootstraps swift-metrics (before the app's server and queue are
    /// made, so their metrics go to Prometheus) and either adds `GET /metrics` to `router`
    /// or returns the server that serves it on its own port (not started yet).
    func metricsServer(beside router: Router, host: String, logger: Logger) throws -> Server? {
        guard metrics else { return nil }
        let registry = Self.registry
        guard case .port(let port) = metricsPort else {
            router.prometheusMetrics(registry: registry)
            return nil
        }
        let metricsRouter = Router()
        metricsRouter.prometheusMetrics(registry: registry)
        // Its own requests are not the app's: no request metrics, and a quiet logger so
        // its "listening" line is not taken for the app's.
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        return try Server(
            router: metricsRouter, configuration: ServerConfiguration(host: host, port: port, handlesSignals: false), logger: quiet)
    }
}
