import Aggregation
import Foundation
import PostgresNIO

// Lineage on PostgreSQL.
//
// Tables: `backfill_replacements` (one row per replacement; `pipelines` by name, `previous` as JSON text),
// `backfill_segment_lineage` (the active generation of (pipeline, segment); absent = 0), `backfill_boundaries`.
//
// Locking: every operation that changes lineage or replacements (begin, complete, revert, fail, gc) runs in ONE
// transaction that first takes `LOCK TABLE backfill_replacements IN EXCLUSIVE MODE` (readers go on; writers of
// replacements, heartbeats included, queue), so decisions read and writes made are never interleaved with another
// process's: two concurrent begins of overlapping ranges are serialized and the second sees the first in progress.
// Complete and revert also take `backfill_segment_lineage` EXCLUSIVE; an ordinary commit (generation 0) reads the
// lineage under a SHARE lock in its own transaction, so it writes into the generation that is active when it commits.
extension PostgresStateStore {
    private static let replacementColumns = """
        id, pipelines, from_ms, to_ms, segment_from, segment_to, segment_millis, generation, state, config_hash, worker, started_at,
        heartbeat_at, finished_at, reverted_at, objects, rows_read, previous, collected, message
        """

    private func decodeReplacement(_ row: PostgresRow) throws -> Replacement {
        let r = row.makeRandomAccess()
        let stateText = try r["state"].decode(String.self)
        guard let state = ReplacementState(rawValue: stateText) else {
            throw StoreError(.corrupt, "\(displayURL): replacement with unknown state '\(stateText)'")
        }
        let previousText = try r["previous"].decode(String.self)
        let previous: [SegmentGeneration]
        do {
            previous = try JSONDecoder().decode([SegmentGeneration].self, from: Data(previousText.utf8))
        } catch {
            throw StoreError(.corrupt, "\(displayURL): replacement \(try r["id"].decode(Int64.self)) has an unreadable previous-generation list")
        }
        return Replacement(
            id: try r["id"].decode(Int64.self), pipelines: try r["pipelines"].decode([String].self),
            from: try r["from_ms"].decode(Int64.self), to: try r["to_ms"].decode(Int64.self),
            segmentFrom: try r["segment_from"].decode(Int64.self), segmentTo: try r["segment_to"].decode(Int64.self),
            segmentMillis: try r["segment_millis"].decode(Int64.self), generation: try r["generation"].decode(Int64.self), state: state,
            configHash: try r["config_hash"].decode(String.self), worker: try r["worker"].decode(String.self),
            startedAt: try r["started_at"].decode(Double.self), heartbeatAt: try r["heartbeat_at"].decode(Double.self),
            finishedAt: try r["finished_at"].decode(Double?.self), revertedAt: try r["reverted_at"].decode(Double?.self),
            objects: Int(try r["objects"].decode(Int64.self)), rowsRead: Int(try r["rows_read"].decode(Int64.self)),
            previous: previous, collected: try r["collected"].decode(Bool.self), message: try r["message"].decode(String?.self))
    }

    /// Replacements matching `condition` (SQL over the table's columns, binds `binds`), newest first.
    private func loadReplacements(_ conn: PostgresConnection, _ condition: String = "TRUE", binds: PostgresBindings = PostgresBindings(),
                                  suffix: String = "") async throws -> [Replacement] {
        var out: [Replacement] = []
        let rows = try await conn.query(PostgresQuery(unsafeSQL: """
            SELECT \(Self.replacementColumns) FROM backfill_replacements WHERE \(condition) ORDER BY id DESC \(suffix)
            """, binds: binds), logger: logger)
        for try await row in rows { out.append(try decodeReplacement(row)) }
        return out
    }

    private func replacement(_ conn: PostgresConnection, id: Int64) async throws -> Replacement {
        var b = PostgresBindings()
        b.append(id)
        guard let r = try await loadReplacements(conn, "id = $1", binds: b).first else {
            throw ReplacementRules.unknown(id, in: displayURL)
        }
        return r
    }

    private func lockReplacements(_ conn: PostgresConnection) async throws {
        try await conn.query("LOCK TABLE backfill_replacements IN EXCLUSIVE MODE", logger: logger)
    }

