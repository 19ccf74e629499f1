import Eventide
/// The dashboard's two pages, rendered on the server: the overview (counts, in-process
/// tasks, the newest durable tasks of each state) and a task's own page.
struct DashboardPages: Sendable {
    /// The mount path (`/admin/tasks`, HTML-escaped; empty when mounted at `/`): links start with it.
    let base: String

    /// The overview's path.
    var home: String { base.isEmpty ? "/" : base }

    /// The states in the order the overview lists them: what needs a look first.
    static let listOrder: [DurableTaskState] = [.running, .available, .scheduled, .retryable, .discarded, .cancelled, .completed]

    /// Which tasks the overview lists.
    struct Filter {
        var state: DurableTaskState?
        var queue: String?
    }

    func overview(
        _ snapshot: DashboardSnapshot, lists: [(DurableTaskState, [DurableTaskRecord])], filter: Filter, csrf: String
    ) -> String {
        var html = DashboardHTML()
        start(&html, title: "Tasks", version: snapshot.version)
        inProcess(&html, snapshot)
        html.raw("<section id=\"durable\"><h2>Durable tasks</h2>")
        guard let durable = snapshot.durable else {
            html.raw("<p class=\"empty\">No durable task queue is configured.</p></section>")
            return finish(&html)
        }
        counts(&html, durable, snapshot)
        if filter.state != nil || filter.queue != nil {
            html.raw("<p class=\"filter\">Showing ")
            html.text(filter.state?.rawValue ?? "every state")
            html.raw(" in ")
            html.text(filter.queue.map { "queue \($0)" } ?? "every queue")
            html.raw(". <a href=\"\(home)\">Show all</a></p>")
        }
        if lists.allSatisfy({ $0.1.isEmpty }) { html.raw("<p class=\"empty\">No tasks.</p>") }
        for (state, records) in lists where !records.isEmpty {
            html.raw("<h3 id=\"state-\(state.rawValue)\">")
            html.text(state.rawValue.capitalized)
            html.raw(" <small>newest \(records.count) of \(snapshot.count(state, queue: filter.queue))</small></h3>")
            table(&html, records, csrf: csrf)
        }
        html.raw("</section>")
        return finish(&html)
    }

    func task(_ record: DurableTaskRecord, version: String, csrf: String) -> String {
        var html = DashboardHTML()
        start(&html, title: "Task \(record.id)", version: version)
        html.raw("<section id=\"task\" data-state=\"\(record.state.rawValue)\"><h2>Task \(record.id) ")
        html.raw("<span class=\"state state-\(record.state.rawValue)\" id=\"task-state\">\(record.state.rawValue)</span></h2>")
        html.raw("<dl>")
        let fields: [(String, String?)] = [
            ("Kind", record.kind), ("Queue", record.queue), ("Priority", "\(record.priority)"),
            ("Attempts", "\(record.attempt) of \(record.maxAttempts)"), ("Unique key", record.uniqueKey),
            ("Created", DashboardHTML.time(record.createdAt)), ("Due", DashboardHTML.time(record.runAt)),
            ("Last started", record.attemptedAt.map(DashboardHTML.time)), ("Finished", record.finishedAt.map(DashboardHTML.time)),
        ]
        for (name, value) in fields {
            guard let value else { continue }
            html.raw("<dt>\(name)</dt><dd>")
            html.text(value)
            html.raw("</dd>")
        }
        html.raw("</dl><h3>Arguments</h3><pre class=\"arguments\">")
        html.text(record.arguments)
        html.raw("</pre>")
        actions(&html, record, csrf: csrf)
        html.raw("<h3>Errors</h3>")
        listTable(&html, record.errors, opening: "<table class=\"errors\">", headers: ["Attempt", "At", "Error"], empty: "None.") { html, failure in
            html.raw("<tr><td>\(failure.attempt)</td><td>\(DashboardHTML.time(failure.at))</td><td><pre>")
            html.text(failure.error)
            html.raw("</pre></td></tr>")
        }
        html.raw("<p><a href=\"\(home)\">All tasks</a></p></section>")
        return finish(&html)
    }

    // MARK: Pieces

    private func start(_ html: inout DashboardHTML, title: String, version: String) {
        html.raw("""
            <!DOCTYPE html>
            <html lang="en" data-counts="\(base)/counts.json">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Eventide</title>
            <link rel="stylesheet" href="\(base)/dashboard.css"><script src="\(base)/dashboard.js" defer></script></head>
            <body><header><h1><a href="\(home)">Eventide tasks</a></h1><span id="live" class="live">live</span></header>
            <main data-version="\(version)">
            """)
    }

    private func finish(_ html: inout DashboardHTML) -> String {
        html.raw("</main></body></html>\n")
        return html.output
    }

    private func inProcess(_ html: inout DashboardHTML, _ snapshot: DashboardSnapshot) {
        html.raw("<section id=\"in-process\"><h2>In-process tasks</h2><ul class=\"counters\">")
        for (name, value) in snapshot.inProcess.fields {
            html.raw("<li><span class=\"count\" id=\"in-process-\(name)\">\(value)</span> \(name)</li>")
        }
        html.raw("</ul>")
        listTable(
            &html, snapshot.unfinished, opening: "<table id=\"in-process-tasks\">", headers: ["ID", "Name", "State"],
            empty: "None running or waiting."
        ) { html, task in
            html.raw("<tr><td>\(task.id)</td><td>")
            html.text(task.name)
            html.raw("</td><td><span class=\"state state-\(task.state)\">\(task.state)</span></td></tr>")
        }
        html.raw("</section>")
    }

