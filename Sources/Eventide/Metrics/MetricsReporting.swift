import Metrics

/// Whether a server records its request, connection and loop metrics through
/// swift-metrics, and into which factory (`ServerConfiguration.metrics`).
///
/// Off by default: measuring a request reads the clock twice and updates a counter and a
/// histogram, with swift-prometheus about 1,340 instructions per `GET /plaintext` request
/// (+13%, most of them in its histogram's lock and bucket scan; Benchmarks/README.md),
/// which a server that exports no metrics should not pay. Background-task and durable-task
/// metrics are recorded either way (into `MetricsSystem.factory`, or the factory given here).
public enum MetricsReporting: Sendable {
    /// No request, connection or loop metrics.
    case off
    /// Recorded into `MetricsSystem.factory`, which the application bootstraps first
    /// (`MetricsSystem.bootstrap(PrometheusMetricsFactory())`).
    case global
    /// Recorded into `factory` (a registry of its own, as in tests).
    case factory(any MetricsFactory)

    /// The factory metrics go to, or nil when off.
    var factory: (any MetricsFactory)? {
        switch self {
        case .off: return nil
        case .global: return MetricsSystem.factory
        case .factory(let factory): return factory
        }
    }
}
