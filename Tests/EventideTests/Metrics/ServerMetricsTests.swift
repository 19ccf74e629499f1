import Eventide
import EventidePrometheus
import Foundation
import Prometheus
import Testing

/// Request, connection, loop and background-task metrics over a real socket, read back
/// from a swift-prometheus registry of the test's own.
@Suite struct ServerMetricsTests {
    struct Failure: Error {}

    static func router() -> Router {
        let router = Router()
        router.sync.get("/plaintext") { _, _ in "Hello, World!" }
        router.sync.get("/items/{id}") { request, _ in "item \(try request.pathParameters.require("id", as: Int.self))" }
        router.get("/broken") { _, _ -> String in throw Failure() }
        router.sync.post("/notify/{email}") { request, tasks in
            try tasks.add({ (_: String) in }, try request.pathParameters.require("email"), name: "notify")
            return "queued"
        }
        router.get("/stream") { _, _ in
            Response.stream { writer in
                try await writer.write("a")
                try await writer.write("b")
            }
        }
        return router
    }

    /// The value of the sample `name{labels}` in `text`, or nil when absent.
    static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    static func emit(_ registry: PrometheusCollectorRegistry) -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    static func get(_ client: RawClient, _ method: String, _ path: String) throws -> TestResponse {
        try client.send("\(method) \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        return try client.readResponse()
    }

    @Test func requestsAreCountedByRouteTemplateAndStatusClass() throws {
        let registry = PrometheusCollectorRegistry()
        let server = try TestServer(Self.router()) { $0.metrics = .factory(EventidePrometheusFactory(registry: registry)) }
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        for path in ["/plaintext", "/plaintext", "/items/1", "/items/2", "/items/x", "/broken", "/stream", "/nowhere", "/also/nowhere"] {
            _ = try Self.get(client, "GET", path)
        }
        #expect(try Self.get(client, "DELETE", "/plaintext").status == 405)
        #expect(try Self.get(client, "BREW", "/nowhere").status == 404)
        let text = Self.emit(registry)
        let requests = "eventide_http_requests_total"
        #expect(Self.sample(text, #"\#(requests){method="GET",route="/plaintext",status_class="2xx"}"#) == 2)
        // The template, never the raw path: /items/1 and /items/2 are one series.
        #expect(Self.sample(text, #"\#(requests){method="GET",route="/items/{id}",status_class="2xx"}"#) == 2)
        #expect(Self.sample(text, #"\#(requests){method="GET",route="/items/{id}",status_class="4xx"}"#) == 1)
        #expect(Self.sample(text, #"\#(requests){method="GET",route="/broken",status_class="5xx"}"#) == 1)
        #expect(Self.sample(text, #"\#(requests){method="GET",route="/stream",status_class="2xx"}"#) == 1)
        #expect(Self.sample(text, #"\#(requests){method="GET",route="unmatched",status_class="4xx"}"#) == 2)
        #expect(Self.sample(text, #"\#(requests){method="DELETE",route="unmatched",status_class="4xx"}"#) == 1)
        // A method nobody registered is one bounded label.
        #expect(Self.sample(text, #"\#(requests){method="_OTHER",route="unmatched",status_class="4xx"}"#) == 1)
        #expect(!text.contains("/items/1"))
        #expect(!text.contains("BREW"))
        let duration = "eventide_http_request_duration_seconds"
        #expect(Self.sample(text, #"\#(duration)_count{method="GET",route="/plaintext"}"#) == 2)
        #expect(Self.sample(text, #"\#(duration)_count{method="GET",route="/stream"}"#) == 1)
        #expect((Self.sample(text, #"\#(duration)_sum{method="GET",route="/plaintext"}"#) ?? 0) > 0)
        #expect(text.contains("# HELP \(requests) "))
    }

    @Test func openConnectionsRiseAndFall() throws {
        let registry = PrometheusCollectorRegistry()
        let server = try TestServer(Self.router()) { $0.metrics = .factory(EventidePrometheusFactory(registry: registry)) }
        defer { #expect(throws: Never.self) { try server.stop() } }
        var clients = try (0..<3).map { _ in try server.client() }
        for client in clients { _ = try Self.get(client, "GET", "/plaintext") }
        #expect(Self.sample(Self.emit(registry), "eventide_http_connections_open") == 3)
        clients.removeAll()
        let deadline = Date().addingTimeInterval(10)
        while Self.sample(Self.emit(registry), "eventide_http_connections_open") != 0, Date() < deadline { usleep(10_000) }
        #expect(Self.sample(Self.emit(registry), "eventide_http_connections_open") == 0)
    }

    @Test func backgroundTasksAreCountedAndTheirWaitTimed() throws {
        let registry = PrometheusCollectorRegistry()
        let server = try TestServer(Self.router()) { $0.metrics = .factory(EventidePrometheusFactory(registry: registry)) }
        let client = try server.client()
        for index in 0..<4 { #expect(try Self.get(client, "POST", "/notify/\(index)").status == 200) }
        try server.stop()
        let text = Self.emit(registry)
        for event in ["added", "started", "succeeded"] {
            #expect(Self.sample(text, #"eventide_background_tasks_total{event="\#(event)"}"#) == 4, "\(event)")
        }
        #expect(Self.sample(text, #"eventide_background_tasks_total{event="failed"}"#) == 0)
        #expect(Self.sample(text, "eventide_background_task_wait_seconds_count") == 4)
        #expect(Self.sample(text, "eventide_background_task_duration_seconds_count") == 4)
        #expect(Self.sample(text, "eventide_background_tasks_running") == 0)
    }

    @Test func aHandlerHoldingTheLoopShowsAsLag() throws {
        let registry = PrometheusCollectorRegistry()
        let router = Self.router()
        // What the metric is for: a handler that blocks its loop (never do this).
        router.sync.get("/hold") { _, _ in
            usleep(1_500_000)
            return "held"
        }
        let server = try TestServer(router) { $0.metrics = .factory(EventidePrometheusFactory(registry: registry)) }
        defer { #expect(throws: Never.self) { try server.stop() } }
        let series = #"eventide_loop_lag_seconds{loop="0"}"#
        #expect((Self.sample(Self.emit(registry), series) ?? 0) < 0.5)
        #expect(try Self.get(try server.client(receiveTimeout: 10), "GET", "/hold").status == 200)
        let deadline = Date().addingTimeInterval(5)
        while (Self.sample(Self.emit(registry), series) ?? 0) < 0.4, Date() < deadline { usleep(20_000) }
        let lag = try #require(Self.sample(Self.emit(registry), series))
        #expect(lag >= 0.4 && lag < 5)
    }

    @Test func offRecordsNoRequestMetrics() throws {
        let registry = PrometheusCollectorRegistry()
        // `.off` is the default; the registry is not bootstrapped, so nothing can reach it.
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        #expect(try Self.get(try server.client(), "GET", "/plaintext").status == 200)
        #expect(!Self.emit(registry).contains("eventide_http"))
        #expect(server.server.configuration.metrics.isOff)
    }
}

extension MetricsReporting {
    var isOff: Bool {
        if case .off = self { return true }
        return false
    }
}
