import Eventide
/// An admin page for the tasks, in the spirit of Sidekiq's web UI and Oban Web: counts per
/// queue and state, the newest tasks of each state with their arguments, attempts, errors
/// and times, a page per task with buttons to retry, cancel or delete it, and the server's
/// in-process tasks (their counters, and those running or waiting). Rendered on the server
/// with no build step and nothing from a CDN; a small script of its own refreshes it
/// every 2 seconds.
///
/// ```swift
/// let router = Router()
/// try router.mount("/admin/tasks", TaskDashboard(queue: queue, authorization: .bearer(token)))
/// let server = try Server(router: router, configuration: ServerConfiguration(taskQueue: queue))
/// ```
///
/// **Protected by default.** With no credential configured (`authorization: nil`, or an
/// empty one) it registers no route: every path under the mount answers 404. Otherwise a
/// request needs `Authorization: Bearer <token>`, basic credentials, or the session cookie
/// that a browser gets by opening the page once with `?token=<token>` (HttpOnly,
/// SameSite=Strict, holding an HMAC of the token, not the token; valid until the process
/// ends). Without credentials: 404 behind a bearer token alone, 401 asking for basic
/// credentials when those are configured; wrong ones: 401. The buttons are POST forms
/// carrying a CSRF token (403 without the right one). Every answer carries
/// `Content-Security-Policy` (scripts and styles from the dashboard only, none inline),
/// `X-Frame-Options: DENY` and `Cache-Control: no-store`; every task value shown is
/// HTML-escaped. Eventide speaks plain HTTP: expose the dashboard through TLS (a proxy)
/// or on a private address only.
///
/// Routes, under the mount path: `GET /` (the overview; `?state=` and `?queue=` narrow the
/// lists), `GET /tasks/{id}`, `POST /tasks/{id}/retry`, `/cancel` and `/delete` (answered
/// `303` to the task's page, or the overview after a delete), `GET /counts.json` (what
/// the page polls: counts per queue and state, the in-process counters and tasks, a
/// version that changes with them), `GET /dashboard.js` and `/dashboard.css`.
public struct TaskDashboard: RouteCollection, Sendable {
    /// The durable queue shown (nil: the serving server's `ServerConfiguration.taskQueue`,
    /// if it has one).
    public var queue: TaskQueue?
    /// Who may open it (nil: nobody; every route answers 404).
    public var authorization: Authorization?
    /// How many tasks of each state the overview lists (a page of one state, `?state=`,
    /// lists five times as many). Default 10.
    public var listLimit: Int

    /// A dashboard of `queue` (nil: the serving server's) for the holders of `authorization`.
    public init(queue: TaskQueue? = nil, authorization: Authorization?, listLimit: Int = 10) {
        self.queue = queue
        self.authorization = authorization
        self.listLimit = max(1, listLimit)
    }

    /// Adds the dashboard's routes and its guard to `routes`; nothing when no credential
    /// is configured.
    public func register(on routes: RouteGroup) throws {
        guard let authorization, authorization.isConfigured else { return }
        let keys = DashboardKeys(authorization)
        let base = routes.path
        // Links are written `root + "/tasks/1"`: no double slash when mounted at "/".
        let root = base == "/" ? "" : base
        let door = DashboardGuard(keys: keys, base: base)
        let pages = DashboardPages(base: DashboardHTML.escape(root))
        let (configured, listLimit) = (self.queue, self.listLimit)
        @Sendable func servedQueue(_ request: Request) -> TaskQueue? { configured ?? request.context.service.taskQueue }
        @Sendable func csrf(_ request: Request) -> String { keys.csrfToken(for: door.identity(of: request) ?? .bearer) }
        @Sendable func html(_ page: String) -> Response { .text(page, contentType: "text/html; charset=utf-8") }
        @Sendable func taskID(_ request: Request) throws -> Int64 {
            guard let id = request.pathParameters.get("id", as: Int64.self) else { throw HTTPError(.notFound, "no such task\n") }
            return id
        }
        /// The queue and the id of a `/tasks/{id}/...` request; 404 without a queue.
        @Sendable func queueAndTaskID(_ request: Request) throws -> (TaskQueue, Int64) {
            let id = try taskID(request)
            guard let queue = servedQueue(request) else { throw HTTPError(.notFound, "no task \(id)\n") }
            return (queue, id)
        }
        @Sendable func redirect(_ location: String) -> Response {
            var response = Response(status: .seeOther)
            response.headers[.location] = location
            return response
        }

        routes.use(door)
        routes.get("/") { request, _ in
            let queue = servedQueue(request)
            let snapshot = try await DashboardSnapshot.take(queue: queue, service: request.context.service)
            var filter = DashboardPages.Filter()
            filter.state = request.query["state"].flatMap(DurableTaskState.init(rawValue:))
            filter.queue = request.query["queue"].flatMap { $0.isEmpty ? nil : $0 }
            var lists: [(DurableTaskState, [DurableTaskRecord])] = []
            if let queue {
                for state in DashboardPages.listOrder where filter.state == nil || filter.state == state {
                    guard snapshot.count(state, queue: filter.queue) > 0 else { continue }
                    let limit = filter.state == nil ? listLimit : listLimit * 5
                    lists.append((state, try await queue.tasks(in: state, queue: filter.queue, limit: limit)))
                }
            }
            return html(pages.overview(snapshot, lists: lists, filter: filter, csrf: csrf(request)))
        }
        routes.get("/counts.json") { request, _ in
            try Response.json(try await DashboardSnapshot.take(queue: servedQueue(request), service: request.context.service))
        }
        routes.get("/tasks/{id}") { request, _ in
            let id = try taskID(request)
            guard let queue = servedQueue(request) else { throw HTTPError(.notFound, "no task \(id)\n") }
            // The version before the record: a change after it moves the version, so the
            // page's script reloads. Taken after, it could already include a run the
            // record does not show, and the page would wait for a change that came.
            let snapshot = try await DashboardSnapshot.take(queue: queue, service: request.context.service)
            guard let record = try await queue.task(id: id) else { throw HTTPError(.notFound, "no task \(id)\n") }
            return html(pages.task(record, version: snapshot.version, csrf: csrf(request)))
        }
        routes.post("/tasks/{id}/retry") { request, _ in
            let (queue, id) = try queueAndTaskID(request)
            guard try await queue.retry(id: id) != nil else { throw HTTPError(.notFound, "no task \(id)\n") }
            return redirect("\(root)/tasks/\(id)")
        }
        routes.post("/tasks/{id}/cancel") { request, _ in
            let (queue, id) = try queueAndTaskID(request)
            guard try await queue.cancel(id: id) != nil else { throw HTTPError(.notFound, "no task \(id)\n") }
            return redirect("\(root)/tasks/\(id)")
        }
        routes.post("/tasks/{id}/delete") { request, _ in
            let (queue, id) = try queueAndTaskID(request)
            do {
                guard try await queue.delete(id: id) != nil else { throw HTTPError(.notFound, "no task \(id)\n") }
            } catch let running as DurableTaskRunning {
                throw HTTPError(.conflict, "\(running)\n")
            }
            return redirect(base)
        }
        routes.get("/dashboard.js") { _, _ in Response.text(DashboardAssets.script, contentType: "text/javascript; charset=utf-8") }
        routes.get("/dashboard.css") { _, _ in Response.text(DashboardAssets.styleSheet, contentType: "text/css; charset=utf-8") }
    }
}
