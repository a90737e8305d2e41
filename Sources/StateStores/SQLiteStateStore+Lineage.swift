import Aggregation
import Foundation

// Lineage on SQLite: `replacements` (one row per replacement; `previous` as JSON), `segment_lineage` (pipeline,
// segment → active generation; absent = 0), `boundaries`. Every switch is one `BEGIN IMMEDIATE` transaction, which
// also serialises `beginReplacement` between processes sharing the file.
extension SQLiteStateStore {
    static let replacementColumns = """
        id, pipelines, from_ms, to_ms, segment_from, segment_to, segment_ms, generation, state, config_hash, worker, started_at,
        heartbeat_at, finished_at, reverted_at, objects, rows_read, previous, collected, message
        """

    private func readReplacement(_ s: SQLiteStatement) throws -> Replacement {
        let pipelines = try JSONDecoder().decode([String].self, from: Data((s.string(1) ?? "[]").utf8))
        let previous = try JSONDecoder().decode([SegmentGeneration].self, from: Data((s.string(17) ?? "[]").utf8))
        guard let state = ReplacementState(rawValue: s.string(8) ?? "") else {
            throw StoreError(.corrupt, "replacement \(s.int64(0)) in \(path) has an unknown state '\(s.string(8) ?? "")'")
        }
        return Replacement(id: s.int64(0), pipelines: pipelines, from: s.int64(2), to: s.int64(3), segmentFrom: s.int64(4),
                           segmentTo: s.int64(5), segmentMillis: s.int64(6), generation: s.int64(7), state: state,
                           configHash: s.string(9) ?? "", worker: s.string(10) ?? "", startedAt: s.double(11),
                           heartbeatAt: s.double(12), finishedAt: s.isNull(13) ? nil : s.double(13),
                           revertedAt: s.isNull(14) ? nil : s.double(14), objects: Int(s.int64(15)), rowsRead: Int(s.int64(16)),
                           previous: previous, collected: s.int64(18) != 0, message: s.string(19))
    }

    private func loadReplacements(where clause: String = "", bind: (SQLiteStatement) -> Void = { _ in }) throws -> [Replacement] {
        let s = try db.prepare("SELECT \(Self.replacementColumns) FROM replacements \(clause) ORDER BY id DESC")
        bind(s)
        var out: [Replacement] = []
        while try s.step() { out.append(try readReplacement(s)) }
        s.reset()
        return out
    }

    private func replacement(_ id: Int64) throws -> Replacement {
        guard let r = try loadReplacements(where: "WHERE id = ?", bind: { $0.bind(1, id) }).first else {
            throw ReplacementRules.unknown(id, in: path)
        }
        return r
    }

    private func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Deletes a generation's partials and ledger rows (a failed or abandoned replacement).
    private func dropGeneration(_ generation: Int64) throws {
        precondition(generation > 0)
        try db.prepare("DELETE FROM partial_sets WHERE generation = ?").bind(1, generation).run()
        try db.prepare("DELETE FROM ledger WHERE generation = ?").bind(1, generation).run()
    }

    private func markFailed(_ id: Int64, generation: Int64, message: String) throws {
        try db.prepare("UPDATE replacements SET state = 'failed', message = ?, finished_at = ? WHERE id = ?")
            .bind(1, message).bind(2, Date().timeIntervalSince1970).bind(3, id).run()
        try dropGeneration(generation)
    }

    /// The id of a pipeline, under the lock.
    private func pipelineIDLocked(_ name: String) throws -> Int64 {
        try registry.id(of: name, loadingNow: { try storedPipelines() })
    }

