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
            throw LineageError("replacement \(s.int64(0)) in \(path) has an unknown state '\(s.string(8) ?? "")'")
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
            throw LineageError("no replacement \(id) in \(path)")
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

    public func beginReplacement(_ proposed: Replacement, staleAfter: Double) async throws -> ReplacementStart {
        try locked {
            try db.transaction {
                let now = Date().timeIntervalSince1970
                for r in try loadReplacements(where: "WHERE state = 'in_progress'") where r.overlaps(proposed) {
                    if now - r.heartbeatAt < staleAfter { throw ReplaceConflict(inProgress: r) }
                    if r.sameWork(as: proposed) {
                        try db.prepare("UPDATE replacements SET worker = ?, heartbeat_at = ? WHERE id = ?")
                            .bind(1, proposed.worker).bind(2, now).bind(3, r.id).run()
                        var resumed = r
                        resumed.worker = proposed.worker
                        resumed.heartbeatAt = now
                        return .resumed(resumed)
                    }
                    try markFailed(r.id, generation: r.generation,
                                   message: "abandoned (no heartbeat since \(formatSeconds(r.heartbeatAt))); superseded by a new replace")
                }
                let maxGeneration = try db.prepare("SELECT COALESCE(MAX(generation), 0) FROM replacements")
                _ = try maxGeneration.step()
                var r = proposed
                r.generation = maxGeneration.int64(0) + 1
                maxGeneration.reset()
                r.state = .inProgress
                r.startedAt = now
                r.heartbeatAt = now
                r.finishedAt = nil
                r.revertedAt = nil
                r.previous = []
                r.collected = false
                let insert = try db.prepare("""
                    INSERT INTO replacements(pipelines, from_ms, to_ms, segment_from, segment_to, segment_ms, generation, state,
                    config_hash, worker, started_at, heartbeat_at, objects, rows_read, previous, collected, message)
                    VALUES(?, ?, ?, ?, ?, ?, ?, 'in_progress', ?, ?, ?, ?, 0, 0, '[]', 0, ?)
                    """)
                try insert.bind(1, try json(r.pipelines)).bind(2, r.from).bind(3, r.to).bind(4, r.segmentFrom).bind(5, r.segmentTo)
                    .bind(6, r.segmentMillis).bind(7, r.generation).bind(8, r.configHash).bind(9, r.worker).bind(10, now)
                    .bind(11, now).bind(12, r.message).run()
                r.id = db.lastInsertRowID
                return .started(r)
            }
        }
    }

    public func heartbeatReplacement(id: Int64, worker: String) async throws {
        try locked {
            try db.prepare("UPDATE replacements SET heartbeat_at = ? WHERE id = ? AND state = 'in_progress' AND worker = ?")
                .bind(1, Date().timeIntervalSince1970).bind(2, id).bind(3, worker).run()
            if db.changes == 0 {
                let r = try replacement(id)
                throw LineageError("replacement \(id) is \(r.state.rawValue) on \(r.worker), no longer in progress for \(worker)")
            }
        }
    }

    public func completeReplacement(id: Int64, objects: Int, rowsRead: Int) async throws -> Replacement {
        try locked {
            try db.transaction {
                var r = try replacement(id)
                guard r.state == .inProgress else { throw LineageError("replacement \(id) is \(r.state.rawValue), not in progress") }
                let read = try db.prepare("SELECT generation FROM segment_lineage WHERE pipeline_id = ? AND segment = ?")
                let write = try db.prepare("""
                    INSERT INTO segment_lineage(pipeline_id, segment, generation) VALUES(?, ?, ?)
                    ON CONFLICT(pipeline_id, segment) DO UPDATE SET generation = excluded.generation
                    """)
                var previous: [SegmentGeneration] = []
                for name in r.pipelines {
                    if pipelineIDs[name] == nil { try loadPipelines() }
                    let pid = try pipelineID(name)
                    for segment in r.segments {
                        read.bind(1, pid).bind(2, segment)
                        let old = try read.step() ? read.int64(0) : 0
                        read.reset()
                        previous.append(SegmentGeneration(pipeline: name, segment: segment, generation: old))
                        try write.bind(1, pid).bind(2, segment).bind(3, r.generation).run()
                    }
                }
                let now = Date().timeIntervalSince1970
                try db.prepare("""
                    UPDATE replacements SET state = 'completed', finished_at = ?, objects = ?, rows_read = ?, previous = ? WHERE id = ?
                    """).bind(1, now).bind(2, Int64(objects)).bind(3, Int64(rowsRead)).bind(4, try json(previous)).bind(5, id).run()
                r.state = .completed
                r.finishedAt = now
                r.objects = objects
                r.rowsRead = rowsRead
                r.previous = previous
                return r
            }
        }
    }

    public func failReplacement(id: Int64, message: String) async throws {
        try locked {
            try db.transaction {
                let r = try replacement(id)
                guard r.state == .inProgress else { throw LineageError("replacement \(id) is \(r.state.rawValue), not in progress") }
                try markFailed(id, generation: r.generation, message: message)
            }
        }
    }

    public func revertReplacement(id: Int64) async throws -> Replacement {
        try locked {
            try db.transaction {
                var r = try replacement(id)
                guard r.state == .completed else {
                    throw LineageError("replacement \(id) is \(r.state.rawValue); only a completed replacement can be reverted")
                }
                guard !r.collected else {
                    throw LineageError("replacement \(id) cannot be reverted: gc removed the generation it replaced")
                }
                if let later = try loadReplacements(where: "WHERE id > ? AND state = 'completed'", bind: { $0.bind(1, id) })
                    .last(where: { $0.overlaps(r) }) {
                    throw LineageError("replacement \(later.id) (\(formatMillis(later.from)) to \(formatMillis(later.to))) replaced an overlapping range after \(id); revert \(later.id) first")
                }
                let write = try db.prepare("""
                    INSERT INTO segment_lineage(pipeline_id, segment, generation) VALUES(?, ?, ?)
                    ON CONFLICT(pipeline_id, segment) DO UPDATE SET generation = excluded.generation
                    """)
                let clear = try db.prepare("DELETE FROM segment_lineage WHERE pipeline_id = ? AND segment = ?")
                for p in r.previous {
                    let pid = try pipelineID(p.pipeline)
                    if p.generation == 0 {
                        try clear.bind(1, pid).bind(2, p.segment).run()
                    } else {
                        try write.bind(1, pid).bind(2, p.segment).bind(3, p.generation).run()
                    }
                }
                let now = Date().timeIntervalSince1970
                try db.prepare("UPDATE replacements SET state = 'reverted', reverted_at = ? WHERE id = ?").bind(1, now).bind(2, id).run()
                r.state = .reverted
                r.revertedAt = now
                return r
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

    public func segmentAggregates(pipeline: String, window: WindowKind, segmentFrom: Int64, segmentTo: Int64) async throws -> [AggregateRow] {
        try locked {
            if pipelineIDs[pipeline] == nil { try loadPipelines() }
            guard let pid = pipelineIDs[pipeline], let monoid = monoids.get(pid) else {
                throw LineageError("no pipeline '\(pipeline)' in \(path)")
            }
            let s = try db.prepare("""
                SELECT k.key, p.value FROM partial_sets p JOIN keys k ON k.id = p.key_id
                WHERE p.pipeline_id = ?1 AND p.window = ?2 AND p.segment >= ?3 AND p.segment < ?4
                AND p.generation = COALESCE((SELECT l.generation FROM segment_lineage l WHERE l.pipeline_id = p.pipeline_id AND l.segment = p.segment), 0)
                """)
            s.bind(1, pid).bind(2, Int64(window.code)).bind(3, segmentFrom).bind(4, segmentTo)
            return try combinedAggregates(s, monoid: monoid)
        }
    }

    public func collectGarbage(before: Double) async throws -> GarbageCollected {
        try locked {
            if pipelineIDs.isEmpty { try loadPipelines() }
            return try db.transaction {
                let all = try loadReplacements()
                var names: [Int64: String] = [:]
                for (name, id) in pipelineIDs { names[id] = name }
                // What must stay: active lineage, and everything a recent or running replacement may still switch to.
                var active: [Int64: [Int64: Int64]] = [:]  // pid → segment → generation
                let lineage = try db.prepare("SELECT pipeline_id, segment, generation FROM segment_lineage")
                while try lineage.step() { active[lineage.int64(0), default: [:]][lineage.int64(1)] = lineage.int64(2) }
                lineage.reset()
                var pinned = Set<SegmentGeneration>()
                for r in all where r.state == .inProgress || (r.finishedAt ?? r.startedAt) >= before || (r.revertedAt ?? 0) >= before {
                    for name in r.pipelines { for segment in r.segments { pinned.insert(SegmentGeneration(pipeline: name, segment: segment, generation: r.generation)) } }
                    pinned.formUnion(r.previous)
                }
                var drop: [(Int64, Int64, Int64)] = []
                let candidates = try db.prepare("SELECT DISTINCT pipeline_id, segment, generation FROM partial_sets WHERE generation != ?")
                candidates.bind(1, liveGeneration)
                while try candidates.step() {
                    let pid = candidates.int64(0), segment = candidates.int64(1), generation = candidates.int64(2)
                    if (active[pid]?[segment] ?? 0) == generation { continue }
                    if pinned.contains(SegmentGeneration(pipeline: names[pid] ?? "", segment: segment, generation: generation)) { continue }
                    drop.append((pid, segment, generation))
                }
                candidates.reset()
                var result = GarbageCollected()
                try db.execute("CREATE TEMP TABLE IF NOT EXISTS gc_drop(pipeline_id INTEGER, segment INTEGER, generation INTEGER); DELETE FROM gc_drop;")
                let add = try db.prepare("INSERT INTO gc_drop VALUES(?, ?, ?)")
                for (pid, segment, generation) in drop {
                    try add.bind(1, pid).bind(2, segment).bind(3, generation).run()
                    result.generations.append(SegmentGeneration(pipeline: names[pid] ?? "\(pid)", segment: segment, generation: generation))
                }
                try db.execute("DELETE FROM partial_sets WHERE (pipeline_id, segment, generation) IN (SELECT pipeline_id, segment, generation FROM gc_drop)")
                result.partialRows = db.changes
                try db.execute("DELETE FROM gc_drop")
                let dropped = Set(result.generations)
                // Ledger rows of old replacements that are reverted, failed, or superseded on every segment.
                let remaining = try db.prepare("SELECT 1 FROM partial_sets WHERE generation = ? LIMIT 1")
                let deleteLedger = try db.prepare("DELETE FROM ledger WHERE generation = ?")
                let markCollected = try db.prepare("UPDATE replacements SET collected = 1 WHERE id = ?")
                for r in all where r.state != .inProgress && (r.finishedAt ?? r.startedAt) < before && (r.revertedAt ?? 0) < before {
                    remaining.bind(1, r.generation)
                    let hasPartials = try remaining.step()
                    remaining.reset()
                    // Superseded everywhere, and not kept for a recent replacement's revert (that would make it active again).
                    let superseded = r.state == .completed && r.pipelines.allSatisfy { name in
                        r.segments.allSatisfy { active[pipelineIDs[name] ?? -1]?[$0] != r.generation }
                    } && !pinned.contains { $0.generation == r.generation }
                    if r.state == .reverted || r.state == .failed || superseded {
                        try deleteLedger.bind(1, r.generation).run()
                        result.ledgerRows += db.changes
                    }
                    if !r.collected && (r.previous.contains(where: dropped.contains) || (r.state == .reverted && !hasPartials)) {
                        try markCollected.bind(1, r.id).run()
                    }
                }
                return result
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
