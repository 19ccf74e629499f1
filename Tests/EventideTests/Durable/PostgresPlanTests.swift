@testable import Eventide
import EventidePostgres
import Testing

/// The store's hot statements stay cheap: they keep their plan whatever the table's
/// statistics say (here a backlog arrives before the table was ever analyzed, a new
/// deployment's first burst before autovacuum's first look, the case that made every
/// claim sort the whole backlog), and the coordinator vacuums away the dead rows claims
/// would otherwise walk.
@Suite struct PostgresPlanTests {
    /// A store (one connection, so every statement shares a session) holding `backlog`
    /// due tasks in a table never analyzed (autovacuum kept off it, for a test that
    /// does not depend on when autovacuum looks).
    static func storeWithBacklogNeverAnalyzed(_ backlog: Int) async throws -> PostgresTaskStore {
        let settings = PostgresStoreSettings(connections: 1, heartbeatInterval: .milliseconds(200), heartbeatTimeout: .seconds(1))
        let store = try await PostgresTaskStoreTests.store(try await PostgresTestDatabase.fresh(), worker: "w", settings: settings)
        _ = try await store.client.query("ALTER TABLE eventide_tasks SET (autovacuum_enabled = false)")
        _ = try await store.client.query("""
            INSERT INTO eventide_tasks (kind, queue, arguments, state, priority, max_attempts, run_at)
            SELECT 'mail', 'default', '{}', 'available', 0, 3, now() - interval '1 minute' FROM generate_series(1, $1)
            """, [.int32(Int32(backlog))])
        return store
    }

    /// The plan (JSON) of `sql` with `parameters`, planned as the store runs it: after
    /// `settings` in the same transaction, when given.
    static func plan(_ store: PostgresTaskStore, _ sql: String, _ parameters: [PostgresValue], after settings: String? = nil)
        async throws -> String
    {
        let explain = PostgresStatement("EXPLAIN (FORMAT JSON) " + sql, parameters)
        let rows = try await store.client.pipeline((settings.map { [PostgresStatement($0)] } ?? []) + [explain])
        return try #require(rows.last?.string(0, 0))
    }

    @Test func aClaimWalksTheDueIndexInOrderAndItsSettingEndsWithIt() async throws {
        let store = try await Self.storeWithBacklogNeverAnalyzed(200_000)
        let named: [PostgresValue] = [.text("default"), .int32(8), .text("w")]
        // The hazard, as PostgreSQL 15 plans it: the whole backlog sorted for 8 rows.
        #expect(try await Self.plan(store, PostgresTaskSQL.claimNamed, named).contains(#""Node Type": "Sort""#))
        let plan = try await Self.plan(store, PostgresTaskSQL.claimNamed, named, after: PostgresTaskSQL.claimPlan)
        #expect(!plan.contains(#""Node Type": "Sort""#))
        #expect(plan.contains(#""Index Name": "eventide_tasks_due"#))  // either due index, walked in order
        let others = try await Self.plan(
            store, PostgresTaskSQL.claimOthers, [.textArray(["mail"]), .int32(8), .text("w")], after: PostgresTaskSQL.claimPlan)
        #expect(!others.contains(#""Node Type": "Sort""#))
        #expect(others.contains(#""Index Name": "eventide_tasks_due_any_queue""#))

        let claimed = try await store.claim(.named("default"), limit: 8, worker: "w")
        #expect(claimed.map(\.id) == Array(1...8))  // the oldest due, in order
        #expect(try await store.client.query("SELECT current_setting('enable_sort')").string(0, 0) == "on")
        await store.close()
    }

    @Test func aResultFindsItsTasksByPrimaryKeyNotThroughTheRunningIndex() async throws {
        let store = try await Self.storeWithBacklogNeverAnalyzed(100_000)
        let ids: [Int64] = Array(1...64)
        let complete = try await Self.plan(
            store, PostgresTaskSQL.complete, [.int64Array(ids), .int32Array(ids.map { _ in 1 }), .text("w")])
        #expect(complete.contains(#""Index Name": "eventide_tasks_pkey""#))
        #expect(!complete.contains("eventide_tasks_running"))
        await store.close()
    }

    @Test func theCoordinatorVacuumsTheTasksTableOnceDeadRowsPassTheThreshold() async throws {
        let url = try await PostgresTestDatabase.fresh()
        func vacuums(_ store: PostgresTaskStore) async throws -> Int64 {
            try await store.client.query("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'eventide_tasks'").int64(0, 0) ?? 0
        }
        for threshold in [nil, 200] as [Int?] {
            let settings = PostgresStoreSettings(heartbeatInterval: .milliseconds(200), heartbeatTimeout: .seconds(1), vacuumThreshold: threshold)
            let store = try await PostgresTaskStoreTests.store(url, worker: "v", settings: settings)
            let before = try await vacuums(store)
            // 300 tasks claimed and completed: 600 dead rows.
            _ = try await store.enqueue((0..<300).map { _ in PostgresTaskStoreTests.row() })
            let claimed = try await store.claim(.named("default"), limit: 300, worker: "v")
            try await store.resolve(claimed.map { TaskResult(id: $0.id, attempt: $0.attempt, .completed) })
            var vacuumed = false
            for _ in 0..<(threshold == nil ? 15 : 50) where !vacuumed {
                try await Task.sleep(for: .milliseconds(100))
                vacuumed = try await vacuums(store) > before
            }
            #expect(vacuumed == (threshold != nil), "threshold \(String(describing: threshold))")
            await store.close()
        }
    }
}