    /// Runs `body` in a transaction, passing lineage errors through and mapping server errors.
    private func lineageTransaction<T: Sendable>(_ what: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await transaction(body)
        } catch let e as StoreError { throw e } catch let e as ReplaceConflict { throw e } catch { throw mapped(error, what) }
    }

    private static func json(_ previous: [SegmentGeneration]) throws -> String {
        String(decoding: try JSONEncoder().encode(previous), as: UTF8.self)
    }

    /// Marks `r` failed and deletes its generation's partials and ledger rows (inside the caller's transaction).
    private func fail(_ conn: PostgresConnection, _ r: Replacement, message: String) async throws {
        let now = Date().timeIntervalSince1970
        try await conn.query("""
            UPDATE backfill_replacements SET state = 'failed', finished_at = \(now), message = \(message) WHERE id = \(r.id)
            """, logger: logger)
        guard r.generation > 0 else { return }
        var pids: [Int64] = []
        for name in r.pipelines { pids.append(try await pipelineID(name)) }
        try await conn.query("DELETE FROM backfill_partials WHERE generation = \(r.generation) AND pipeline_id = ANY(\(pids))", logger: logger)
        try await conn.query("DELETE FROM backfill_ledger WHERE generation = \(r.generation) AND pipeline_id = ANY(\(pids))", logger: logger)
    }

    // MARK: - Replacements

    public func beginReplacement(_ proposed: Replacement, staleAfter: Double) async throws -> ReplacementStart {
        for name in proposed.pipelines { _ = try await pipelineID(name) }
        return try await lineageTransaction("begin a replacement") { conn in
            try await lockReplacements(conn)
            let now = Date().timeIntervalSince1970
            let plan = try ReplacementRules.begin(proposed, inProgress: try await loadReplacements(conn, "state = 'in_progress'"),
                                                  now: now, staleAfter: staleAfter)
            for r in plan.abandon { try await fail(conn, r, message: ReplacementRules.abandonedMessage(r, by: proposed, at: now)) }
            if let r = plan.resume {
                var b = PostgresBindings()
                b.append(r.worker); b.append(r.heartbeatAt); b.append(r.id)
                _ = try await conn.query(PostgresQuery(unsafeSQL: "UPDATE backfill_replacements SET worker = $1, heartbeat_at = $2 WHERE id = $3",
                                                       binds: b), logger: logger)
                return .resumed(r)
            }
            var maxUsed: Int64?
            for try await g in try await conn.query("""
                SELECT GREATEST((SELECT max(generation) FROM backfill_replacements),
                                (SELECT max(generation) FROM backfill_partials WHERE generation <> 0),
                                (SELECT max(generation) FROM backfill_ledger))
                """, logger: logger).decode(Int64?.self) { maxUsed = g }
            let r = ReplacementRules.started(proposed, id: 0, generation: ReplacementRules.nextGeneration(maxUsed: maxUsed), now: now)
            var b = PostgresBindings()
            b.append(r.pipelines); b.append(r.from); b.append(r.to); b.append(r.segmentFrom)
            b.append(r.segmentTo); b.append(r.segmentMillis); b.append(r.generation); b.append(r.configHash)
            b.append(r.worker); b.append(r.startedAt); b.append(r.heartbeatAt)
            var out: Replacement?
            for try await row in try await conn.query(PostgresQuery(unsafeSQL: """
                INSERT INTO backfill_replacements(pipelines, from_ms, to_ms, segment_from, segment_to, segment_millis, generation, state,
                    config_hash, worker, started_at, heartbeat_at)
                VALUES($1, $2, $3, $4, $5, $6, $7, 'in_progress', $8, $9, $10, $11) RETURNING \(Self.replacementColumns)
                """, binds: b), logger: logger) {
                out = try decodeReplacement(row)
            }
            guard let out else { throw StoreError(.server, "\(displayURL): the new replacement was not returned") }
            return .started(out)
        }
    }

    public func heartbeatReplacement(id: Int64, worker: String) async throws {
        let now = Date().timeIntervalSince1970
        var updated = false
        do {
            for try await _ in try await client.query("""
                UPDATE backfill_replacements SET heartbeat_at = \(now) WHERE id = \(id) AND state = 'in_progress' AND worker = \(worker)
                RETURNING id
                """, logger: logger).decode(Int64.self) { updated = true }
        } catch { throw mapped(error, "heartbeat of replacement \(id)") }
        guard !updated else { return }
        let r = try await lineageTransaction("read replacement \(id)") { conn in try await replacement(conn, id: id) }
        throw ReplacementRules.heartbeatRefused(r, worker: worker)
    }

    public func completeReplacement(id: Int64, objects: Int, rowsRead: Int) async throws -> Replacement {
        try await lineageTransaction("complete replacement \(id)") { conn in
            try await lockReplacements(conn)
            try await conn.query("LOCK TABLE backfill_segment_lineage IN EXCLUSIVE MODE", logger: logger)
            let r = try await replacement(conn, id: id)
            try ReplacementRules.checkInProgress(r, to: "completed")
            var active: [String: [Int64: Int64]] = [:]
            var pids: [String: Int64] = [:]
            for name in r.pipelines {
                let pid = try await pipelineID(name)
                pids[name] = pid
                let rows = try await conn.query("""
                    SELECT segment, generation FROM backfill_segment_lineage
                    WHERE pipeline_id = \(pid) AND segment >= \(r.segmentFrom) AND segment < \(r.segmentTo)
                    """, logger: logger)
                for try await (s, g) in rows.decode((Int64, Int64).self) { active[name, default: [:]][s] = g }
            }
            let done = ReplacementRules.completed(r, active: active, objects: objects, rowsRead: rowsRead, now: Date().timeIntervalSince1970)
            var b = PostgresBindings()
            b.append(done.previous.map { pids[$0.pipeline]! }); b.append(done.previous.map(\.segment)); b.append(r.generation)
            try await conn.query(PostgresQuery(unsafeSQL: """
                INSERT INTO backfill_segment_lineage(pipeline_id, segment, generation) SELECT p, s, $3 FROM unnest($1::bigint[], $2::bigint[]) AS t(p, s)
                ON CONFLICT (pipeline_id, segment) DO UPDATE SET generation = EXCLUDED.generation
                """, binds: b), logger: logger)
            let text = try Self.json(done.previous)
            try await conn.query("""
                UPDATE backfill_replacements SET state = 'completed', finished_at = \(done.finishedAt!), objects = \(Int64(objects)),
                    rows_read = \(Int64(rowsRead)), previous = \(text) WHERE id = \(id)
                """, logger: logger)
            return done
        }
    }

    public func failReplacement(id: Int64, message: String) async throws {
        try await lineageTransaction("fail replacement \(id)") { conn in
            try await lockReplacements(conn)
            let r = try await replacement(conn, id: id)
            try ReplacementRules.checkInProgress(r, to: "failed")
            try await fail(conn, r, message: message)
        }
    }

    public func revertReplacement(id: Int64) async throws -> Replacement {
        try await lineageTransaction("revert replacement \(id)") { conn in
            try await lockReplacements(conn)
            try await conn.query("LOCK TABLE backfill_segment_lineage IN EXCLUSIVE MODE", logger: logger)
            let r = try await replacement(conn, id: id)
            try ReplacementRules.checkRevertible(r, among: try await loadReplacements(conn, "state = 'completed'"))
            var setP: [Int64] = [], setS: [Int64] = [], setG: [Int64] = [], delP: [Int64] = [], delS: [Int64] = []
            for prev in r.previous {
                let pid = try await pipelineID(prev.pipeline)
                if prev.generation == 0 {
                    delP.append(pid); delS.append(prev.segment)
                } else {
                    setP.append(pid); setS.append(prev.segment); setG.append(prev.generation)
                }
            }
            var b = PostgresBindings()
            b.append(setP); b.append(setS); b.append(setG)
            try await conn.query(PostgresQuery(unsafeSQL: """
                INSERT INTO backfill_segment_lineage(pipeline_id, segment, generation)
                SELECT p, s, g FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS t(p, s, g)
                ON CONFLICT (pipeline_id, segment) DO UPDATE SET generation = EXCLUDED.generation
                """, binds: b), logger: logger)
            var d = PostgresBindings()
            d.append(delP); d.append(delS)
            try await conn.query(PostgresQuery(unsafeSQL: """
                DELETE FROM backfill_segment_lineage l USING unnest($1::bigint[], $2::bigint[]) AS t(p, s)
                WHERE l.pipeline_id = t.p AND l.segment = t.s
                """, binds: d), logger: logger)
            let done = ReplacementRules.reverted(r, now: Date().timeIntervalSince1970)
            try await conn.query("UPDATE backfill_replacements SET state = 'reverted', reverted_at = \(done.revertedAt!) WHERE id = \(id)", logger: logger)
            return done
        }
    }

    public func replacements() async throws -> [Replacement] {
        try await lineageTransaction("read replacements") { conn in try await loadReplacements(conn) }
    }

    // MARK: - Boundaries

    /// Keyed by pipeline name: a boundary may be set before the pipeline's first run registers it.
    public func setBoundary(pipeline: String, at: Int64?) async throws {
        do {
            if let at {
                let now = Date().timeIntervalSince1970
                try await client.query("""
                    INSERT INTO backfill_boundaries(pipeline, at, set_at) VALUES(\(pipeline), \(at), \(now))
                    ON CONFLICT (pipeline) DO UPDATE SET at = EXCLUDED.at, set_at = EXCLUDED.set_at
                    """, logger: logger)
            } else {
                try await client.query("DELETE FROM backfill_boundaries WHERE pipeline = \(pipeline)", logger: logger)
            }
        } catch { throw mapped(error, "set the boundary of '\(pipeline)'") }
    }

    public func boundaries() async throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        do {
            for try await (name, at) in try await client.query("SELECT pipeline, at FROM backfill_boundaries", logger: logger)
                .decode((String, Int64).self) { out[name] = at }
        } catch { throw mapped(error, "read boundaries") }
        return out
    }

    // MARK: - Reads

    public func ledger(pipelines: [String], generation: Int64) async throws -> [String: [LedgerEntry]] {
        guard !pipelines.isEmpty else { return [:] }
        return try await ledgerEntries(pipelines, """
            SELECT p.name, l.url, l.version, l.run_id, l.rows, l.rejected, l.committed_at
            FROM backfill_ledger l JOIN backfill_pipelines p ON p.id = l.pipeline_id
            WHERE p.name = ANY(\(pipelines)) AND l.generation = \(generation)
            """)
    }

    // MARK: - Garbage collection

    public func collectGarbage(before: Double) async throws -> GarbageCollected {
        try await lineageTransaction("collect garbage") { conn in
            try await lockReplacements(conn)
            try await conn.query("LOCK TABLE backfill_segment_lineage IN SHARE MODE", logger: logger)
            var names: [Int64: String] = [:], ids: [String: Int64] = [:]
            for try await (id, name) in try await conn.query("SELECT id, name FROM backfill_pipelines", logger: logger).decode((Int64, String).self) {
                names[id] = name
                ids[name] = id
            }
            let rules = GarbageRules(replacements: try await loadReplacements(conn), before: before)
            var keepP: [Int64] = [], keepS: [Int64] = [], keepG: [Int64] = []
            for pinned in rules.pinned {
                guard let pid = ids[pinned.pipeline] else { continue }
                keepP.append(pid); keepS.append(pinned.segment); keepG.append(pinned.generation)
            }
            var activeGenerations = Set<Int64>()
            for try await g in try await conn.query("SELECT DISTINCT generation FROM backfill_segment_lineage", logger: logger).decode(Int64.self) {
                activeGenerations.insert(g)
            }
            var b = PostgresBindings()
            b.append(keepP); b.append(keepS); b.append(keepG)
            var dropped: [SegmentGeneration] = []
            var partialRows = 0
            // The server applies `GarbageRules.drops`: not live, not active, not pinned.
            let rows = try await conn.query(PostgresQuery(unsafeSQL: """
                WITH keep AS (SELECT DISTINCT p, s, g FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS t(p, s, g)),
                gone AS (
                    DELETE FROM backfill_partials x
                    WHERE x.generation <> \(liveGeneration)
                        AND x.generation <> COALESCE((SELECT l.generation FROM backfill_segment_lineage l
                                                      WHERE l.pipeline_id = x.pipeline_id AND l.segment = x.segment), 0)
                        AND NOT EXISTS (SELECT 1 FROM keep WHERE keep.p = x.pipeline_id AND keep.s = x.segment AND keep.g = x.generation)
                    RETURNING x.pipeline_id, x.segment, x.generation)
                SELECT pipeline_id, segment, generation, count(*) FROM gone GROUP BY 1, 2, 3
                """, binds: b), logger: logger)
            for try await (p, s, g, n) in rows.decode((Int64, Int64, Int64, Int64).self) {
                dropped.append(SegmentGeneration(pipeline: names[p] ?? "#\(p)", segment: s, generation: g))
                partialRows += Int(n)
            }
            var ledgerRows = 0
            var lb = PostgresBindings()
            lb.append(Array(rules.keptLedgerGenerations(active: activeGenerations)))
            for try await n in try await conn.query(PostgresQuery(unsafeSQL: """
                WITH gone AS (DELETE FROM backfill_ledger WHERE generation > 0 AND NOT (generation = ANY($1::bigint[])) RETURNING 1)
                SELECT count(*) FROM gone
                """, binds: lb), logger: logger).decode(Int64.self) { ledgerRows = Int(n) }
            let collected = rules.collected(dropped: Set(dropped)).map(\.id)
            if !collected.isEmpty {
                try await conn.query("UPDATE backfill_replacements SET collected = true WHERE id = ANY(\(collected))", logger: logger)
            }
            return GarbageRules.report(dropped: dropped, partialRows: partialRows, ledgerRows: ledgerRows)
        }
    }
}
