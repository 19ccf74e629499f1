/// The help text of every metric Eventide records, as Prometheus' `# HELP` lines carry
/// them (swift-metrics has no place for it, and `promtool check metrics` requires it).
enum EventideMetricDescriptions {
    static let help: [String: String] = [
        "eventide_http_requests_total": "HTTP requests answered, by method, route template and status class.",
        "eventide_http_request_duration_seconds":
            "Time from routing a request to its response (a streamed body: to its end), by method and route template.",
        "eventide_http_connections_open": "HTTP connections open now.",
        "eventide_loop_lag_seconds": "How late the event loop last ran a timer due then (sampled every second), by loop.",
        "eventide_loop_stalls_total": "Loop-bound background tasks that held their loop longer than the stall threshold.",
        "eventide_background_tasks_total":
            "In-process background tasks by event: added, started, succeeded, failed, skipped, rejected, cancelled.",
        "eventide_background_tasks_running": "In-process background tasks running now.",
        "eventide_background_task_duration_seconds": "Run time of in-process background tasks.",
        "eventide_background_task_wait_seconds": "Time from adding an in-process background task to its start.",
        "eventide_durable_tasks_enqueued_total": "Durable tasks stored by this process, by queue.",
        "eventide_durable_tasks_duplicates_total": "Durable tasks not stored because their unique key was taken, by queue.",
        "eventide_durable_tasks_rejected_total": "Durable tasks refused (store full or commit failed), by reason.",
        "eventide_durable_tasks_started_total": "Durable task runs started by this process, by queue and kind.",
        "eventide_durable_tasks_finished_total": "Durable task runs finished by this process, by queue, kind and outcome.",
        "eventide_durable_tasks_running": "Durable tasks this process runs now, by queue.",
        "eventide_durable_task_wait_seconds": "Time from a durable task's due time to its start, by queue.",
        "eventide_durable_task_duration_seconds": "Run time of durable tasks, by queue and kind.",
        "eventide_durable_tasks": "Durable tasks in the store, by queue and state (refreshed by the workers).",
    ]
}