    public func beginReplacement(_ proposed: Replacement, staleAfter: Double) async throws -> ReplacementStart {
        try locked {
            for name in proposed.pipelines { _ = try pipelineIDLocked(name) }
            return try db.transaction {
                let now = Date().timeIntervalSince1970
                let plan = try ReplacementRules.begin(proposed, inProgress: try loadReplacements(where: "WHERE state = 'in_progress'"),
                                                      now: now, staleAfter: staleAfter)
                for r in plan.abandon {
                    try markFailed(r.id, generation: r.generation, message: ReplacementRules.abandonedMessage(r, by: proposed, at: now))
                }
                if let r = plan.resume {
                    try db.prepare("UPDATE replacements SET worker = ?, heartbeat_at = ? WHERE id = ?")
                        .bind(1, r.worker).bind(2, r.heartbeatAt).bind(3, r.id).run()
                    return .resumed(r)
                }
                let used = try db.prepare("""
                    SELECT MAX(g) FROM (SELECT MAX(generation) AS g FROM replacements UNION ALL SELECT MAX(generation) FROM partial_sets
                                        UNION ALL SELECT MAX(generation) FROM ledger)
                    """)
                _ = try used.step()
                let maxUsed: Int64? = used.isNull(0) ? nil : used.int64(0)
                used.reset()
                var r = ReplacementRules.started(proposed, id: 0, generation: ReplacementRules.nextGeneration(maxUsed: maxUsed), now: now)
                let insert = try db.prepare("""
                    INSERT INTO replacements(pipelines, from_ms, to_ms, segment_from, segment_to, segment_ms, generation, state,
                    config_hash, worker, started_at, heartbeat_at, objects, rows_read, previous, collected, message)
                    VALUES(?, ?, ?, ?, ?, ?, ?, 'in_progress', ?, ?, ?, ?, 0, 0, '[]', 0, NULL)
                    """)
                try insert.bind(1, try json(r.pipelines)).bind(2, r.from).bind(3, r.to).bind(4, r.segmentFrom).bind(5, r.segmentTo)
                    .bind(6, r.segmentMillis).bind(7, r.generation).bind(8, r.configHash).bind(9, r.worker).bind(10, r.startedAt)
                    .bind(11, r.heartbeatAt).run()
                r.id = db.lastInsertRowID
                return .started(r)
            }
        }
    }

    public func heartbeatReplacement(id: Int64, worker: String) async throws {
        try locked {
            try db.prepare("UPDATE replacements SET heartbeat_at = ? WHERE id = ? AND state = 'in_progress' AND worker = ?")
                .bind(1, Date().timeIntervalSince1970).bind(2, id).bind(3, worker).run()
            if db.changes == 0 { throw ReplacementRules.heartbeatRefused(try replacement(id), worker: worker) }
        }
    }

    public func completeReplacement(id: Int64, objects: Int, rowsRead: Int) async throws -> Replacement {
        try locked {
            try db.transaction {
                let r = try replacement(id)
                try ReplacementRules.checkInProgress(r, to: "completed")
                let read = try db.prepare("SELECT segment, generation FROM segment_lineage WHERE pipeline_id = ? AND segment >= ? AND segment < ?")
                let write = try db.prepare("""
                    INSERT INTO segment_lineage(pipeline_id, segment, generation) VALUES(?, ?, ?)
                    ON CONFLICT(pipeline_id, segment) DO UPDATE SET generation = excluded.generation
                    """)
                var active: [String: [Int64: Int64]] = [:]
                var pids: [String: Int64] = [:]
                for name in r.pipelines {
                    let pid = try pipelineIDLocked(name)
                    pids[name] = pid
                    read.bind(1, pid).bind(2, r.segmentFrom).bind(3, r.segmentTo)
                    while try read.step() { active[name, default: [:]][read.int64(0)] = read.int64(1) }
                    read.reset()
                }
                let done = ReplacementRules.completed(r, active: active, objects: objects, rowsRead: rowsRead, now: Date().timeIntervalSince1970)
                for p in done.previous { try write.bind(1, pids[p.pipeline]!).bind(2, p.segment).bind(3, r.generation).run() }
                try db.prepare("""
                    UPDATE replacements SET state = 'completed', finished_at = ?, objects = ?, rows_read = ?, previous = ? WHERE id = ?
                    """).bind(1, done.finishedAt!).bind(2, Int64(objects)).bind(3, Int64(rowsRead)).bind(4, try json(done.previous)).bind(5, id).run()
                return done
            }
        }
    }

    public func failReplacement(id: Int64, message: String) async throws {
        try locked {
            try db.transaction {
                let r = try replacement(id)
                try ReplacementRules.checkInProgress(r, to: "failed")
                try markFailed(id, generation: r.generation, message: message)
            }
        }
    }

    public func revertReplacement(id: Int64) async throws -> Replacement {
        try locked {
            try db.transaction {
                let r = try replacement(id)
                try ReplacementRules.checkRevertible(r, among: try loadReplacements(where: "WHERE state = 'completed'"))
                let write = try db.prepare("""
                    INSERT INTO segment_lineage(pipeline_id, segment, generation) VALUES(?, ?, ?)
                    ON CONFLICT(pipeline_id, segment) DO UPDATE SET generation = excluded.generation
                    """)
                let clear = try db.prepare("DELETE FROM segment_lineage WHERE pipeline_id = ? AND segment = ?")
                for p in r.previous {
                    let pid = try pipelineIDLocked(p.pipeline)
                    if p.generation == 0 {
                        try clear.bind(1, pid).bind(2, p.segment).run()
                    } else {
                        try write.bind(1, pid).bind(2, p.segment).bind(3, p.generation).run()
                    }
                }
                let done = ReplacementRules.reverted(r, now: Date().timeIntervalSince1970)
                try db.prepare("UPDATE replacements SET state = 'reverted', reverted_at = ? WHERE id = ?").bind(1, done.revertedAt!).bind(2, id).run()
                return done
            }
        }
    }

