/// The SQL of the PostgreSQL task store, in one place. Times are `timestamptz` in the
/// tables and milliseconds since the Unix epoch in Swift (the boundary converts them).
///
/// Every statement that changes rows for a batch takes arrays (`unnest`), so a batch is
/// one statement whatever its size, and prepared once per connection.
enum PostgresTaskSQL {
    /// The states that hold a unique key and count against `maxQueued`.
    static let unfinished = "('scheduled', 'available', 'running', 'retryable')"
    /// The states a claim takes tasks from.
    static let due = "('scheduled', 'available', 'retryable')"

    /// Stores a batch in order: $1 kinds, $2 queues, $3 arguments (JSON text), $4
    /// priorities, $5 max attempts, $6 unique keys, $7 due times (null: now, on the
    /// server's clock), $8 workers (set for a task stored running for its worker), $9
    /// timeouts in ms (text: nullable).
    ///
    /// Rows come back in insertion order, which is `ord`'s: ids are drawn as rows are
    /// inserted, so ascending ids map the rows back to the batch. A row whose unique key
    /// is held is skipped by the unique index itself (no check-then-insert race). A task
    /// meant to be stored running for its worker is stored available instead while its
    /// queue is paused or its worker is not registered (`held`).
    static let insert = """
        INSERT INTO eventide_tasks (kind, queue, arguments, state, priority, max_attempts, unique_key, run_at,
            attempt, attempted_at, worker, timeout_ms)
        SELECT t.kind, t.queue, t.arguments::json,
            CASE WHEN t.worker IS NOT NULL AND NOT h.held THEN 'running'
                WHEN t.run_at IS NULL OR t.run_at <= now() THEN 'available' ELSE 'scheduled' END,
            t.priority, t.max_attempts, t.unique_key, coalesce(t.run_at, now()),
            CASE WHEN t.worker IS NULL OR h.held THEN 0 ELSE 1 END,
            CASE WHEN t.worker IS NOT NULL AND NOT h.held THEN now() END, CASE WHEN h.held THEN NULL ELSE t.worker END,
            t.timeout_ms::int8
        FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::int4[], $6::text[], $7::timestamptz[], $8::text[],
                    $9::text[])
            WITH ORDINALITY AS t(kind, queue, arguments, priority, max_attempts, unique_key, run_at, worker, timeout_ms, ord)
            CROSS JOIN LATERAL (SELECT t.worker IS NOT NULL
                AND (EXISTS (SELECT 1 FROM eventide_queues p WHERE p.name = t.queue AND p.paused)
                    OR NOT EXISTS (SELECT 1 FROM eventide_workers w WHERE w.id = t.worker)) AS held) h
        ORDER BY t.ord
        ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN \(unfinished) DO NOTHING
        RETURNING id, unique_key, state
        """

    /// The tasks holding the unique keys $1 (read after `insert`, in its transaction).
    static let holders = """
        SELECT id, unique_key FROM eventide_tasks WHERE unique_key = ANY($1::text[]) AND state IN \(unfinished)
        """

    /// Wakes the workers listening for queues $1 (delivered when the transaction commits).
    static let notify = "SELECT pg_notify('\(channel)', q) FROM unnest($1::text[]) AS q"

    /// Wakes the workers of task $1's queue if it is available.
    static let notifyIfAvailable = """
        SELECT pg_notify('\(channel)', queue) FROM eventide_tasks WHERE id = $1 AND state = 'available'
        """

    /// The channel workers LISTEN on; the payload is a queue's name.
    static let channel = "eventide_tasks"

    /// Columns of a claimed task, in `ClaimedTask`'s order.
    private static let claimedColumns = """
        t.id, t.kind, t.queue, t.arguments::text, t.priority, t.attempt, t.max_attempts, t.run_at, t.timeout_ms
        """

    /// Takes up to $2 due tasks of queue $1 for worker $3, in order (priority, due
    /// time, id); run after `claimPlan` in the same transaction. SKIP LOCKED: claimers
    /// never wait for each other, and never take the same task. A worker not registered
    /// (the fleet declared it dead and it has not registered again) takes nothing: its
    /// tasks would be rescued under it.
    static let claimNamed = claim(
        filter: "queue = $1 AND NOT EXISTS (SELECT 1 FROM eventide_queues p WHERE p.name = $1 AND p.paused)")
    /// Takes up to $2 due tasks of every queue but $1 (text[]) and the paused ones for
    /// worker $3.
    static let claimOthers = claim(filter: "queue <> ALL($1::text[] || ARRAY(SELECT name FROM eventide_queues WHERE paused))")

