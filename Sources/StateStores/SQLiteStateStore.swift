import Aggregation
import CSQLite
import Foundation

/// The embedded default store: one SQLite file (WAL mode), the system's libsqlite3.
///
/// Layout (schema version in `meta`): `pipelines` (name → monoid), `keys` (interned key strings),
/// `partial_sets` (pipeline, window, key, segment, generation → every bucket's partial in one blob, see
/// `PartialSet`; WITHOUT ROWID), `ledger` (pipeline, object URL, generation → version, counts), `runs`,
/// `failures`, `segment_lineage` (the active generation of each segment; absent = 0). A custom SQL function
/// `bf_combine(pipeline_id, old, new)` merges a new partial set into a stored one inside the upsert.
public final class SQLiteStateStore: StateStore, PartialRowSource, @unchecked Sendable {
    public let path: String
    let db: SQLiteDatabase
    private let lock = NSLock()
    /// The pipelines (also read by `bf_combine` for the monoid of a pipeline id).
    let registry: PipelineRegistry
    /// Key ids by pipeline id, filled as keys are committed (ids never change once committed).
    private var keyIDs: [Int64: [String: Int64]] = [:]

    /// Schema migrations, applied in order; `meta.schema_version` counts those applied.
    static let migrations: [String] = [
        """
        CREATE TABLE pipelines(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, monoid TEXT NOT NULL,
            time_zone TEXT NOT NULL, created_at REAL NOT NULL);
        CREATE TABLE keys(id INTEGER PRIMARY KEY, pipeline_id INTEGER NOT NULL, key TEXT NOT NULL, UNIQUE(pipeline_id, key));
        CREATE TABLE partial_sets(pipeline_id INTEGER NOT NULL, window INTEGER NOT NULL, key_id INTEGER NOT NULL,
            segment INTEGER NOT NULL, generation INTEGER NOT NULL, value BLOB NOT NULL,
            PRIMARY KEY(pipeline_id, window, key_id, segment, generation)) WITHOUT ROWID;
        CREATE TABLE ledger(pipeline_id INTEGER NOT NULL, url TEXT NOT NULL, generation INTEGER NOT NULL,
            version TEXT NOT NULL, run_id INTEGER NOT NULL, rows INTEGER NOT NULL, rejected INTEGER NOT NULL,
            after_boundary INTEGER NOT NULL, seconds REAL NOT NULL, committed_at REAL NOT NULL,
            PRIMARY KEY(pipeline_id, url, generation));
        CREATE TABLE runs(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, config_hash TEXT NOT NULL, started_at REAL NOT NULL,
            finished_at REAL, status TEXT NOT NULL, objects_committed INTEGER NOT NULL DEFAULT 0,
            objects_skipped INTEGER NOT NULL DEFAULT 0, objects_failed INTEGER NOT NULL DEFAULT 0,
            rows_read INTEGER NOT NULL DEFAULT 0, rows_rejected INTEGER NOT NULL DEFAULT 0,
            buckets_written INTEGER NOT NULL DEFAULT 0, message TEXT);
        CREATE TABLE failures(run_id INTEGER NOT NULL, url TEXT NOT NULL, error TEXT NOT NULL, at REAL NOT NULL);
        CREATE TABLE segment_lineage(pipeline_id INTEGER NOT NULL, segment INTEGER NOT NULL, generation INTEGER NOT NULL,
            PRIMARY KEY(pipeline_id, segment)) WITHOUT ROWID;
        """,
        "CREATE TABLE leases(url TEXT PRIMARY KEY, worker TEXT NOT NULL, expires_at REAL NOT NULL);",
        """
        CREATE TABLE replacements(id INTEGER PRIMARY KEY, pipelines TEXT NOT NULL, from_ms INTEGER NOT NULL, to_ms INTEGER NOT NULL,
            segment_from INTEGER NOT NULL, segment_to INTEGER NOT NULL, segment_ms INTEGER NOT NULL, generation INTEGER NOT NULL UNIQUE,
            state TEXT NOT NULL, config_hash TEXT NOT NULL, worker TEXT NOT NULL, started_at REAL NOT NULL, heartbeat_at REAL NOT NULL,
            finished_at REAL, reverted_at REAL, objects INTEGER NOT NULL DEFAULT 0, rows_read INTEGER NOT NULL DEFAULT 0,
            previous TEXT NOT NULL DEFAULT '[]', collected INTEGER NOT NULL DEFAULT 0, message TEXT);
        CREATE TABLE boundaries(pipeline TEXT PRIMARY KEY, boundary INTEGER NOT NULL, set_at REAL NOT NULL);
        """,
        // Store-wide settings, e.g. `max_write_units` (`backfill throttle`).
        "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at REAL NOT NULL);",
    ]

