import Eventide
import EventideDashboard
import Foundation
import Testing

/// The task dashboard over a real socket, on a real SQLite queue: protected by default,
/// bearer and basic credentials, the session cookie, CSRF, escaping, the buttons, the
/// JSON the page polls.
@Suite struct TaskDashboardTests {
    /// A mail that fails while its address is in `down`.
    struct Mail: DurableTask {
        static let name = "mail"
        var to: String

        func run(_ context: DurableTaskContext) async throws {
            if TaskDashboardTests.down.update({ $0.contains(to) }) { throw ServerDown(to: to) }
        }
    }

    struct ServerDown: Error, CustomStringConvertible {
        let to: String
        var description: String { "<b>mail server down</b> for \(to)" }
    }

    static let down = Watched<Set<String>>([])
    static let token = "t0ken-\(UUID().uuidString)"
    static let fast = TaskQueue.Configuration(retryBackoff: { _ in .milliseconds(20) }, pollInterval: .milliseconds(20), shutdownTimeout: .milliseconds(200))

    /// A server with the dashboard of a fresh queue mounted at `/admin/tasks`, and a
    /// `POST /hold` whose in-process task runs until `release` opens.
    func withDashboard(
        _ authorization: TaskDashboard.Authorization?, release: Gate = Gate(open: true),
        _ body: (DashboardClient, TaskQueue) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-dashboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let queue = try TaskQueue(store: .sqlite(path: directory.appendingPathComponent("tasks.db").path), tasks: [Mail.self], configuration: Self.fast)
        let router = Router()
        try router.mount("/admin/tasks", TaskDashboard(queue: queue, authorization: authorization))
        router.post("/hold") { _, tasks in
            try tasks.add({ _ = release.wait(timeout: 10) }, name: "hold_until_released")
            return HTTPResponse.Status.accepted
        }
        let server = try TestServer(router) { $0.taskQueue = queue }
        // `stop()` without blocking a thread of the test pool: the queue's shutdown needs one.
        do {
            try await body(DashboardClient(server: server), queue)
        } catch {
            release.open()
            try await server.server.stop()
            throw error
        }
        release.open()
        try await server.server.stop()
    }

    /// A task of `queue` that failed its only attempt.
    func discardedMail(_ queue: TaskQueue, to: String) async throws -> Int64 {
        Self.down.update { _ = $0.insert(to) }
        let id = try await queue.enqueue(Mail(to: to), options: .init(maxAttempts: 1)).id
        #expect(try await settled(queue, id).state == .discarded)
        return id
    }

    @Test func withoutACredentialEveryPathUnderTheMountIs404() async throws {
        for authorization in [nil, TaskDashboard.Authorization.bearer(""), .basic(user: "", password: "x")] {
            try await withDashboard(authorization) { (client: DashboardClient, _: TaskQueue) async throws in
                for path in ["/admin/tasks", "/admin/tasks/counts.json", "/admin/tasks/dashboard.js", "/admin/tasks/tasks/1"] {
                    #expect(try client.get(path).status == 404)
                    #expect(try client.get(path, [TestResponse.bearer("")]).status == 404)
                    #expect(try client.get(path + "?token=").status == 404)
                }
                #expect(try client.post("/admin/tasks/tasks/1/retry", form: "").status == 404)
            }
        }
    }

    @Test func aBearerTokenOpensItWithSecurityHeadersAndNoneOrAWrongOneDoesNot() async throws {
        try await withDashboard(.bearer(Self.token)) { (client: DashboardClient, queue: TaskQueue) async throws in
            _ = try await queue.enqueue(Mail(to: "a@b.c"))
            let missing = try client.get("/admin/tasks")
            #expect(missing.status == 404)  // behind a bearer token alone it does not tell it is there
            #expect(!missing.text.contains("Durable"))
            let wrong = try client.get("/admin/tasks", [TestResponse.bearer(Self.token + "x")])
            #expect(wrong.status == 401)
            #expect(wrong.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
            #expect(!wrong.text.contains("Durable"))
            #expect(try client.get("/admin/tasks", [TestResponse.basic("admin", Self.token)]).status == 401)
            #expect(try client.get("/admin/tasks", ["Authorization: \(Self.token)"]).status == 401)

            let page = try client.get("/admin/tasks", [TestResponse.bearer(Self.token)])
            #expect(page.status == 200)
            #expect(page.headers["content-type"] == "text/html; charset=utf-8")
            #expect(page.headers["content-security-policy"]?.contains("default-src 'self'") == true)
            #expect(page.headers["content-security-policy"]?.contains("script-src 'self'") == true)
            #expect(page.headers["x-frame-options"] == "DENY")
            #expect(page.headers["cache-control"] == "no-store")
            #expect(page.text.contains("<table id=\"counts\">"))
            #expect(page.text.contains("<script src=\"/admin/tasks/dashboard.js\" defer></script>"))
            #expect(!page.text.contains("<script>"))  // no inline script: the CSP would refuse it
            let script = try client.get("/admin/tasks/dashboard.js", [TestResponse.bearer(Self.token)])
            #expect(script.status == 200 && script.headers["content-type"]?.hasPrefix("text/javascript") == true)
            #expect(script.text.contains("counts"))
            #expect(try client.get("/admin/tasks/dashboard.css", [TestResponse.bearer(Self.token)]).status == 200)
        }
    }

