import EventideUVLoop
import HTTPTypes
import Metrics

/// The request metrics of one route (a method and a path template): a counter per status
/// class and a duration histogram, all made when the router is frozen so that measuring
/// a request takes no lock and builds no string.
final class RouteMetrics: Sendable {
    /// Indexed by `StatusClass.rawValue - 1`.
    private let requests: [Counter]
    private let duration: Metrics.Timer

    init(method: String, route: String, factory: any MetricsFactory) {
        requests = StatusClass.allCases.map { statusClass in
            Counter(
                label: ServerMetrics.Names.requests,
                dimensions: [("method", method), ("route", route), ("status_class", statusClass.label)], factory: factory)
        }
        duration = Metrics.Timer(
            label: ServerMetrics.Names.requestDuration, dimensions: [("method", method), ("route", route)], factory: factory)
    }

    /// Counts one answered request and records how long it took since `start`
    /// (`EventLoop.monotonicNanoseconds`).
    func record(_ status: HTTPResponse.Status, since start: UInt64) {
        requests[StatusClass(status).rawValue - 1].increment()
        duration.recordNanoseconds(Int64(clamping: EventLoop.monotonicNanoseconds &- start))
    }
}

extension RouteMetrics {
    /// Records `response` now, or a streamed one when its body ends.
    func measure(_ response: Response, since start: UInt64) -> Response {
        guard case .stream(let produce) = response.body else {
            record(response.status, since: start)
            return response
        }
        var measured = response
        let status = response.status
        measured.body = .stream { [self] writer in
            defer { record(status, since: start) }
            try await produce(writer)
        }
        return measured
    }

    /// Records the status a thrown `error` is answered with.
    func measureFailure(_ error: any Error, since start: UInt64) {
        record((error as? any HTTPResponseError)?.status ?? .internalServerError, since: start)
    }
}

extension Responder {
    /// This responder, counting and timing each request it answers into `metrics`
    /// (outside every middleware: the status is the one the client gets).
    func measured(by metrics: RouteMetrics) -> Responder {
        switch self {
        case .sync(let handler):
            return .sync { request in
                let start = EventLoop.monotonicNanoseconds
                do {
                    return metrics.measure(try handler(request), since: start)
                } catch {
                    metrics.measureFailure(error, since: start)
                    throw error
                }
            }
        case .async(let handler), .streaming(let handler):
            return withAsyncHandler { request in
                let start = EventLoop.monotonicNanoseconds
                do {
                    return metrics.measure(try await handler(request), since: start)
                } catch {
                    metrics.measureFailure(error, since: start)
                    throw error
                }
            }
        }
    }
}
