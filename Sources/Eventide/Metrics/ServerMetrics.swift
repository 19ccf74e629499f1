import EventideUVLoop
import HTTPTypes
import Metrics

/// A server's request, connection and loop metrics (`ServerConfiguration.metrics`),
/// shared by its loops.
///
/// | Metric | Type | Dimensions |
/// |---|---|---|
/// | `eventide_http_requests_total` | counter | `method`, `route`, `status_class` |
/// | `eventide_http_request_duration_seconds` | timer (a histogram) | `method`, `route` |
/// | `eventide_http_connections_open` | meter (a gauge) | |
/// | `eventide_loop_lag_seconds` | gauge | `loop` |
///
/// `route` is the matched route's template (`/items/{id}`), never the raw path, and
/// `unmatched` for a request no route took (404, 405): one series per route and status
/// class, whatever clients send. `method` is the route's method, or for unmatched
/// requests one of the standard methods or `_OTHER`.
package final class ServerMetrics: Sendable {
    enum Names {
        static let requests = "eventide_http_requests_total"
        static let requestDuration = "eventide_http_request_duration_seconds"
        static let connections = "eventide_http_connections_open"
        static let loopLag = "eventide_loop_lag_seconds"
    }

    /// The label of requests no route took.
    static let unmatchedRoute = "unmatched"
    /// Methods that keep their name on unmatched requests; any other is `_OTHER`.
    private static let standardMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]

    package let factory: any MetricsFactory
    private let connections: Meter
    /// Unmatched requests' metrics per method label, made on first use: a 404 is not on
    /// the path a server is sized for, so a lock there is fine.
    private let unmatched = Locked<[String: RouteMetrics]>([:])

    /// The metrics `reporting` asks for, or nil when it is `.off`.
    package init?(_ reporting: MetricsReporting) {
        guard let factory = reporting.factory else { return nil }
        self.factory = factory
        connections = Meter(label: Names.connections, factory: factory)
    }

    /// The metrics of the route answering `method` at `template`.
    func route(method: String, template: String) -> RouteMetrics {
        RouteMetrics(method: method, route: template, factory: factory)
    }

    /// The metrics of an unmatched request with `method`.
    func unmatched(method: HTTPRequest.Method) -> RouteMetrics {
        let label = Self.standardMethods.contains(method.rawValue) ? method.rawValue : "_OTHER"
        return unmatched.withLock { byMethod in
            if let metrics = byMethod[label] { return metrics }
            let metrics = RouteMetrics(method: label, route: Self.unmatchedRoute, factory: factory)
            byMethod[label] = metrics
            return metrics
        }
    }

    func connectionOpened() { connections.increment() }
    func connectionClosed() { connections.decrement() }

    /// The lag gauge of loop `index`.
    func loopLag(index: Int) -> Gauge {
        Gauge(label: Names.loopLag, dimensions: [("loop", "\(index)")], factory: factory)
    }
}