    public func replacements() async throws -> [Replacement] {
        try locked { try loadReplacements() }
    }

    public func setBoundary(pipeline: String, at: Int64?) async throws {
        try locked {
            if let at {
                try db.prepare("""
                    INSERT INTO boundaries(pipeline, boundary, set_at) VALUES(?, ?, ?)
                    ON CONFLICT(pipeline) DO UPDATE SET boundary = excluded.boundary, set_at = excluded.set_at
                    """).bind(1, pipeline).bind(2, at).bind(3, Date().timeIntervalSince1970).run()
            } else {
                try db.prepare("DELETE FROM boundaries WHERE pipeline = ?").bind(1, pipeline).run()
            }
        }
    }

    public func boundaries() async throws -> [String: Int64] {
        try locked {
            let s = try db.prepare("SELECT pipeline, boundary FROM boundaries")
            var out: [String: Int64] = [:]
            while try s.step() { out[s.string(0) ?? ""] = s.int64(1) }
            s.reset()
            return out
        }
    }

    public func collectGarbage(before: Double) async throws -> GarbageCollected {
        try locked {
            registry.load(try storedPipelines())
            let names = registry.names
            return try db.transaction {
                let rules = GarbageRules(replacements: try loadReplacements(), before: before)
                var active: [Int64: [Int64: Int64]] = [:]  // pid → segment → generation
                var activeGenerations = Set<Int64>()
                let lineage = try db.prepare("SELECT pipeline_id, segment, generation FROM segment_lineage")
                while try lineage.step() {
                    active[lineage.int64(0), default: [:]][lineage.int64(1)] = lineage.int64(2)
                    activeGenerations.insert(lineage.int64(2))
                }
                lineage.reset()
                try db.execute("CREATE TEMP TABLE IF NOT EXISTS gc_drop(pipeline_id INTEGER, segment INTEGER, generation INTEGER); DELETE FROM gc_drop;")
                let add = try db.prepare("INSERT INTO gc_drop VALUES(?, ?, ?)")
                var dropped: [SegmentGeneration] = []
                let candidates = try db.prepare("SELECT DISTINCT pipeline_id, segment, generation FROM partial_sets")
                while try candidates.step() {
                    let pid = candidates.int64(0), segment = candidates.int64(1), generation = candidates.int64(2)
                    let stored = SegmentGeneration(pipeline: names[pid] ?? "#\(pid)", segment: segment, generation: generation)
                    guard rules.drops(stored, active: active[pid]?[segment] ?? 0) else { continue }
                    try add.bind(1, pid).bind(2, segment).bind(3, generation).run()
                    dropped.append(stored)
                }
                candidates.reset()
                try db.execute("DELETE FROM partial_sets WHERE (pipeline_id, segment, generation) IN (SELECT pipeline_id, segment, generation FROM gc_drop)")
                let partialRows = db.changes
                try db.execute("DELETE FROM gc_drop")
                let kept = rules.keptLedgerGenerations(active: activeGenerations).sorted().map(String.init).joined(separator: ", ")
                try db.execute("DELETE FROM ledger WHERE generation > 0 AND generation NOT IN (\(kept))")
                let ledgerRows = db.changes
                let mark = try db.prepare("UPDATE replacements SET collected = 1 WHERE id = ?")
                for r in rules.collected(dropped: Set(dropped)) { try mark.bind(1, r.id).run() }
                return GarbageRules.report(dropped: dropped, partialRows: partialRows, ledgerRows: ledgerRows)
            }
        }
    }

    public func ledger(pipelines: [String], generation: Int64) async throws -> [String: [LedgerEntry]] {
        try locked {
            var result: [String: [LedgerEntry]] = [:]
            let s = try db.prepare("""
                SELECT p.name, l.url, l.version, l.run_id, l.rows, l.rejected, l.committed_at
                FROM ledger l JOIN pipelines p ON p.id = l.pipeline_id WHERE p.name = ? AND l.generation = ?
                """)
            for name in pipelines {
                s.bind(1, name).bind(2, generation)
                while try s.step() {
                    let e = ledgerEntry(s)
                    result[e.url, default: []].append(e)
                }
                s.reset()
            }
            return result
        }
    }
}

extension SQLiteStateStore {
    /// Stored partial rows of one generation (diagnostics and tests: a failed replacement leaves none).
    public func partialRowCount(generation: Int64) throws -> Int {
        try locked {
            let s = try db.prepare("SELECT COUNT(*) FROM partial_sets WHERE generation = ?")
            s.bind(1, generation)
            _ = try s.step()
            defer { s.reset() }
            return Int(s.int64(0))
        }
    }
}