    @Test func basicCredentialsOpenItAndABrowserIsAskedForThem() async throws {
        try await withDashboard(.basic(user: "admin", password: "pa:ss")) { (client: DashboardClient, _: TaskQueue) async throws in
            let missing = try client.get("/admin/tasks")
            #expect(missing.status == 401)
            #expect(missing.headers["www-authenticate"]?.hasPrefix("Basic realm=") == true)
            #expect(try client.get("/admin/tasks", [TestResponse.basic("admin", "pa:s")]).status == 401)
            #expect(try client.get("/admin/tasks", [TestResponse.basic("admi", "pa:ss")]).status == 401)
            #expect(try client.get("/admin/tasks", ["Authorization: Basic not-base64!"]).status == 401)
            #expect(try client.get("/admin/tasks", [TestResponse.bearer("pa:ss")]).status == 401)
            #expect(try client.get("/admin/tasks", [TestResponse.basic("admin", "pa:ss")]).status == 200)
        }
        // Both configured: either opens it, and each gets a CSRF token of its own.
        try await withDashboard(.init(bearerToken: Self.token, basic: ("admin", "pw"))) { (client: DashboardClient, queue: TaskQueue) async throws in
            let (basic, bearer) = (TestResponse.basic("admin", "pw"), TestResponse.bearer(Self.token))
            #expect(try client.get("/admin/tasks").status == 401)
            let id = try await queue.enqueue(Mail(to: "both@b.c"), options: .init(delay: .seconds(3600))).id
            let basicPage = try client.get("/admin/tasks/tasks/\(id)", [basic])
            let bearerPage = try client.get("/admin/tasks/tasks/\(id)", [bearer])
            #expect(basicPage.status == 200 && bearerPage.status == 200)
            let basicToken = try #require(DashboardClient.csrfToken(in: basicPage.text))
            let bearerToken = try #require(DashboardClient.csrfToken(in: bearerPage.text))
            #expect(basicToken != bearerToken)
            #expect(try client.post("/admin/tasks/tasks/\(id)/cancel", form: "csrf=\(basicToken)", [bearer]).status == 403)
            #expect(try await queue.task(id: id)?.state == .scheduled)
            #expect(try client.post("/admin/tasks/tasks/\(id)/cancel", form: "csrf=\(basicToken)", [basic]).status == 303)
            #expect(try await queue.task(id: id)?.state == .cancelled)
        }
    }

    @Test func theTokenInTheQueryOnceLeavesASessionCookieThatIsNotTheToken() async throws {
        try await withDashboard(.bearer(Self.token)) { (client: DashboardClient, _: TaskQueue) async throws in
            #expect(try client.get("/admin/tasks?token=wrong").status == 401)
            let login = try client.get("/admin/tasks?token=\(Self.token)")
            #expect(login.status == 303)
            #expect(login.headers["location"] == "/admin/tasks")
            let setCookie = try #require(login.headers["set-cookie"])
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/admin/tasks"))
            #expect(!setCookie.contains(Self.token))
            let cookie = try #require(setCookie.split(separator: ";").first.map(String.init))
            #expect(try client.get("/admin/tasks", ["Cookie: other=1; \(cookie)"]).status == 200)
            #expect(try client.get("/admin/tasks/counts.json", ["Cookie: \(cookie)"]).status == 200)
            // Its last digit changed (to another one: a hex digit is "0" one time in 16).
            let altered = cookie.dropLast() + (cookie.hasSuffix("0") ? "1" : "0")
            #expect(try client.get("/admin/tasks", ["Cookie: \(altered)"]).status == 404)
            #expect(try client.get("/admin/tasks", ["Cookie: eventide_dashboard=\(Self.token)"]).status == 404)
        }
    }

    @Test func argumentsAndErrorsAreShownEscapedNeverAsMarkup() async throws {
        try await withDashboard(.bearer(Self.token)) { (client: DashboardClient, queue: TaskQueue) async throws in
            let id = try await discardedMail(queue, to: "<script>alert('x')</script>")
            for path in ["/admin/tasks", "/admin/tasks/tasks/\(id)", "/admin/tasks?state=discarded"] {
                let page = try client.get(path, [TestResponse.bearer(Self.token)])
                #expect(page.status == 200)
                #expect(page.text.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;\\/script&gt;"))
                #expect(page.text.contains("&lt;b&gt;mail server down&lt;/b&gt;"))
                #expect(!page.text.contains("<script>alert"))
                #expect(!page.text.contains("<b>mail"))
            }
            let page = try client.get("/admin/tasks/tasks/\(id)", [TestResponse.bearer(Self.token)]).text
            #expect(page.contains("id=\"task-state\">discarded<"))
            #expect(page.contains("1 of 1"))
        }
    }

