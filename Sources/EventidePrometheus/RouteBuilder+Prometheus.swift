import Eventide
import Prometheus

extension RouteBuilder {
    /// Serves `registry` in Prometheus' text format at `path` (`GET /metrics`).
    /// Synchronous: emitting copies the values under the registry's lock, on the loop.
    public func prometheusMetrics(at path: String = "/metrics", registry: PrometheusCollectorRegistry) {
        sync.get(path) { _, _ in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            registry.emit(into: &buffer)
            return Response.bytes(buffer, contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }
}
