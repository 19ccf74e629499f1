import ArgumentParser
import Eventide
import EventideDashboard

/// `--dashboard-token`: mounts the task dashboard at `/admin/tasks` for holders of the
/// token (`Authorization: Bearer TOKEN`, or `?token=TOKEN` once in a browser). Without it
/// `/admin/tasks` answers 404.
struct DashboardOption: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Serve the task dashboard at /admin/tasks to holders of this token (Authorization: Bearer TOKEN, "
            + "or open /admin/tasks?token=TOKEN in a browser). Without it, /admin/tasks answers 404."))
    var dashboardToken: String?

    /// Mounts the dashboard of `queue` (nil: in-process tasks only) on `router` when a token was given.
    func mount(on router: Router, queue: TaskQueue?) throws {
        guard let dashboardToken else { return }
        try router.mount("/admin/tasks", TaskDashboard(queue: queue, authorization: .bearer(dashboardToken)))
    }
}
