import CoreMetrics
import Prometheus

/// A swift-prometheus `MetricsFactory` that knows Eventide's metrics: each gets its
/// `# HELP` line and histogram buckets fit for what it measures (a request takes
/// microseconds, swift-prometheus' default buckets start at 5 ms). Every other metric is
/// made as `PrometheusMetricsFactory` makes it.
///
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// MetricsSystem.bootstrap(EventidePrometheusFactory(registry: registry))
/// router.prometheusMetrics(registry: registry)          // GET /metrics
/// let server = try Server(router: router, configuration: ServerConfiguration(metrics: .global))
/// ```
public struct EventidePrometheusFactory: MetricsFactory {
    /// Where the metrics are kept; emit it to serve them.
    public let registry: PrometheusCollectorRegistry
    private let other: PrometheusMetricsFactory

    /// Buckets of the request-duration histogram: 100 µs to 10 s.
    public static let requestDurationBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]
    /// Buckets of task waits and run times: 1 ms to 1 h.
    public static let taskDurationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        .seconds(300), .seconds(900), .seconds(3600),
    ]

    /// A factory keeping its metrics in `registry`; `other` makes the application's own.
    public init(registry: PrometheusCollectorRegistry = PrometheusMetricsFactory.defaultRegistry, other: PrometheusMetricsFactory? = nil) {
        self.registry = registry
        self.other = other ?? PrometheusMetricsFactory(registry: registry)
    }

    /// The whole name as given (the unit is already part of it).
    private static func descriptor(_ label: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: help)
    }

    private static func buckets(_ label: String) -> [Duration] {
        label.hasPrefix("eventide_http_") ? requestDurationBuckets : taskDurationBuckets
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let help = EventideMetricDescriptions.help[label] else { return other.makeCounter(label: label, dimensions: dimensions) }
        return registry.makeCounter(descriptor: Self.descriptor(label, help), labels: dimensions)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        guard let help = EventideMetricDescriptions.help[label] else {
            return other.makeFloatingPointCounter(label: label, dimensions: dimensions)
        }
        return registry.makeCounter(descriptor: Self.descriptor(label, help), labels: dimensions)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard !aggregate, let help = EventideMetricDescriptions.help[label] else {
            return other.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
        }
        return registry.makeGauge(descriptor: Self.descriptor(label, help), labels: dimensions)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard let help = EventideMetricDescriptions.help[label] else { return other.makeMeter(label: label, dimensions: dimensions) }
        return registry.makeGauge(descriptor: Self.descriptor(label, help), labels: dimensions)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard let help = EventideMetricDescriptions.help[label] else { return other.makeTimer(label: label, dimensions: dimensions) }
        return registry.makeDurationHistogram(descriptor: Self.descriptor(label, help), labels: dimensions, buckets: Self.buckets(label))
    }

    public func destroyCounter(_ handler: any CounterHandler) { other.destroyCounter(handler) }
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { other.destroyFloatingPointCounter(handler) }
    public func destroyRecorder(_ handler: any RecorderHandler) { other.destroyRecorder(handler) }
    public func destroyMeter(_ handler: any MeterHandler) { other.destroyMeter(handler) }
    public func destroyTimer(_ handler: any TimerHandler) { other.destroyTimer(handler) }
}