    /// `items` as a table (`opening` its start tag, `headers` its column names, `row`
    /// writing one `<tr>`), or `empty` as a paragraph when there are none.
    private func listTable<Item>(
        _ html: inout DashboardHTML, _ items: [Item], opening: String, headers: [String], empty: String,
        row: (inout DashboardHTML, Item) -> Void
    ) {
        guard !items.isEmpty else { return html.raw("<p class=\"empty\">\(empty)</p>") }
        html.raw("\(opening)<thead><tr>\(headers.map { "<th>\($0)</th>" }.joined())</tr></thead><tbody>")
        for item in items { row(&html, item) }
        html.raw("</tbody></table>")
    }

    private func counts(_ html: inout DashboardHTML, _ durable: [String: [String: Int]], _ snapshot: DashboardSnapshot) {
        html.raw("<table id=\"counts\"><thead><tr><th>Queue</th>")
        for state in DurableTaskState.allCases { html.raw("<th>\(state.rawValue)</th>") }
        html.raw("</tr></thead><tbody>")
        for queue in durable.keys.sorted() {
            html.raw("<tr><th scope=\"row\">")
            html.text(queue)
            html.raw("</th>")
            for state in DurableTaskState.allCases {
                let count = durable[queue]?[state.rawValue] ?? 0
                html.raw("<td data-queue=\"")
                html.text(queue)
                html.raw("\" data-state=\"\(state.rawValue)\">")
                if count > 0 {
                    html.raw("<a href=\"\(home)?state=\(state.rawValue)&amp;queue=")
                    html.text(Self.percentEncoded(queue))
                    html.raw("\">\(count)</a>")
                } else {
                    html.raw("0")
                }
                html.raw("</td>")
            }
            html.raw("</tr>")
        }
        html.raw("</tbody><tfoot><tr><th scope=\"row\">all</th>")
        for state in DurableTaskState.allCases {
            let count = snapshot.count(state)
            html.raw("<td id=\"count-\(state.rawValue)\">")
            html.raw(count > 0 ? "<a href=\"\(home)?state=\(state.rawValue)\">\(count)</a>" : "0")
            html.raw("</td>")
        }
        html.raw("</tr></tfoot></table>")
    }

    private func table(_ html: inout DashboardHTML, _ records: [DurableTaskRecord], csrf: String) {
        html.raw("""
            <table class="tasks"><thead><tr><th>ID</th><th>Kind</th><th>Queue</th><th>Arguments</th><th>Attempts</th>\
            <th>Last error</th><th>Created</th><th>Due</th><th>Finished</th><th></th></tr></thead><tbody>
            """)
        for record in records {
            html.raw("<tr id=\"task-\(record.id)\" data-state=\"\(record.state.rawValue)\">")
            html.raw("<td><a href=\"\(base)/tasks/\(record.id)\">\(record.id)</a></td><td>")
            html.text(record.kind)
            html.raw("</td><td>")
            html.text(record.queue)
            html.raw("</td><td><code>")
            html.text(record.arguments, limit: 160)
            html.raw("</code></td><td>\(record.attempt)/\(record.maxAttempts)</td><td>")
            html.text(record.errors.last?.error ?? "", limit: 160)
            html.raw("</td><td>\(DashboardHTML.time(record.createdAt))</td><td>\(DashboardHTML.time(record.runAt))</td><td>")
            html.raw(record.finishedAt.map(DashboardHTML.time) ?? "")
            html.raw("</td><td>")
            actions(&html, record, csrf: csrf)
            html.raw("</td></tr>")
        }
        html.raw("</tbody></table>")
    }

    /// Retry (any state but running and available), cancel (a task waiting), delete (any
    /// state but running): POST forms carrying the CSRF token.
    private func actions(_ html: inout DashboardHTML, _ record: DurableTaskRecord, csrf: String) {
        var buttons: [(action: String, label: String)] = []
        if record.state != .running && record.state != .available { buttons.append(("retry", "Retry")) }
        if !record.state.isFinal && record.state != .running { buttons.append(("cancel", "Cancel")) }
        if record.state != .running { buttons.append(("delete", "Delete")) }
        guard !buttons.isEmpty else { return }
        html.raw("<div class=\"actions\">")
        for button in buttons {
            let confirm = button.action == "delete" ? " data-confirm=\"Delete task \(record.id) for good?\"" : ""
            html.raw("""
                <form method="post" action="\(base)/tasks/\(record.id)/\(button.action)"\(confirm)>\
                <input type="hidden" name="csrf" value="\(csrf)">\
                <button type="submit" class="\(button.action)" data-action="\(button.action)">\(button.label)</button></form>
                """)
        }
        html.raw("</div>")
    }

    private static let hexDigits = Array("0123456789ABCDEF".unicodeScalars)

    /// `value` as a query parameter value (everything but unreserved characters escaped).
    static func percentEncoded(_ value: String) -> String {
        var encoded = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded.unicodeScalars.append("%")
                encoded.unicodeScalars.append(hexDigits[Int(byte >> 4)])
                encoded.unicodeScalars.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return encoded
    }
}