    /// Whether the file was there when this store opened it (`initialize()` says whether it created it).
    private let fileExisted: Bool

    /// Opens the database file at `path`: read-write creates it when missing; read-only opens an existing file with
    /// SQLITE_OPEN_READONLY (a missing one is an error naming it) and writes nothing.
    public init(path: String, access: StoreAccess = .readWrite) throws {
        self.path = path
        fileExisted = FileManager.default.fileExists(atPath: path)
        if access == .readOnly && !fileExisted {
            throw StoreError(.unavailable, "store sqlite:\(path): no such file (a read-only command never creates a store; run, replace or store init does)")
        }
        db = try SQLiteDatabase(path: path, readOnly: access == .readOnly)
        if access == .readWrite { try db.execute("PRAGMA journal_mode=WAL") }
        try db.execute("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF; PRAGMA cache_size=-262144;")
        registry = PipelineRegistry(location: path)
        let box = Unmanaged.passRetained(registry).toOpaque()
        let rc = sqlite3_create_function_v2(db.handle, "bf_combine", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, box,
                                            bfCombine, nil, nil, { p in if let p { Unmanaged<PipelineRegistry>.fromOpaque(p).release() } })
        guard rc == SQLITE_OK else { throw db.error(rc, "register bf_combine") }
    }

    /// Parses `sqlite:PATH` (or a bare path).
    public convenience init(url: String, access: StoreAccess = .readWrite) throws {
        var p = url
        if p.hasPrefix("sqlite://") { p = String(p.dropFirst("sqlite://".count)) } else if p.hasPrefix("sqlite:") { p = String(p.dropFirst("sqlite:".count)) }
        guard !p.isEmpty else { throw StoreError(.invalidURL, "store URL \(url) names no file") }
        try self.init(path: p, access: access)
    }

