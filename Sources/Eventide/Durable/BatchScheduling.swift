#if canImport(Glibc)
import Glibc
#endif

/// Background threads that should not preempt the threads serving requests.
///
/// Linux's `SCHED_BATCH` policy keeps a thread's share of the CPU but does not let it
/// preempt the thread that woke it. Given to the task store's writer and the durable
/// workers' blocking pool: woken by a loop on the same core (a pinned or busy machine),
/// they would otherwise take the CPU at once, commit or run what that loop handed over
/// so far, and hand the loop back; as batch threads they run once the loop waits, and
/// take all of it (see `Documentation/DurableTasks.md`, group commit).
enum BatchScheduling {
    /// Makes the calling thread a batch thread. Linux only; elsewhere, or when refused,
    /// nothing changes.
    static func applyToCurrentThread() {
        #if os(Linux)
        var parameters = sched_param(sched_priority: 0)
        // 3 is SCHED_BATCH: glibc shows the name only with _GNU_SOURCE.
        _ = sched_setscheduler(0, 3, &parameters)
        #endif
    }
}