    @Test func retryNeedsTheCSRFTokenAndThenTheTaskRunsAgain() async throws {
        try await withDashboard(.bearer(Self.token)) { (client: DashboardClient, queue: TaskQueue) async throws in
            let to = "retry-\(UUID().uuidString)@b.c"
            let id = try await discardedMail(queue, to: to)
            Self.down.update { _ = $0.remove(to) }
            let auth = TestResponse.bearer(Self.token)
            #expect(try client.post("/admin/tasks/tasks/\(id)/retry", form: "", [auth]).status == 403)
            #expect(try client.post("/admin/tasks/tasks/\(id)/retry", form: "csrf=0123", [auth]).status == 403)
            #expect(try await queue.task(id: id)?.state == .discarded)

            let page = try client.get("/admin/tasks", [auth]).text
            #expect(page.contains("<tr id=\"task-\(id)\" data-state=\"discarded\">"))
            let csrf = try #require(DashboardClient.csrfToken(in: page))
            let retried = try client.post("/admin/tasks/tasks/\(id)/retry", form: "csrf=\(csrf)", [auth])
            #expect(retried.status == 303)
            #expect(retried.headers["location"] == "/admin/tasks/tasks/\(id)")
            let record = try await settled(queue, id)
            #expect(record.state == .completed)
            #expect(record.attempt == 2)
            // A right token for a task that does not exist.
            #expect(try client.post("/admin/tasks/tasks/99999/retry", form: "csrf=\(csrf)", [auth]).status == 404)
        }
    }

    @Test func cancelAndDeleteFromTheirButtons() async throws {
        try await withDashboard(.bearer(Self.token)) { (client: DashboardClient, queue: TaskQueue) async throws in
            let auth = TestResponse.bearer(Self.token)
            let id = try await queue.enqueue(Mail(to: "later@b.c"), options: .init(delay: .seconds(3600))).id
            let page = try client.get("/admin/tasks/tasks/\(id)", [auth]).text
            #expect(page.contains("data-action=\"cancel\"") && page.contains("data-action=\"delete\""))
            let csrf = try #require(DashboardClient.csrfToken(in: page))
            #expect(try client.post("/admin/tasks/tasks/\(id)/cancel", form: "csrf=\(csrf)", [auth]).status == 303)
            #expect(try await queue.task(id: id)?.state == .cancelled)
            #expect(try client.post("/admin/tasks/tasks/\(id)/delete", form: "", [auth]).status == 403)
            #expect(try await queue.task(id: id) != nil)
            let deleted = try client.post("/admin/tasks/tasks/\(id)/delete", form: "csrf=\(csrf)", [auth])
            #expect(deleted.status == 303)
            #expect(deleted.headers["location"] == "/admin/tasks")
            #expect(try await queue.task(id: id) == nil)
            #expect(try client.get("/admin/tasks/tasks/\(id)", [auth]).status == 404)
            #expect(try client.post("/admin/tasks/tasks/\(id)/delete", form: "csrf=\(csrf)", [auth]).status == 404)
        }
    }

    struct Snapshot: Decodable {
        struct Task: Decodable { var id: UInt64; var name: String; var state: String }
        var durable: [String: [String: Int]]?
        var inProcess: [String: Int]
        var unfinished: [Task]
        var version: String
        var time: Int64
    }

    @Test func countsJSONHasTheDurableCountsAndTheInProcessTasksRunning() async throws {
        let release = Gate()
        try await withDashboard(.bearer(Self.token), release: release) { (client: DashboardClient, queue: TaskQueue) async throws in
            let auth = TestResponse.bearer(Self.token)
            _ = try await discardedMail(queue, to: "json-\(UUID().uuidString)@b.c")
            let first = try client.get("/admin/tasks/counts.json", [auth])
            #expect(first.status == 200 && first.headers["content-type"] == "application/json")
            #expect(first.headers["cache-control"] == "no-store")
            let before = try JSONDecoder().decode(Snapshot.self, from: Data(first.body))
            #expect(before.durable?["default"]?["discarded"] == 1)
            #expect(before.unfinished.isEmpty)

            #expect(try client.post("/hold", form: "").status == 202)
            var during = before
            let deadline = ContinuousClock.now + .seconds(10)
            while during.unfinished.isEmpty && ContinuousClock.now < deadline {
                during = try JSONDecoder().decode(Snapshot.self, from: Data(try client.get("/admin/tasks/counts.json", [auth]).body))
            }
            #expect(during.unfinished.map(\.name) == ["hold_until_released"])
            #expect(during.unfinished.first?.state == "running")
            #expect(during.inProcess["running"] == 1 && during.inProcess["added"] == 1)
            #expect(during.version != before.version)
            let page = try client.get("/admin/tasks", [auth]).text
            #expect(page.contains("hold_until_released"))
            #expect(page.contains("data-version=\"\(during.version)\""))
            release.open()
        }
    }
}
