import Foundation
import Testing

extension ExampleProcessSuites {
    /// `eventide-example bench --metrics`: Prometheus' text format at `GET /metrics`, on a
    /// port of its own or on the app's.
    @Suite struct MetricsExampleTests {
        static func get(_ port: Int, _ path: String) throws -> TestResponse {
            let client = try RawClient(port: port)
            try client.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            return try client.readResponse()
        }

        @Test func metricsOnTheirOwnPortCountTheAppsRequests() throws {
            let app = try ExampleProcess(["bench", "--metrics", "--metrics-port", "0"])
            let metricsPort = try #require(app.log.firstMatch(of: /metrics-port=(\d+)/).flatMap { Int($0.1) })
            #expect(metricsPort != app.port)
            for _ in 0..<3 { #expect(try Self.get(app.port, "/plaintext").status == 200) }
            // The app's own port has no /metrics route.
            #expect(try Self.get(app.port, "/metrics").status == 404)
            let metrics = try Self.get(metricsPort, "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(metrics.text.contains(#"eventide_http_requests_total{method="GET",route="/plaintext",status_class="2xx"} 3"#))
            #expect(metrics.text.contains(#"eventide_http_requests_total{method="GET",route="unmatched",status_class="4xx"} 1"#))
            #expect(metrics.text.contains("# TYPE eventide_http_request_duration_seconds histogram"))
            // Scrapes of the metrics port are not the app's requests.
            #expect(!metrics.text.contains("/metrics"))
            app.signal(SIGTERM)
            #expect(app.waitForExit() == 0)
        }

        @Test func metricsOnTheAppsPortAndOff() throws {
            let same = try ExampleProcess(["bench", "--metrics", "--metrics-port", "same"])
            #expect(try Self.get(same.port, "/plaintext").status == 200)
            let metrics = try Self.get(same.port, "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.text.contains(#"eventide_http_requests_total{method="GET",route="/plaintext",status_class="2xx"} 1"#))
            same.signal(SIGTERM)
            #expect(same.waitForExit() == 0)

            let off = try ExampleProcess(["bench"])
            #expect(try Self.get(off.port, "/metrics").status == 404)
            #expect(!off.log.contains("metrics-port"))
            off.signal(SIGTERM)
            #expect(off.waitForExit() == 0)
        }
    }
}