    /// Keeps a claim's plan "walk the due index in order, stop after a few rows" for the
    /// rest of its transaction, whatever the statistics say. Statistics taken before a
    /// backlog formed (or none yet) told the planner almost nothing was due, so sorting
    /// every due task looked free: measured at 550,000 due, 600 ms and 10,000
    /// buffers a claim, against 0.2 ms for the walk. Without sorting, the ordered index
    /// walk is the only plan left. Transaction-local: nothing else on the connection
    /// (the user's own statements included) plans under it.
    static let claimPlan = "SELECT set_config('enable_sort', 'off', true), set_config('enable_incremental_sort', 'off', true)"

    /// The paused queues are checked once per statement, not joined row by row (the
    /// anti-join's estimate, too, made the sort look free).
    private static func claim(filter: String) -> String {
        """
        WITH picked AS (
            SELECT id FROM eventide_tasks
            WHERE state IN \(due) AND run_at <= now() AND \(filter)
                AND EXISTS (SELECT 1 FROM eventide_workers w WHERE w.id = $3)
            ORDER BY priority, run_at, id
            LIMIT $2
            FOR UPDATE SKIP LOCKED)
        UPDATE eventide_tasks t SET state = 'running', attempt = t.attempt + 1, attempted_at = now(), worker = $3
        FROM picked WHERE t.id = picked.id
        RETURNING \(claimedColumns)
        """
    }

    /// Whether a run still holds the task: checked row by row after the primary key
    /// found it. Written so the planner cannot answer it from `eventide_tasks_running`
    /// instead: that index keeps an entry for every task a worker ran until VACUUM, and a
    /// plan scanning it for the worker read 39,000 entries to complete 64 tasks.
    private static func heldByRun(worker parameter: String) -> String {
        "(t.state, t.worker) IS NOT DISTINCT FROM ('running', \(parameter)::text)"
    }

    /// Completes runs $1 (ids) with attempts $2 of worker $3; only a task this run still
    /// holds changes (one rescued meanwhile, or claimed again, keeps its newer state).
    static let complete = """
        UPDATE eventide_tasks t SET state = 'completed', finished_at = now(), worker = NULL
        FROM unnest($1::int8[], $2::int4[]) AS r(id, attempt)
        WHERE t.id = r.id AND t.attempt = r.attempt AND \(heldByRun(worker: "$3"))
        RETURNING t.id
        """

    /// Every other end of a run: $1 ids, $2 attempts, $3 new states, $4 due times (null:
    /// unchanged), $5 errors (null: none to record), $6 attempts given back (1 for a run
    /// that did not count), $7 the worker.
    static let settle = """
        UPDATE eventide_tasks t SET state = r.state, run_at = coalesce(r.run_at, t.run_at), attempt = t.attempt - r.refund,
            finished_at = CASE WHEN r.state IN ('discarded', 'cancelled') THEN now() END, worker = NULL,
            errors = CASE WHEN r.error IS NULL THEN t.errors ELSE t.errors || jsonb_build_array(jsonb_build_object(
                'attempt', t.attempt, 'at', (extract(epoch FROM now()) * 1000)::int8, 'error', r.error)) END
        FROM unnest($1::int8[], $2::int4[], $3::text[], $4::timestamptz[], $5::text[], $6::int4[])
            AS r(id, attempt, state, run_at, error, refund)
        WHERE t.id = r.id AND t.attempt = r.attempt AND \(heldByRun(worker: "$7"))
        RETURNING t.id
        """

    /// Tells the fleet worker $1 is alive (no row: it was declared dead, or is new).
    static let heartbeat = "UPDATE eventide_workers SET heartbeat_at = now() WHERE id = $1"
    /// Registers worker $1 on host $2, process $3.
    static let register = """
        INSERT INTO eventide_workers (id, host, pid) VALUES ($1, $2, $3)
        ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()
        """
    /// The server's clock, in milliseconds since the Unix epoch.
    static let clock = "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::int8"
    /// Takes the coordinator's lease for worker $1 for $2 seconds, or renews it; a row
    /// comes back when $1 holds it (it did, or the last holder's lease had expired).
    static let lease = """
        INSERT INTO eventide_coordinator (id, worker, expires_at) VALUES (1, $1, now() + make_interval(secs => $2))
        ON CONFLICT (id) DO UPDATE SET worker = excluded.worker, expires_at = excluded.expires_at
            WHERE eventide_coordinator.worker = excluded.worker OR eventide_coordinator.expires_at < now()
        RETURNING worker
        """
    /// Gives up worker $1's lease (it is leaving): the next to try takes it at once.
    static let resign = "DELETE FROM eventide_coordinator WHERE worker = $1"
    /// The transaction-level advisory lock that serializes migrations.
    static let migrationLock: Int64 = 0x6576_656E_7469_6400