    /// Nothing to release early: the connection closes when the store is released.
    public func close() async {}

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    public func migrate() async throws {
        try locked {
            try db.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            try db.transaction {
                let read = try db.prepare("SELECT value FROM meta WHERE key = 'schema_version'")
                var version = 0
                if try read.step() { version = Int(read.string(0) ?? "0") ?? 0 }
                read.reset()
                guard version <= Self.migrations.count else {
                    throw StoreError(.unavailable, "\(path) has schema version \(version), newer than this backfill (\(Self.migrations.count)); upgrade backfill")
                }
                for v in version..<Self.migrations.count {
                    try db.execute(Self.migrations[v])
                }
                let write = try db.prepare("INSERT INTO meta(key, value) VALUES('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                try write.bind(1, String(Self.migrations.count)).run()
            }
            registry.load(try storedPipelines())
        }
    }

    /// The pipelines table (call under the lock).
    func storedPipelines() throws -> [PipelineRegistry.Stored] {
        let s = try db.prepare("SELECT id, name, monoid, time_zone FROM pipelines ORDER BY id")
        var out: [PipelineRegistry.Stored] = []
        while try s.step() {
            out.append(.init(name: s.string(1) ?? "", id: s.int64(0), monoid: s.string(2) ?? "", timeZone: s.string(3) ?? "UTC"))
        }
        s.reset()
        return out
    }

    /// The id of a pipeline (loading the table when another process registered it since).
    func pipelineID(_ name: String) async throws -> Int64 {
        try await registry.id(of: name, loading: { try self.locked { try self.storedPipelines() } })
    }

    public func register(_ pipelines: [PipelineDefinition]) async throws {
        try locked {
            try db.transaction {
                let find = try db.prepare("SELECT id, monoid FROM pipelines WHERE name = ?")
                let insert = try db.prepare("INSERT INTO pipelines(name, monoid, time_zone, created_at) VALUES(?, ?, ?, ?)")
                for p in pipelines {
                    find.bind(1, p.name)
                    if try find.step() {
                        let stored = find.string(1) ?? ""
                        let id = find.int64(0)
                        find.reset()
                        try registry.check(p, storedMonoid: stored)
                        registry.record(p.name, id: id, monoid: p.monoid)
                    } else {
                        find.reset()
                        try insert.bind(1, p.name).bind(2, p.monoid.kind.storedText).bind(3, p.timeZone).bind(4, Date().timeIntervalSince1970).run()
                        registry.record(p.name, id: db.lastInsertRowID, monoid: p.monoid)
                    }
                }
            }
        }
    }

    public func ledger(pipelines: [String]) async throws -> [String: [LedgerEntry]] {
        try locked {
            var result: [String: [LedgerEntry]] = [:]
            let s = try db.prepare("""
                SELECT p.name, l.url, l.version, l.run_id, l.rows, l.rejected, l.committed_at, l.generation
                FROM ledger l JOIN pipelines p ON p.id = l.pipeline_id WHERE p.name = ?
                AND (l.generation = 0 OR l.generation IN (SELECT generation FROM replacements WHERE state = 'completed'))
                ORDER BY l.url, l.generation DESC
                """)
            for name in pipelines {
                s.bind(1, name)
                var last: String?
                while try s.step() {
                    let e = ledgerEntry(s)
                    if e.url == last { continue }  // an older generation of the same object
                    last = e.url
                    result[e.url, default: []].append(e)
                }
                s.reset()
            }
            return result
        }
    }

    public func commit(_ batch: CommitBatch) async throws {
        var parts: [(pid: Int64, part: PipelinePartials)] = []
        for part in batch.pipelines { parts.append((try await pipelineID(part.pipeline.name), try CommitNormalizer.normalized(part))) }
        var ledgerPipelines: [String: Int64] = [:]
        for o in batch.objects { for name in o.pipelines { ledgerPipelines[name] = try await pipelineID(name) } }
        // Paced before the transaction (never inside it, where waiting would hold the write lock): one unit per partial.
        if let pacer = batch.pacer { try await pacer.acquire(batch.pipelines.reduce(0) { $0 + $1.count }) }
        try locked {
            var newKeys: [Int64: [String: Int64]] = [:]
            try db.transaction {
                // No RETURNING (it costs an ephemeral table per row): a new key's id is the last rowid; a key another
                // writer added is looked up.
                let keyInsert = try db.prepare("INSERT INTO keys(pipeline_id, key) VALUES(?, ?) ON CONFLICT(pipeline_id, key) DO NOTHING")
                let keyFind = try db.prepare("SELECT id FROM keys WHERE pipeline_id = ? AND key = ?")
                let upsert = try db.prepare("""
                    INSERT INTO partial_sets(pipeline_id, window, key_id, segment, generation, value) VALUES(?, ?, ?, ?, ?, ?)
                    ON CONFLICT(pipeline_id, window, key_id, segment, generation)
                    DO UPDATE SET value = bf_combine(pipeline_id, value, excluded.value)
                    """)
                for (pid, part) in parts {
                    let known = keyIDs[pid] ?? [:]
                    var ids = [Int64](repeating: 0, count: part.keys.count)
                    var fresh: [String: Int64] = [:]
                    for (i, key) in part.keys.enumerated() {
                        if let id = known[key] {
                            ids[i] = id
                            continue
                        }
                        try keyInsert.bind(1, pid).bind(2, key).run()
                        if db.changes == 1 {
                            ids[i] = db.lastInsertRowID
                        } else {
                            keyFind.bind(1, pid).bind(2, key)
                            guard try keyFind.step() else { throw StoreError(.server, "\(path): key '\(key)' neither inserted nor found") }
                            ids[i] = keyFind.int64(0)
                            keyFind.reset()
                        }
                        fresh[key] = ids[i]
                    }
                    newKeys[pid] = fresh
                    var active: [Int64: Int64] = [:]
                    if GenerationRoute.needsLineage(batch.generation) {
                        let lineage = try db.prepare("SELECT segment, generation FROM segment_lineage WHERE pipeline_id = ?")
                        lineage.bind(1, pid)
                        while try lineage.step() { active[lineage.int64(0)] = lineage.int64(1) }
                        lineage.reset()
                    }
                    try writeSets(part, pid: pid, keyIDs: ids, route: GenerationRoute(written: batch.generation, active: active), upsert: upsert)
                }
                let ledger = try db.prepare("""
                    INSERT INTO ledger(pipeline_id, url, generation, version, run_id, rows, rejected, after_boundary, seconds, committed_at)
                    VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                let now = Date().timeIntervalSince1970
                for o in batch.objects {
                    for name in o.pipelines {
                        try ledger.bind(1, ledgerPipelines[name]!).bind(2, o.object.url).bind(3, batch.generation).bind(4, o.object.version)
                            .bind(5, batch.runID).bind(6, Int64(o.rowsRead)).bind(7, Int64(o.rowsRejected))
                            .bind(8, Int64(o.rowsAfterBoundary)).bind(9, o.seconds).bind(10, now).run()
                    }
                }
            }
            for (pid, fresh) in newKeys { keyIDs[pid, default: [:]].merge(fresh) { a, _ in a } }
        }
    }

    /// Upserts the normalized entries of one pipeline as partial sets: one row per (window, key, segment), its
    /// buckets in one blob.
    private func writeSets(_ part: PipelinePartials, pid: Int64, keyIDs ids: [Int64], route: GenerationRoute, upsert: SQLiteStatement) throws {
        let n = part.count
        let monoid = part.pipeline.monoid
        var blob: [UInt8] = []
        blob.reserveCapacity(256)
        var general: [(Int64, PartialValue)] = []
        var start = 0
        while start < n {
            let w = part.window[start], key = part.keyIndex[start], segment = part.segment[start]
            var end = start + 1
            while end < n, part.window[end] == w, part.keyIndex[end] == key, part.segment[end] == segment { end += 1 }
            if let ints = part.intValues {
                PartialSet.beginIntegers(&blob)
                var previous: Int64 = 0
                for i in start..<end { PartialSet.appendInt(bucket: part.bucket[i], value: ints[i], previous: &previous, &blob) }
            } else {
                general.removeAll(keepingCapacity: true)
                for i in start..<end { general.append((part.bucket[i], part.values![i])) }
                PartialSet.encode(general, monoid: monoid, into: &blob)
            }
            upsert.bind(1, pid).bind(2, Int64(w.code)).bind(3, ids[Int(key)]).bind(4, segment).bind(5, route.generation(segment))
                .bind(6, blob: blob)
            try upsert.runKeepingBindings()
            start = end
        }
    }

    // MARK: Leases (several processes on one file share a job)

    public func tryLease(url: String, worker: String, seconds: Double) async throws -> Bool {
        try locked {
            let now = Date().timeIntervalSince1970
            let s = try db.prepare("""
                INSERT INTO leases(url, worker, expires_at) VALUES(?1, ?2, ?3)
                ON CONFLICT(url) DO UPDATE SET worker = excluded.worker, expires_at = excluded.expires_at
                WHERE leases.expires_at < ?4 OR leases.worker = excluded.worker
                RETURNING worker
                """)
            s.bind(1, url).bind(2, worker).bind(3, now + seconds).bind(4, now)
            let taken = try s.step()
            s.reset()
            return taken
        }
    }

    public func renewLeases(urls: [String], worker: String, seconds: Double) async throws {
        try locked {
            let s = try db.prepare("UPDATE leases SET expires_at = ? WHERE worker = ? AND url = ?")
            let until = Date().timeIntervalSince1970 + seconds
            for url in urls { try s.bind(1, until).bind(2, worker).bind(3, url).run() }
        }
    }

    public func releaseLeases(urls: [String], worker: String) async throws {
        try locked {
            let s = try db.prepare("DELETE FROM leases WHERE worker = ? AND url = ?")
            for url in urls { try s.bind(1, worker).bind(2, url).run() }
        }
    }

    public func activeLeases() async throws -> [ObjectLease] {
        try locked {
            let s = try db.prepare("SELECT url, worker, expires_at FROM leases WHERE expires_at >= ? ORDER BY worker, url")
            s.bind(1, Date().timeIntervalSince1970)
            var out: [ObjectLease] = []
            while try s.step() { out.append(ObjectLease(url: s.string(0) ?? "", worker: s.string(1) ?? "", expiresAt: s.double(2))) }
            s.reset()
            return out
        }
    }

    public func committedPipelines(url: String, pipelines: [String]) async throws -> [String] {
        try locked {
            let s = try db.prepare("""
                SELECT DISTINCT p.name FROM ledger l JOIN pipelines p ON p.id = l.pipeline_id WHERE l.url = ? AND l.generation = 0
                """)
            s.bind(1, url)
            var out: [String] = []
            while try s.step() { if let n = s.string(0), pipelines.contains(n) { out.append(n) } }
            s.reset()
            return out
        }
    }

    // MARK: Setting up and the write rate

    private func tablesAndVersion() throws -> (tables: [String], version: Int) {
        var tables: [String] = []
        let s = try db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        while try s.step() { tables.append(s.string(0) ?? "") }
        s.reset()
        var version = 0
        if tables.contains("meta") {
            let v = try db.prepare("SELECT value FROM meta WHERE key = 'schema_version'")
            if try v.step() { version = Int(v.string(0) ?? "0") ?? 0 }
            v.reset()
        }
        return (tables, version)
    }

    public func checkReadable() async throws {
        try locked {
            let (tables, version) = try tablesAndVersion()
            try StoreRegistry.checkSchema(found: tables.contains("meta") ? version : nil, current: Self.migrations.count, store: "sqlite:\(path)")
            registry.load(try storedPipelines())
        }
    }

    public func initialize() async throws -> StoreInitReport {
        let before = try locked { try tablesAndVersion() }
        try await migrate()
        let after = try locked { try tablesAndVersion() }
        var created = after.tables.filter { !before.tables.contains($0) }.map { "table \($0)" }
        if !fileExisted { created.insert("file \(path)", at: 0) }
        return StoreInitReport(kind: "sqlite", target: path, created: created,
                               existing: before.tables.map { "table \($0)" }, schemaVersionBefore: before.version, schemaVersion: after.version)
    }

    public func writeRateLimit() async throws -> WriteRateSetting? {
        try locked {
            let s = try db.prepare("SELECT value, updated_at FROM settings WHERE key = 'max_write_units'")
            defer { s.reset() }
            guard try s.step() else { return nil }
            let text = s.string(0) ?? ""
            guard let rate = Double(text) else { throw StoreError(.corrupt, "\(path): settings.max_write_units is '\(text)', not a number") }
            return WriteRateSetting(unitsPerSecond: try WriteRateSetting.validate(rate, "\(path): settings.max_write_units"), setAt: s.double(1))
        }
    }

    public func setWriteRateLimit(_ unitsPerSecond: Double?) async throws {
        try locked {
            guard let rate = unitsPerSecond else {
                try db.execute("DELETE FROM settings WHERE key = 'max_write_units'")
                return
            }
            let s = try db.prepare("""
                INSERT INTO settings(key, value, updated_at) VALUES('max_write_units', ?, ?)
                ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """)
            try s.bind(1, String(try WriteRateSetting.validate(rate, "write rate"))).bind(2, Date().timeIntervalSince1970).run()
        }
    }

    public func startRun(_ run: RunRecord) async throws -> Int64 {
        try locked {
            let s = try db.prepare("INSERT INTO runs(kind, config_hash, started_at, status) VALUES(?, ?, ?, ?)")
            try s.bind(1, run.kind).bind(2, run.configHash).bind(3, run.startedAt).bind(4, run.status).run()
            return db.lastInsertRowID
        }
    }

    public func finishRun(_ run: RunRecord) async throws {
        try locked {
            let s = try db.prepare("""
                UPDATE runs SET finished_at = ?, status = ?, objects_committed = ?, objects_skipped = ?, objects_failed = ?,
                rows_read = ?, rows_rejected = ?, buckets_written = ?, message = ? WHERE id = ?
                """)
            try s.bind(1, run.finishedAt ?? Date().timeIntervalSince1970).bind(2, run.status).bind(3, Int64(run.objectsCommitted))
                .bind(4, Int64(run.objectsSkipped)).bind(5, Int64(run.objectsFailed)).bind(6, Int64(run.rowsRead))
                .bind(7, Int64(run.rowsRejected)).bind(8, Int64(run.bucketsWritten)).bind(9, run.message).bind(10, run.id).run()
        }
    }

    public func recordFailure(_ failure: ObjectFailure) async throws {
        try locked {
            let s = try db.prepare("INSERT INTO failures(run_id, url, error, at) VALUES(?, ?, ?, ?)")
            try s.bind(1, failure.runID).bind(2, failure.url).bind(3, failure.error).bind(4, failure.at).run()
        }
    }

    public func runs(limit: Int) async throws -> [RunRecord] {
        try locked {
            let s = try db.prepare("""
                SELECT id, kind, config_hash, started_at, finished_at, status, objects_committed, objects_skipped, objects_failed,
                rows_read, rows_rejected, buckets_written, message FROM runs ORDER BY id DESC LIMIT ?
                """)
            s.bind(1, Int64(limit))
            var out: [RunRecord] = []
            while try s.step() {
                out.append(RunRecord(id: s.int64(0), kind: s.string(1) ?? "", configHash: s.string(2) ?? "", startedAt: s.double(3),
                                     finishedAt: s.isNull(4) ? nil : s.double(4), status: s.string(5) ?? "",
                                     objectsCommitted: Int(s.int64(6)), objectsSkipped: Int(s.int64(7)), objectsFailed: Int(s.int64(8)),
                                     rowsRead: Int(s.int64(9)), rowsRejected: Int(s.int64(10)), bucketsWritten: Int(s.int64(11)),
                                     message: s.string(12)))
            }
            s.reset()
            return out
        }
    }

    public func failures(runID: Int64) async throws -> [ObjectFailure] {
        try locked {
            let s = try db.prepare("SELECT run_id, url, error, at FROM failures WHERE run_id = ? ORDER BY at")
            s.bind(1, runID)
            var out: [ObjectFailure] = []
            while try s.step() { out.append(ObjectFailure(runID: s.int64(0), url: s.string(1) ?? "", error: s.string(2) ?? "", at: s.double(3))) }
            s.reset()
            return out
        }
    }

    public func pipelines() async throws -> [PipelineDefinition] {
        try PipelineRegistry.definitions(try locked { try storedPipelines() })
    }

    public func monoid(ofPipeline name: String) async throws -> Monoid {
        try await registry.pipeline(name) { try locked { try storedPipelines() } }.monoid
    }

    /// The partial sets of the selection, each set's buckets given to `rows` one by one.
    public func readPartialRows(_ selection: AggregateSelection, into rows: inout AggregateCombiner) async throws {
        let pid = try await pipelineID(selection.pipeline)
        let monoid = rows.monoid
        try locked {
            var sql = """
                SELECT k.key, p.value FROM partial_sets p JOIN keys k ON k.id = p.key_id
                WHERE p.pipeline_id = ?1 AND p.window = ?2
                AND (p.generation = COALESCE((SELECT l.generation FROM segment_lineage l WHERE l.pipeline_id = p.pipeline_id AND l.segment = p.segment), 0)
                """
            sql += selection.includesLive ? " OR p.generation = \(liveGeneration))" : ")"
            if selection.key != nil { sql += " AND k.key = ?3" }
            if selection.segments != nil { sql += " AND p.segment >= ?4 AND p.segment < ?5" }
            let s = try db.prepare(sql)
            defer { s.reset() }
            s.bind(1, pid).bind(2, Int64(selection.window.code))
            if let key = selection.key { s.bind(3, key) }
            if let segments = selection.segments { s.bind(4, segments.lowerBound).bind(5, segments.upperBound) }
            while try s.step() {
                let name = s.string(0) ?? ""
                for (bucket, v) in try s.withBlob(1, { try PartialSet.decode($0, monoid: monoid) }) { try rows.add(key: name, bucket: bucket, v) }
            }
        }
    }

    /// A ledger row selected as (name, url, version, run_id, rows, rejected, committed_at).
    func ledgerEntry(_ s: SQLiteStatement) -> LedgerEntry {
        LedgerEntry(pipeline: s.string(0) ?? "", url: s.string(1) ?? "", version: s.string(2) ?? "",
                    runID: s.int64(3), rows: Int(s.int64(4)), rejected: Int(s.int64(5)), committedAt: s.double(6))
    }
}

/// `bf_combine(pipeline_id, old, new)`: the pipeline's monoid combine over stored values.
private func bfCombine(_ ctx: OpaquePointer?, _ argc: Int32, _ argv: UnsafeMutablePointer<OpaquePointer?>?) {
    guard let ctx, let argv, argc == 3, let box = sqlite3_user_data(ctx) else { return }
    let registry = Unmanaged<PipelineRegistry>.fromOpaque(box).takeUnretainedValue()
    let id = sqlite3_value_int64(argv[0])
    guard let monoid = registry.monoid(id) else {
        sqlite3_result_error(ctx, "bf_combine: unknown pipeline \(id)", -1)
        return
    }
    func bytes(_ v: OpaquePointer?) -> UnsafeRawBufferPointer {
        let p = sqlite3_value_blob(v)  // before sqlite3_value_bytes, as SQLite documents
        let n = Int(sqlite3_value_bytes(v))
        guard n > 0, let p else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: p, count: n)
    }
    do {
        let old = bytes(argv[1]), new = bytes(argv[2])
        var out: [UInt8] = []
        try PartialSet.merge(old, new, monoid: monoid, into: &out)
        out.withUnsafeBytes { raw in sqlite3_result_blob(ctx, raw.baseAddress, Int32(raw.count), backfill_sqlite_transient()) }
    } catch {
        sqlite3_result_error(ctx, "\(error)", -1)
    }
}