    /// Forgets the workers silent for $1 seconds (never $2, the coordinator running this:
    /// alive by definition, however late its own heartbeat) and makes the tasks they (or
    /// workers no longer registered) left running available again, the attempt kept counted and
    /// their place in the queue kept (their due time). Nothing while the server itself
    /// has been up for less than $1 seconds: nobody could beat while it was down.
    static let rescue = """
        WITH dead AS (
            DELETE FROM eventide_workers
            WHERE heartbeat_at < now() - make_interval(secs => $1) AND pg_postmaster_start_time() < now() - make_interval(secs => $1)
                AND id <> $2
            RETURNING id)
        UPDATE eventide_tasks t SET state = 'available', worker = NULL
        WHERE t.state = 'running'
            AND (t.worker IN (SELECT id FROM dead)
                OR (NOT EXISTS (SELECT 1 FROM eventide_workers w WHERE w.id = t.worker)
                    AND pg_postmaster_start_time() < now() - make_interval(secs => $1)))
        RETURNING t.id, t.queue
        """
    /// Dead rows in the tasks table, as the server's statistics last counted them.
    static let deadRows = "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'eventide_tasks'::regclass"
    /// Removes them and their index entries; skipped while another VACUUM (autovacuum's)
    /// holds the table rather than waiting for it or cancelling it.
    static let vacuum = "VACUUM (SKIP_LOCKED, INDEX_CLEANUP ON) eventide_tasks"

    /// Leaves the fleet: worker $1's row goes (its tasks were put back before).
    static let unregister = "DELETE FROM eventide_workers WHERE id = $1"

    /// Unfinished tasks (what `maxQueued` limits).
    static let unfinishedCount = "SELECT count(*) FROM eventide_tasks WHERE state IN \(unfinished)"

    /// The columns `PostgresTaskStore.record(_:_:)` reads, in its order.
    static let recordColumns = """
        id, kind, queue, state, priority, attempt, max_attempts, unique_key, created_at, run_at, attempted_at,
            finished_at, errors::text, arguments::text
        """
    static let record = "SELECT \(recordColumns) FROM eventide_tasks WHERE id = $1"
    /// Up to $3 tasks in final state $1 (of queue $2 unless null), the last to finish first
    /// (a walk down eventide_tasks_finished).
    static let recordsFinished = """
        SELECT \(recordColumns) FROM eventide_tasks
        WHERE state = $1 AND ($2::text IS NULL OR queue = $2::text) AND finished_at IS NOT NULL
        ORDER BY finished_at DESC, id DESC LIMIT $3
        """
    /// Up to $3 tasks in unfinished state $1 (of queue $2 unless null), the last stored first.
    static let recordsWaiting = """
        SELECT \(recordColumns) FROM eventide_tasks
        WHERE state = $1 AND ($2::text IS NULL OR queue = $2::text)
        ORDER BY id DESC LIMIT $3
        """
    /// Deletes task $1 unless it is running; the state it was deleted in comes back.
    static let delete = "DELETE FROM eventide_tasks WHERE id = $1 AND state <> 'running' RETURNING state"
    static let state = "SELECT state FROM eventide_tasks WHERE id = $1"
    static let cancel = """
        UPDATE eventide_tasks SET state = 'cancelled', finished_at = now() WHERE id = $1 AND state IN \(due)
        """
    static let retry = """
        UPDATE eventide_tasks SET state = 'available', run_at = now(), finished_at = NULL,
            max_attempts = greatest(max_attempts, attempt + 1)
        WHERE id = $1 AND state IN ('scheduled', 'retryable', 'discarded', 'cancelled', 'completed')
        """
    static let counts = "SELECT queue, state, count(*) FROM eventide_tasks GROUP BY queue, state"
    /// Deletes up to `limit` tasks finished before $1 (completed) or $2 (discarded,
    /// cancelled). The limit is a literal: with `LIMIT $n` a prepared statement's generic
    /// plan assumes a tenth of the table.
    static func deleteFinished(limit: Int) -> String {
        """
        DELETE FROM eventide_tasks WHERE id IN (
            SELECT id FROM eventide_tasks
            WHERE finished_at IS NOT NULL AND ((state = 'completed' AND finished_at < $1)
                OR (state IN ('discarded', 'cancelled') AND finished_at < $2))
            LIMIT \(limit))
        """
    }
    static let periodicSchedule = "SELECT schedule, next_run_at FROM eventide_periodic WHERE name = $1 FOR UPDATE"
    static let periodicReset = """
        INSERT INTO eventide_periodic (name, schedule, next_run_at) VALUES ($1, $2, $3)
        ON CONFLICT (name) DO UPDATE SET schedule = $2, next_run_at = $3
        """
    static let periodicAdvance = "UPDATE eventide_periodic SET next_run_at = $2 WHERE name = $1"
    /// Pauses ($2 true) or resumes queue $1.
    static let pause = """
        INSERT INTO eventide_queues (name, paused) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET paused = $2
        """
}
