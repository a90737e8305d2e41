import Aggregation
import Foundation
import PostgresNIO
import StateStores
import Testing

// The LineageStore conformance suite: every documented semantic of `LineageStore` (Sources/StateStores/Lineage.swift),
// on every store this machine can test (`StoreKind.available`). Each test gets a store of its own — on PostgreSQL a
// fresh database — because replacements, generations and garbage collection are store-wide.

/// Opens an isolated store of `kind` (PostgreSQL: a database created for the test and dropped after it), migrated.
/// `reopen` opens another store on the same data (a second process); the test shuts those down itself.
func withLineageStore<T>(_ kind: StoreKind, _ body: (any StateStore, _ reopen: @Sendable () async throws -> any StateStore) async throws -> T) async throws -> T {
    switch kind {
    case .sqlite:
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bf-lin-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("s.sqlite").path
        let store = try SQLiteStateStore(path: path)
        try await store.migrate()
        return try await body(store, { try SQLiteStateStore(path: path) })
    case .postgres:
        let db = "bf_lin_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        let url = try await TestPostgres.createDatabase(db)
        let store = try PostgresStateStore(url: url)
        do {
            try await store.migrate()
            let result = try await body(store, { try PostgresStateStore(url: url) })
            await store.close()
            try await TestPostgres.dropDatabase(db)
            return result
        } catch {
            await store.close()
            try? await TestPostgres.dropDatabase(db)
            throw error
        }
    case .dynamodb:
        let (endpoint, configuration) = StoreKind.dynamoDB!
        let table = "bf-lin-\(UUID().uuidString.prefix(12).lowercased())"
        let url = "dynamodb://\(table)?region=us-east-1&endpoint=\(endpoint)"
        let store = try DynamoDBStateStore(url: url, configuration: configuration)
        do {
            try await store.migrate()
            let result = try await body(store, { try DynamoDBStateStore(url: url, configuration: configuration) })
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }
}

/// Shuts down a store opened by `reopen`.
func close(_ store: any StateStore) async { await store.close() }

/// Databases of their own for PostgreSQL tests, in the cluster of `BACKFILL_TEST_POSTGRES_URL`.
enum TestPostgres {
    /// Runs one statement on the test URL's database.
    static func execute(_ sql: String) async throws {
        guard let base = StoreKind.postgresURL, let c = URLComponents(string: base) else { throw LineageError("no PostgreSQL test URL") }
        var database = c.percentEncodedPath.removingPercentEncoding ?? ""
        if database.hasPrefix("/") { database.removeFirst() }
        let config = PostgresConnection.Configuration(
            host: c.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1", port: c.port ?? 5432,
            username: c.percentEncodedUser?.removingPercentEncoding ?? "postgres",
            password: c.percentEncodedPassword?.removingPercentEncoding, database: database.isEmpty ? nil : database, tls: .disable)
        var logger = Logger(label: "backfill.test.postgres")
        logger.logLevel = .critical
        let conn = try await PostgresConnection.connect(configuration: config, id: 1, logger: logger)
        do {
            try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            try await conn.close()
        } catch {
            try? await conn.close()
            throw error
        }
    }

    /// Creates `name` and returns the store URL of it.
    static func createDatabase(_ name: String) async throws -> String {
        try await execute("CREATE DATABASE \(name)")
        var c = URLComponents(string: StoreKind.postgresURL!)!
        c.percentEncodedPath = "/" + name
        return c.string!
    }

    static func dropDatabase(_ name: String) async throws {
        try await execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}

/// A proposed replacement of days [fromDay, toDay) (one-day segments; the asked range may be inside the segments).
func proposal(_ pipelines: [String], _ fromDay: Int64, _ toDay: Int64, hash: String = "cfg-1", worker: String = "host-a:100",
              from: Int64? = nil, to: Int64? = nil) -> Replacement {
    Replacement(pipelines: pipelines, from: from ?? fromDay * day, to: to ?? toDay * day, segmentFrom: fromDay * day, segmentTo: toDay * day,
                segmentMillis: day, configHash: hash, worker: worker, startedAt: Date().timeIntervalSince1970)
}

/// Begins a replacement that must start (not resume, not conflict).
func started(_ store: any StateStore, _ p: Replacement, staleAfter: Double = 3600) async throws -> Replacement {
    let start = try await store.beginReplacement(p, staleAfter: staleAfter)
    guard case .started(let r) = start else {
        Issue.record("expected a new replacement, got \(start)")
        return start.replacement
    }
    return r
}

/// One fact of a sum pipeline: key, day, value. Stored as daily, monthly (all test days are in January 1970) and
/// lifetime partials of the day's segment.
struct Fact: Sendable {
    var key: String
    var day: Int64
    var value: Int64
    init(_ key: String, _ day: Int64, _ value: Int64) {
        self.key = key
        self.day = day
        self.value = value
    }
}

func entries(_ facts: [Fact], windows: [WindowKind] = [.daily, .monthly, .lifetime]) -> [Entry] {
    var out: [Entry] = []
    for f in facts {
        for w in windows {
            let bucket: Int64 = w == .daily ? f.day * day : w == .monthly ? 0 : BucketCalendar.lifetimeBucket
            out.append(Entry(w, f.key, bucket, segment: f.day * day, .int(f.value)))
        }
    }
    return out
}

/// What `query` must return for `facts`, in the suite's row text.
func expected(_ facts: [Fact], _ window: WindowKind) -> [String] {
    var sums: [String: [Int64: Int64]] = [:]
    for f in facts {
        let bucket: Int64 = window == .daily ? f.day * day : window == .monthly ? 0 : BucketCalendar.lifetimeBucket
        sums[f.key, default: [:]][bucket, default: 0] += f.value
    }
    return sums.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.flatMap { k in
        sums[k]!.keys.sorted().map { "\(k)|\($0)|int(\(sums[k]![$0]!))" }
    }
}

func commitFacts(_ store: any StateStore, _ def: PipelineDefinition, _ facts: [Fact], objects: [ObjectRecord], generation: Int64 = 0,
                 runID: Int64 = 1) async throws {
    try await store.commit(CommitBatch(runID: runID, pipelines: [partials(def, entries(facts), intFast: true)], objects: objects, generation: generation))
}

func segmentRows(_ store: any StateStore, _ pipeline: String, _ window: WindowKind, _ fromDay: Int64, _ toDay: Int64) async throws -> [String] {
    try await store.segmentAggregates(pipeline: pipeline, window: window, segmentFrom: fromDay * day, segmentTo: toDay * day)
        .map { "\($0.key)|\($0.bucket)|\($0.value)" }
}

/// Checks every window of `pipeline` against `facts`.
func expectWindows(_ store: any StateStore, _ pipeline: String, _ facts: [Fact], _ note: String,
                   sourceLocation: SourceLocation = #_sourceLocation) async throws {
    for w in [WindowKind.daily, .monthly, .lifetime] {
        #expect(try await rows(store, pipeline, w) == expected(facts, w), "\(note): \(w)", sourceLocation: sourceLocation)
    }
}

func versioned(_ url: String, _ version: String, _ pipelines: [String], rows: Int = 10) -> ObjectRecord {
    ObjectRecord(object: ObjectVersion(url: url, version: version), pipelines: pipelines, rowsRead: rows, rowsRejected: 0, seconds: 0.25)
}

func replacement(_ store: any StateStore, _ id: Int64) async throws -> Replacement {
    try #require(try await store.replacements().first { $0.id == id })
}

/// `LineageError` thrown by `body`, with its message (nil and an issue when something else happened).
func lineageError(_ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async -> String? {
    do {
        try await body()
        Issue.record("\(what): expected a LineageError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let e as LineageError {
        return e.message
    } catch {
        Issue.record("\(what): expected a LineageError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

func names(_ message: String?, _ id: Int64) -> Bool {
    guard let message else { return false }
    // The id as a whole number, not as part of another one.
    let chars = Array(message), digits = Array(String(id))
    var i = 0
    while i + digits.count <= chars.count {
        if Array(chars[i..<(i + digits.count)]) == digits, i == 0 || !chars[i - 1].isNumber,
           i + digits.count == chars.count || !chars[i + digits.count].isNumber {
            return true
        }
        i += 1
    }
    return false
}

@Suite struct LineageConformanceTests {
    static func sum() -> PipelineDefinition { PipelineDefinition(name: unique("lin"), monoid: Monoid(.sum), timeZone: "UTC") }

    // MARK: - Begin

    /// Every start gets a new id and a generation above every generation used before, in progress.
    @Test(arguments: StoreKind.available)
    func beginAssignsIncreasingUniqueGenerations(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let a = Self.sum(), b = Self.sum()
            try await store.register([a, b])
            let r1 = try await started(store, proposal([a.name], 0, 2))
            let r2 = try await started(store, proposal([a.name], 2, 4))
            let r3 = try await started(store, proposal([b.name], 0, 2))
            #expect(r1.generation > 0)
            #expect(r1.generation < r2.generation && r2.generation < r3.generation)
            #expect(Set([r1.id, r2.id, r3.id]).count == 3)
            #expect([r1, r2, r3].allSatisfy { $0.state == .inProgress && !$0.collected && $0.finishedAt == nil })
            _ = try await store.completeReplacement(id: r1.id, objects: 0, rowsRead: 0)
            try await store.failReplacement(id: r2.id, message: "test")
            let r4 = try await started(store, proposal([a.name], 0, 4))
            #expect(r4.generation > r3.generation && !([r1.id, r2.id, r3.id].contains(r4.id)))
            let listed = try await store.replacements()
            #expect(listed.map(\.id) == [r4.id, r3.id, r2.id, r1.id], "newest first")
            #expect(listed.map(\.generation) == [r4.generation, r3.generation, r2.generation, r1.generation])
            #expect(listed.map(\.state) == [.inProgress, .inProgress, .failed, .completed])
        }
    }

    /// Every field of a replacement comes back from `replacements()` as begun, completed and reverted.
    @Test(arguments: StoreKind.available)
    func replacementFieldsRoundTrip(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let a = Self.sum(), b = Self.sum()
            try await store.register([a, b])
            let started0 = Date().timeIntervalSince1970
            let p = proposal([b.name, a.name], 3, 6, hash: "hash-ü", worker: "host-ä:4242", from: 3 * day + 3_600_000, to: 5 * day + 1)
            let r = try await started(store, p)
            #expect(r.pipelines == [b.name, a.name] && r.from == 3 * day + 3_600_000 && r.to == 5 * day + 1)
            #expect(r.segmentFrom == 3 * day && r.segmentTo == 6 * day && r.segmentMillis == day)
            #expect(r.configHash == "hash-ü" && r.worker == "host-ä:4242" && r.startedAt >= started0 - 1)
            #expect(r.heartbeatAt >= started0 - 1 && r.state == .inProgress && r.objects == 0 && r.rowsRead == 0)
            #expect(r.previous.isEmpty && !r.collected && r.message == nil && r.finishedAt == nil && r.revertedAt == nil)
            #expect(try await replacement(store, r.id) == r)

            try await store.heartbeatReplacement(id: r.id, worker: "host-ä:4242")
            let beat = try await replacement(store, r.id)
            #expect(beat.heartbeatAt >= r.heartbeatAt && beat.state == .inProgress)

            let done = try await store.completeReplacement(id: r.id, objects: 12, rowsRead: 3_000_000_000)
            #expect(done.state == .completed && done.objects == 12 && done.rowsRead == 3_000_000_000)
            #expect(try #require(done.finishedAt) >= started0 - 1 && done.revertedAt == nil)
            let expectedPrevious = Set([a.name, b.name].flatMap { n in (3..<6).map { SegmentGeneration(pipeline: n, segment: $0 * day, generation: 0) } })
            #expect(Set(done.previous) == expectedPrevious && done.previous.count == 6)
            var same = done
            same.previous = []
            var stored = try await replacement(store, r.id)
            #expect(Set(stored.previous) == expectedPrevious)
            stored.previous = []
            #expect(stored == same)
            #expect(stored.id == r.id && stored.generation == r.generation && stored.pipelines == r.pipelines && stored.startedAt == r.startedAt)

            let reverted = try await store.revertReplacement(id: r.id)
            #expect(reverted.state == .reverted && reverted.revertedAt != nil && reverted.finishedAt == done.finishedAt)
            let storedReverted = try await replacement(store, r.id)
            #expect(storedReverted.state == .reverted && storedReverted.revertedAt == reverted.revertedAt)
            #expect(Set(storedReverted.previous) == expectedPrevious && storedReverted.objects == 12 && storedReverted.rowsRead == 3_000_000_000)

            let f = try await started(store, proposal([a.name], 10, 11, hash: "other"))
            try await store.failReplacement(id: f.id, message: "source unreadable: ü")
            let failed = try await replacement(store, f.id)
            #expect(failed.state == .failed && failed.message == "source unreadable: ü" && failed.generation == f.generation)
            #expect(failed.configHash == "other" && failed.segmentFrom == 10 * day && failed.segmentTo == 11 * day)
        }
    }

    /// An overlapping in-progress replacement is refused, naming it; other ranges and other pipelines may run.
    @Test(arguments: StoreKind.available)
    func overlappingInProgressIsRefused(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let a = Self.sum(), b = Self.sum()
            try await store.register([a, b])
            let r = try await started(store, proposal([a.name], 0, 3))
            for (what, p) in [("inside", proposal([a.name], 1, 2)), ("overlap at the end", proposal([a.name, b.name], 2, 5, hash: "x")),
                              ("covering", proposal([a.name], 0, 10)), ("same work", proposal([a.name], 0, 3))] {
                do {
                    _ = try await store.beginReplacement(p, staleAfter: 3600)
                    Issue.record("\(what): expected ReplaceConflict")
                } catch let c as ReplaceConflict {
                    #expect(c.inProgress.id == r.id && c.inProgress.generation == r.generation && c.inProgress.worker == r.worker, "\(what)")
                    #expect(c.description.contains("replacement \(r.id) "), "\(what)")
                }
            }
            // Adjacent range of the same pipeline, and the same range of another pipeline: allowed.
            let adjacent = try await started(store, proposal([a.name], 3, 5))
            let other = try await started(store, proposal([b.name], 0, 3))
            #expect(adjacent.id != r.id && other.id != r.id)
            // The refusals changed nothing.
            let listed = try await store.replacements()
            #expect(listed.count == 3 && listed.allSatisfy { $0.state == .inProgress })
            // Once it is completed, an overlapping one may start.
            _ = try await store.completeReplacement(id: r.id, objects: 0, rowsRead: 0)
            _ = try await started(store, proposal([a.name], 1, 2))
        }
    }

    /// A stale in-progress replacement of the same work is resumed: same id and generation, its committed objects kept.
    @Test(arguments: StoreKind.available)
    func staleSameWorkIsResumed(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let a = Self.sum(), b = Self.sum()
            try await store.register([a, b])
            let original: [Fact] = [Fact("k", 0, 1), Fact("k", 1, 2)]
            try await commitFacts(store, a, original, objects: [versioned("s3://x/o1", "v1", [a.name])])
            let r = try await started(store, proposal([a.name, b.name], 0, 2, worker: "host-a:1"))
            try await commitFacts(store, a, [Fact("k", 0, 10)], objects: [versioned("s3://x/o1", "v2", [a.name])], generation: r.generation, runID: 7)
            // Not stale yet for a long staleAfter: refused.
            await #expect(throws: ReplaceConflict.self) {
                _ = try await store.beginReplacement(proposal([b.name, a.name], 0, 2, worker: "host-b:2"), staleAfter: 3600)
            }
            let start = try await store.beginReplacement(proposal([b.name, a.name], 0, 2, worker: "host-b:2"), staleAfter: 0)
            guard case .resumed(let resumed) = start else {
                Issue.record("expected resumed, got \(start)")
                return
            }
            #expect(resumed.id == r.id && resumed.generation == r.generation && resumed.state == .inProgress)
            #expect(resumed.worker == "host-b:2" && resumed.heartbeatAt >= r.heartbeatAt)
            let stored = try await replacement(store, r.id)
            #expect(stored.worker == "host-b:2" && stored.state == .inProgress)
            #expect(try await store.replacements().count == 1)
            // The heartbeat is the new worker's now.
            await #expect(throws: (any Error).self) { try await store.heartbeatReplacement(id: r.id, worker: "host-a:1") }
            try await store.heartbeatReplacement(id: r.id, worker: "host-b:2")
            // Its gen-G objects are kept.
            let gLedger = try await store.ledger(pipelines: [a.name], generation: r.generation)
            #expect(gLedger["s3://x/o1"]?.map(\.version) == ["v2"] && gLedger["s3://x/o1"]?.first?.runID == 7)
            try await commitFacts(store, a, [Fact("k", 1, 20)], objects: [versioned("s3://x/o2", "v1", [a.name])], generation: r.generation, runID: 7)
            _ = try await store.completeReplacement(id: r.id, objects: 2, rowsRead: 2)
            try await expectWindows(store, a.name, [Fact("k", 0, 10), Fact("k", 1, 20)], "after the resumed replacement")
        }
    }

    /// A stale in-progress replacement of other work is failed (its generation deleted) and the new one starts.
    @Test(arguments: StoreKind.available)
    func staleOtherWorkIsFailed(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let a = Self.sum()
            try await store.register([a])
            let original: [Fact] = [Fact("k", 0, 1), Fact("k", 1, 2), Fact("k", 2, 3)]
            try await commitFacts(store, a, original, objects: [versioned("o0", "v1", [a.name])])
            let old = try await started(store, proposal([a.name], 0, 2, hash: "old-config"))
            try await commitFacts(store, a, [Fact("k", 0, 100), Fact("j", 1, 100)], objects: [versioned("o1", "v1", [a.name])], generation: old.generation)
            #expect(try await store.ledger(pipelines: [a.name], generation: old.generation).keys.sorted() == ["o1"])
            let start = try await store.beginReplacement(proposal([a.name], 1, 3, hash: "new-config"), staleAfter: 0)
            guard case .started(let fresh) = start else {
                Issue.record("expected a new replacement, got \(start)")
                return
            }
            #expect(fresh.id != old.id && fresh.generation > old.generation)
            let failed = try await replacement(store, old.id)
            #expect(failed.state == .failed && failed.message != nil && !(failed.message ?? "").isEmpty)
            #expect(try await store.ledger(pipelines: [a.name], generation: old.generation).isEmpty)
            // Its partials are gone: nothing of its generation is left for gc; the visible data never changed.
            let gc = try await store.collectGarbage(before: Date().timeIntervalSince1970 + 3600)
            #expect(!gc.generations.contains { $0.generation == old.generation }, "\(gc)")
            try await expectWindows(store, a.name, original, "after the failed replacement")
            // It cannot be completed, reverted or failed again.
            await #expect(throws: (any Error).self) { _ = try await store.completeReplacement(id: old.id, objects: 0, rowsRead: 0) }
            _ = await lineageError("revert of a failed replacement") { _ = try await store.revertReplacement(id: old.id) }
            _ = try await store.completeReplacement(id: fresh.id, objects: 0, rowsRead: 0)
            // The new replacement wrote nothing: days 1 and 2 are now empty, day 0 untouched.
            try await expectWindows(store, a.name, [Fact("k", 0, 1)], "after the empty replacement")
        }
    }

    /// Concurrent begins of overlapping ranges: exactly one starts, the others are refused naming it.
    @Test(arguments: StoreKind.available)
    func beginIsRaceFree(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, reopen in
            let a = Self.sum()
            try await store.register([a])
            let n = 6
            var stores: [any StateStore] = [store]
            for _ in 1..<3 { stores.append(try await reopen()) }
            let proposals = (0..<n).map { i in proposal([a.name], Int64(i % 3), Int64(i % 3) + 3, hash: "cfg-\(i)", worker: "w\(i)") }
            var outcomes: [Result<Replacement, any Error>] = []
            if kind == .dynamodb {
                // moto restores a table copy when a transaction is cancelled: not safe for concurrent transactions.
                for (i, p) in proposals.enumerated() {
                    do { outcomes.append(.success(try await stores[i % stores.count].beginReplacement(p, staleAfter: 3600).replacement)) }
                    catch { outcomes.append(.failure(error)) }
                }
            } else {
                outcomes = await withTaskGroup(of: Result<Replacement, any Error>.self) { group in
                    for (i, p) in proposals.enumerated() {
                        let s = stores[i % stores.count]
                        group.addTask {
                            do { return .success(try await s.beginReplacement(p, staleAfter: 3600).replacement) }
                            catch { return .failure(error) }
                        }
                    }
                    var all: [Result<Replacement, any Error>] = []
                    for await r in group { all.append(r) }
                    return all
                }
            }
            let winners = outcomes.compactMap { try? $0.get() }
            #expect(winners.count == 1, "\(outcomes)")
            for case .failure(let e) in outcomes {
                let conflict = e as? ReplaceConflict
                #expect(conflict != nil, "\(e)")
                #expect(conflict?.inProgress.id == winners.first?.id)
            }
            let listed = try await store.replacements()
            #expect(listed.count == 1 && listed.first?.id == winners.first?.id && listed.first?.state == .inProgress)
            for s in stores.dropFirst() { await close(s) }
        }
    }

    // MARK: - Complete

    /// Partials of generation G are invisible until the switch, then replace exactly their (pipeline, segment)s.
    @Test(arguments: StoreKind.available)
    func completedReplacementReplacesExactlyItsSegments(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let a = Self.sum(), b = Self.sum()
            try await store.register([a, b])
            let original = (0..<5).flatMap { d in [Fact("a", Int64(d), 10 * Int64(d) + 1), Fact("b", Int64(d), 10 * Int64(d) + 2)] }
            try await commitFacts(store, a, original, objects: [versioned("o1", "v1", [a.name])])
            try await commitFacts(store, b, original, objects: [versioned("o1", "v1", [b.name])])
            // Another replacement, of another pipeline, in progress the whole time: never visible.
            let unrelated = try await started(store, proposal([b.name], 0, 5, hash: "b"))
            try await commitFacts(store, b, [Fact("zz", 0, 99)], objects: [versioned("o1", "v9", [b.name])], generation: unrelated.generation)

            let r = try await started(store, proposal([a.name], 1, 3))
            // Corrected data: "b" is gone from day 1, "c" is new, "a" changed.
            let corrected = [Fact("a", 1, 500), Fact("a", 2, 600), Fact("b", 2, 700), Fact("c", 1, 7)]
            try await commitFacts(store, a, corrected, objects: [versioned("o1", "v2", [a.name])], generation: r.generation, runID: 2)
            try await expectWindows(store, a.name, original, "before the switch")
            #expect(try await segmentRows(store, a.name, .daily, 0, 5) == expected(original, .daily))

            let done = try await store.completeReplacement(id: r.id, objects: 1, rowsRead: 4)
            #expect(done.state == .completed && done.generation == r.generation)
            #expect(Set(done.previous) == [SegmentGeneration(pipeline: a.name, segment: day, generation: 0),
                                           SegmentGeneration(pipeline: a.name, segment: 2 * day, generation: 0)])
            let now = original.filter { $0.day != 1 && $0.day != 2 } + corrected
            try await expectWindows(store, a.name, now, "after the switch")
            #expect(try await rows(store, a.name, .daily, from: day, to: 3 * day) == expected(corrected, .daily))
            #expect(try await rows(store, a.name, .lifetime, key: "b") == expected(now.filter { $0.key == "b" }, .lifetime))
            #expect(try await segmentRows(store, a.name, .monthly, 0, 5) == expected(now, .monthly))
            #expect(try await segmentRows(store, a.name, .monthly, 1, 3) == expected(corrected, .monthly))
            #expect(try await segmentRows(store, a.name, .daily, 2, 4) == expected(now.filter { $0.day == 2 || $0.day == 3 }, .daily))
            // The other pipeline is untouched.
            try await expectWindows(store, b.name, original, "the other pipeline")
        }
    }

    /// More (pipeline, segment) pairs than one DynamoDB transaction holds switch together.
    @Test(arguments: StoreKind.available)
    func largeReplacementSwitchesEverySegment(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let pipelines = (0..<3).map { _ in Self.sum() }
            try await store.register(pipelines)
            let days: Int64 = 45  // 3 × 45 = 135 pairs
            let original = (0..<days).map { Fact("k", $0, 1) }
            let corrected = (0..<days).map { Fact("k", $0, 2) }
            for p in pipelines { try await commitFacts(store, p, original, objects: [versioned("o", "v1", [p.name])]) }
            let r = try await started(store, proposal(pipelines.map(\.name), 0, days))
            for p in pipelines {
                try await commitFacts(store, p, corrected, objects: [versioned("o", "v2", [p.name])], generation: r.generation)
            }
            for p in pipelines { #expect(try await rows(store, p.name, .lifetime) == ["k|\(BucketCalendar.lifetimeBucket)|int(\(days))"]) }
            let done = try await store.completeReplacement(id: r.id, objects: 1, rowsRead: 1)
            #expect(done.previous.count == Int(days) * 3 && done.previous.allSatisfy { $0.generation == 0 })
            for p in pipelines {
                try await expectWindows(store, p.name, corrected, "after the switch")
                #expect(try await store.ledger(pipelines: [p.name])["o"]?.map(\.version) == ["v2"])
            }
            _ = try await store.revertReplacement(id: r.id)
            for p in pipelines { try await expectWindows(store, p.name, original, "after the revert") }
        }
    }

    /// An ordinary run (generation 0) committing into a replaced segment writes into the active generation.
    @Test(arguments: StoreKind.available)
    func ordinaryCommitIntoReplacedSegmentStaysVisible(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let a = Self.sum()
            try await store.register([a])
            let original = (0..<4).map { Fact("k", $0, 1) }
            try await commitFacts(store, a, original, objects: [versioned("o1", "v1", [a.name])])
            let r = try await started(store, proposal([a.name], 1, 3))
            let corrected = [Fact("k", 1, 10), Fact("k", 2, 20)]
            try await commitFacts(store, a, corrected, objects: [versioned("o1", "v2", [a.name])], generation: r.generation)
            _ = try await store.completeReplacement(id: r.id, objects: 1, rowsRead: 2)
            // New object: lands in day 1 (replaced) and day 3 (not replaced).
            let late = [Fact("k", 1, 1000), Fact("new", 3, 5)]
            try await commitFacts(store, a, late, objects: [versioned("o2", "v1", [a.name])], runID: 3)
            try await expectWindows(store, a.name, [original[0], original[3]] + corrected + late, "after the late commit")
            let ledger = try await store.ledger(pipelines: [a.name])
            #expect(ledger["o2"]?.map(\.runID) == [3])
            #expect(try await store.ledger(pipelines: [a.name], generation: 0)["o2"]?.map(\.runID) == [3], "ledger row at generation 0")
            // Day 1's late partial went into the replacement's generation: a revert takes it along.
            _ = try await store.revertReplacement(id: r.id)
            try await expectWindows(store, a.name, original + [Fact("new", 3, 5)], "after the revert")
        }
    }

    // MARK: - Revert

    /// Revert switches back in one step, and only a completed, latest, uncollected replacement can be reverted.
    @Test(arguments: StoreKind.available)
    func revertRulesAndSwitchBack(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let a = Self.sum(), b = Self.sum()
            try await store.register([a, b])
            let original = (0..<5).map { Fact("k", $0, 1) }
            try await commitFacts(store, a, original, objects: [versioned("o", "v1", [a.name])])
            let r1 = try await started(store, proposal([a.name], 0, 3))
            let v1 = [Fact("k", 0, 10), Fact("k", 1, 10), Fact("k", 2, 10)]
            try await commitFacts(store, a, v1, objects: [versioned("o", "v2", [a.name])], generation: r1.generation)
            _ = await lineageError("revert in progress") { _ = try await store.revertReplacement(id: r1.id) }
            _ = try await store.completeReplacement(id: r1.id, objects: 1, rowsRead: 3)
            let r2 = try await started(store, proposal([a.name], 2, 4))
            let v2 = [Fact("k", 2, 100), Fact("k", 3, 100)]
            try await commitFacts(store, a, v2, objects: [versioned("o", "v3", [a.name])], generation: r2.generation)
            let d2 = try await store.completeReplacement(id: r2.id, objects: 1, rowsRead: 2)
            #expect(Set(d2.previous) == [SegmentGeneration(pipeline: a.name, segment: 2 * day, generation: r1.generation),
                                         SegmentGeneration(pipeline: a.name, segment: 3 * day, generation: 0)])
            // A later replacement elsewhere does not block.
            let elsewhere = try await started(store, proposal([b.name], 0, 5))
            _ = try await store.completeReplacement(id: elsewhere.id, objects: 0, rowsRead: 0)
            let afterBoth = [original[4], v1[0], v1[1]] + v2
            try await expectWindows(store, a.name, afterBoth, "after both")

            let message = await lineageError("revert of a non-latest replacement") { _ = try await store.revertReplacement(id: r1.id) }
            #expect(names(message, r2.id), "\(message ?? "")")
            try await expectWindows(store, a.name, afterBoth, "refused revert changed nothing")
            #expect(try await replacement(store, r1.id).state == .completed)

            let back = try await store.revertReplacement(id: r2.id)
            #expect(back.state == .reverted && back.revertedAt != nil)
            try await expectWindows(store, a.name, [original[3], original[4]] + v1, "after reverting the later one")
            _ = await lineageError("revert of a reverted replacement") { _ = try await store.revertReplacement(id: r2.id) }
            _ = try await store.revertReplacement(id: r1.id)
            try await expectWindows(store, a.name, original, "after reverting both")
            #expect(try await store.ledger(pipelines: [a.name])["o"]?.map(\.version) == ["v1"])

            let f = try await started(store, proposal([a.name], 0, 1))
            try await store.failReplacement(id: f.id, message: "x")
            _ = await lineageError("revert of a failed replacement") { _ = try await store.revertReplacement(id: f.id) }
            _ = await lineageError("revert of an unknown replacement") { _ = try await store.revertReplacement(id: 987_654) }
        }
    }

    // MARK: - Ledger

    /// `ledger(pipelines:)`: per (pipeline, url) the highest generation among 0 and completed replacements.
    @Test(arguments: StoreKind.available)
    func ledgerFollowsCompletedReplacements(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let a = Self.sum(), b = Self.sum()
            try await store.register([a, b])
            try await store.commit(CommitBatch(runID: 1, pipelines: [partials(a, entries([Fact("k", 0, 1)]), intFast: true),
                                                                     partials(b, entries([Fact("k", 0, 1)]), intFast: true)],
                                               objects: [versioned("o1", "v1", [a.name, b.name]), versioned("o2", "v1", [a.name])]))
            let r = try await started(store, proposal([a.name], 0, 1))
            try await commitFacts(store, a, [Fact("k", 0, 2)], objects: [versioned("o1", "v2", [a.name]), versioned("o3", "v1", [a.name])],
                                  generation: r.generation, runID: 2)
            func versions(_ l: [String: [LedgerEntry]]) -> [String] {
                l.flatMap { url, es in es.map { "\($0.pipeline == a.name ? "a" : "b"):\(url):\($0.version):\($0.runID)" } }.sorted()
            }
            let got1 = versions(try await store.ledger(pipelines: [a.name, b.name]))
            #expect(got1 == ["a:o1:v1:1", "a:o2:v1:1", "b:o1:v1:1"], "in progress: \(got1)")
            #expect(versions(try await store.ledger(pipelines: [a.name], generation: r.generation)) == ["a:o1:v2:2", "a:o3:v1:2"])
            _ = try await store.completeReplacement(id: r.id, objects: 2, rowsRead: 2)
            let got2 = versions(try await store.ledger(pipelines: [a.name, b.name]))
            #expect(got2 == ["a:o1:v2:2", "a:o2:v1:1", "a:o3:v1:2", "b:o1:v1:1"], "completed: \(got2)")
            #expect(versions(try await store.ledger(pipelines: [a.name], generation: 0)) == ["a:o1:v1:1", "a:o2:v1:1"])
            #expect(versions(try await store.ledger(pipelines: [b.name], generation: r.generation)).isEmpty)
            let entry = try #require(try await store.ledger(pipelines: [a.name])["o3"]?.first)
            #expect(entry.pipeline == a.name && entry.rows == 10 && entry.rejected == 0 && entry.committedAt > 0)
            _ = try await store.revertReplacement(id: r.id)
            let got3 = versions(try await store.ledger(pipelines: [a.name, b.name]))
            #expect(got3 == ["a:o1:v1:1", "a:o2:v1:1", "b:o1:v1:1"], "reverted: \(got3)")
            #expect(versions(try await store.ledger(pipelines: [a.name], generation: r.generation)) == ["a:o1:v2:2", "a:o3:v1:2"])
        }
    }

    // MARK: - Live side and boundaries

    /// Live-generation partials are always combined by `query`, never part of `segmentAggregates` or the ledger.
    @Test(arguments: StoreKind.available)
    func liveGenerationIsAlwaysReadButNotVerified(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let a = Self.sum()
            try await store.register([a])
            let backfilled = [Fact("k", 0, 1), Fact("k", 1, 2)]
            let live = [Fact("k", 1, 30), Fact("k", 2, 40)]
            try await commitFacts(store, a, backfilled, objects: [versioned("o", "v1", [a.name])])
            try await commitFacts(store, a, live, objects: [versioned("live://stream/1", "1", [a.name])], generation: liveGeneration, runID: 9)
            try await expectWindows(store, a.name, backfilled + live, "live combined")
            #expect(try await segmentRows(store, a.name, .daily, 0, 3) == expected(backfilled, .daily))
            #expect(try await segmentRows(store, a.name, .lifetime, 0, 3) == expected(backfilled, .lifetime))
            #expect(try await segmentRows(store, a.name, .daily, 2, 3).isEmpty)
            #expect(try await store.ledger(pipelines: [a.name]).keys.sorted() == ["o"])
            #expect(try await store.ledger(pipelines: [a.name], generation: liveGeneration).keys.sorted() == ["live://stream/1"])
            // A replacement of day 1 replaces the backfilled side only.
            let r = try await started(store, proposal([a.name], 1, 2))
            try await commitFacts(store, a, [Fact("k", 1, 500)], objects: [versioned("o", "v2", [a.name])], generation: r.generation)
            _ = try await store.completeReplacement(id: r.id, objects: 1, rowsRead: 1)
            try await expectWindows(store, a.name, [Fact("k", 0, 1), Fact("k", 1, 500)] + live, "live combined after a replace")
            #expect(try await segmentRows(store, a.name, .daily, 0, 3) == expected([Fact("k", 0, 1), Fact("k", 1, 500)], .daily))
        }
    }

    @Test(arguments: StoreKind.available)
    func boundariesRoundTripAndClear(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let a = Self.sum(), b = Self.sum()
            try await store.register([a, b])
            #expect(try await store.boundaries().isEmpty)
            try await store.setBoundary(pipeline: a.name, at: 1_700_000_000_123)
            try await store.setBoundary(pipeline: b.name, at: -5)
            #expect(try await store.boundaries() == [a.name: 1_700_000_000_123, b.name: -5])
            try await store.setBoundary(pipeline: a.name, at: 1_800_000_000_000)
            try await store.setBoundary(pipeline: b.name, at: nil)
            #expect(try await store.boundaries() == [a.name: 1_800_000_000_000])
            try await store.setBoundary(pipeline: b.name, at: nil)
            try await store.setBoundary(pipeline: a.name, at: nil)
            #expect(try await store.boundaries().isEmpty)
            // Keyed by name: settable before the pipeline is registered.
            let later = unique("not_yet_registered")
            try await store.setBoundary(pipeline: later, at: 42)
            #expect(try await store.boundaries() == [later: 42])
            try await store.register([PipelineDefinition(name: later, monoid: Monoid(.sum), timeZone: "UTC")])
            #expect(try await store.boundaries() == [later: 42])
        }
    }

    // MARK: - Verify reads

    /// `segmentAggregates`: only the segments asked for, their active generations, combined, keys in UTF-8 byte order.
    @Test(arguments: StoreKind.available)
    func segmentAggregatesCombineActiveSegments(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let a = Self.sum()
            try await store.register([a])
            let keys = ["b", "a", "é", "Z", "日本", "😀", "a b"]
            let facts = keys.enumerated().flatMap { i, k in (0..<4).map { Fact(k, $0, Int64(i + 1) * ($0 + 1)) } }
            try await commitFacts(store, a, facts, objects: [versioned("o", "v1", [a.name])])
            #expect(try await segmentRows(store, a.name, .daily, 1, 3) == expected(facts.filter { (1..<3).contains($0.day) }, .daily))
            #expect(try await segmentRows(store, a.name, .monthly, 1, 4) == expected(facts.filter { $0.day >= 1 }, .monthly))
            #expect(try await segmentRows(store, a.name, .lifetime, 0, 4) == expected(facts, .lifetime))
            #expect(try await segmentRows(store, a.name, .daily, 4, 9).isEmpty)
            let got = try await store.segmentAggregates(pipeline: a.name, window: .daily, segmentFrom: 0, segmentTo: day).map(\.key)
            #expect(got == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            let r = try await started(store, proposal([a.name], 2, 3))
            try await commitFacts(store, a, [Fact("a", 2, 1000)], objects: [versioned("o", "v2", [a.name])], generation: r.generation)
            #expect(try await segmentRows(store, a.name, .monthly, 2, 3) == expected(facts.filter { $0.day == 2 }, .monthly), "in progress: old")
            _ = try await store.completeReplacement(id: r.id, objects: 1, rowsRead: 1)
            #expect(try await segmentRows(store, a.name, .monthly, 2, 3) == ["a|0|int(1000)"], "completed: new")
            #expect(try await segmentRows(store, a.name, .lifetime, 0, 4)
                    == expected(facts.filter { $0.day != 2 } + [Fact("a", 2, 1000)], .lifetime))
        }
    }

    // MARK: - Fail and garbage collection

    @Test(arguments: StoreKind.available)
    func failReplacementDeletesItsGeneration(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let a = Self.sum()
            try await store.register([a])
            let original = [Fact("k", 0, 1)]
            try await commitFacts(store, a, original, objects: [versioned("o", "v1", [a.name])])
            let r = try await started(store, proposal([a.name], 0, 1))
            try await commitFacts(store, a, [Fact("k", 0, 50), Fact("x", 0, 5)], objects: [versioned("o", "v2", [a.name])], generation: r.generation)
            try await store.failReplacement(id: r.id, message: "bad input")
            let failed = try await replacement(store, r.id)
            #expect(failed.state == .failed && failed.message == "bad input")
            #expect(try await store.ledger(pipelines: [a.name], generation: r.generation).isEmpty)
            let gc = try await store.collectGarbage(before: Date().timeIntervalSince1970 + 3600)
            #expect(!gc.generations.contains { $0.generation == r.generation }, "its partials were already deleted: \(gc)")
            await #expect(throws: (any Error).self) { try await store.heartbeatReplacement(id: r.id, worker: r.worker) }
            await #expect(throws: (any Error).self) { _ = try await store.completeReplacement(id: r.id, objects: 0, rowsRead: 0) }
            try await expectWindows(store, a.name, original, "after the failure")
            // Nothing is in progress any more: an overlapping replacement starts at once.
            _ = try await started(store, proposal([a.name], 0, 1))
        }
    }

    /// gc drops what no reader, revert or running replacement can need, and nothing else.
    @Test(arguments: StoreKind.available)
    func collectGarbageKeepsWhatIsReferenced(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let a = Self.sum()
            try await store.register([a])
            // Two keys in three windows: 6 stored partial rows per (segment, generation) in every store.
            let original = (0..<8).flatMap { [Fact("k", $0, 1), Fact("j", $0, 2)] }
            try await commitFacts(store, a, original, objects: [versioned("o", "v1", [a.name])])
            let live = [Fact("k", 0, 1000)]
            try await commitFacts(store, a, live, objects: [versioned("live", "1", [a.name])], generation: liveGeneration)
            func replace(_ from: Int64, _ to: Int64, _ value: Int64) async throws -> Replacement {
                let r = try await started(store, proposal([a.name], from, to, hash: "v\(value)"))
                let facts = (from..<to).flatMap { [Fact("k", $0, value), Fact("j", $0, value)] }
                try await commitFacts(store, a, facts, objects: [versioned("o", "v\(value)", [a.name])], generation: r.generation)
                return r
            }
            // Old: r1 completed on days 0-1 (gen 0 there is garbage); r5 completed and reverted on day 6 (its generation
            // and its ledger are garbage).
            let r1 = try await replace(0, 2, 10)
            _ = try await store.completeReplacement(id: r1.id, objects: 1, rowsRead: 4)
            let r5 = try await replace(6, 7, 50)
            _ = try await store.completeReplacement(id: r5.id, objects: 1, rowsRead: 2)
            _ = try await store.revertReplacement(id: r5.id)
            try await Task.sleep(nanoseconds: 20_000_000)  // distinct timestamps on either side of the cutoff
            let cutoff = Date().timeIntervalSince1970
            try await Task.sleep(nanoseconds: 20_000_000)
            // Recent: r2 completed on days 4-5 (gen 0 there stays for its revert); r3 in progress on days 2-3.
            let r2 = try await replace(4, 6, 20)
            _ = try await store.completeReplacement(id: r2.id, objects: 1, rowsRead: 4)
            let r3 = try await replace(2, 4, 30)

            let visible = original.filter { ![0, 1, 4, 5].contains($0.day) }
                + (0..<2).flatMap { [Fact("k", $0, 10), Fact("j", $0, 10)] } + (4..<6).flatMap { [Fact("k", $0, 20), Fact("j", $0, 20)] }
            try await expectWindows(store, a.name, visible + live, "before gc")
            let verified = try await segmentRows(store, a.name, .monthly, 0, 8)
            #expect(verified == expected(visible, .monthly))

            // Nothing finished before 0: nothing to drop.
            let none = try await store.collectGarbage(before: 0)
            #expect(none == GarbageCollected(), "\(none)")

            let gc = try await store.collectGarbage(before: cutoff)
            let dropped = Set(gc.generations)
            #expect(dropped == [SegmentGeneration(pipeline: a.name, segment: 0, generation: 0),
                                SegmentGeneration(pipeline: a.name, segment: day, generation: 0),
                                SegmentGeneration(pipeline: a.name, segment: 6 * day, generation: r5.generation)], "\(gc)")
            #expect(gc.generations.count == 3)
            #expect(gc.partialRows == 3 * 6, "\(gc)")
            #expect(gc.ledgerRows == 1, "r5's ledger row: \(gc)")
            #expect(try await store.ledger(pipelines: [a.name], generation: r5.generation).isEmpty)
            #expect(try await store.ledger(pipelines: [a.name], generation: r1.generation).keys.sorted() == ["o"], "a completed replacement's ledger stays")
            #expect(try await store.ledger(pipelines: [a.name], generation: 0).keys.sorted() == ["o"])

            // Readers see exactly what they saw.
            try await expectWindows(store, a.name, visible + live, "after gc")
            #expect(try await segmentRows(store, a.name, .monthly, 0, 8) == verified)
            let listed = Dictionary(uniqueKeysWithValues: try await store.replacements().map { ($0.id, $0) })
            #expect(listed[r1.id]?.collected == true && listed[r2.id]?.collected == false && listed[r3.id]?.collected == false)
            #expect(listed[r1.id]?.state == .completed && listed[r5.id]?.state == .reverted)

            // r1 cannot be reverted any more; r2 can, onto the generation gc kept; r3 completes with its partials.
            _ = await lineageError("revert of a collected replacement") { _ = try await store.revertReplacement(id: r1.id) }
            _ = try await store.completeReplacement(id: r3.id, objects: 1, rowsRead: 4)
            _ = try await store.revertReplacement(id: r2.id)
            let final = original.filter { ![0, 1, 2, 3].contains($0.day) }
                + (0..<2).flatMap { [Fact("k", $0, 10), Fact("j", $0, 10)] } + (2..<4).flatMap { [Fact("k", $0, 30), Fact("j", $0, 30)] }
            try await expectWindows(store, a.name, final + live, "after completing r3 and reverting r2")

            // A second pass with the same cutoff finds nothing more.
            let again = try await store.collectGarbage(before: cutoff)
            #expect(again.generations.isEmpty && again.partialRows == 0 && again.ledgerRows == 0, "\(again)")
        }
    }

    /// gc drops the ledger of a generation nothing can reach any more, and keeps the ledger of one a recent
    /// replacement's revert would make active again.
    @Test(arguments: StoreKind.available)
    func collectGarbageLedgerFollowsReachableGenerations(_ kind: StoreKind) async throws {
        try await withLineageStore(kind) { store, _ in
            let a = Self.sum()
            try await store.register([a])
            let original = (0..<6).map { Fact("k", $0, 1) }
            try await commitFacts(store, a, original, objects: [versioned("o", "v0", [a.name])])
            func replace(_ from: Int64, _ to: Int64, _ value: Int64) async throws -> Replacement {
                let r = try await started(store, proposal([a.name], from, to, hash: "v\(value)"))
                try await commitFacts(store, a, (from..<to).map { Fact("k", $0, value) }, objects: [versioned("o", "v\(value)", [a.name])],
                                      generation: r.generation)
                return try await store.completeReplacement(id: r.id, objects: 1, rowsRead: Int(to - from))
            }
            // Old: r1 then r2 on days 0-1 (r1 is unreachable afterwards), r3 on day 4. Recent: r4 on day 4.
            let r1 = try await replace(0, 2, 10)
            let r2 = try await replace(0, 2, 20)
            let r3 = try await replace(4, 5, 30)
            try await Task.sleep(nanoseconds: 20_000_000)
            let cutoff = Date().timeIntervalSince1970
            try await Task.sleep(nanoseconds: 20_000_000)
            let r4 = try await replace(4, 5, 40)
            let gc = try await store.collectGarbage(before: cutoff)
            #expect(Set(gc.generations) == [SegmentGeneration(pipeline: a.name, segment: 0, generation: 0),
                                            SegmentGeneration(pipeline: a.name, segment: day, generation: 0),
                                            SegmentGeneration(pipeline: a.name, segment: 0, generation: r1.generation),
                                            SegmentGeneration(pipeline: a.name, segment: day, generation: r1.generation),
                                            SegmentGeneration(pipeline: a.name, segment: 4 * day, generation: 0)], "\(gc)")
            #expect(gc.partialRows == 5 * 3 && gc.ledgerRows == 1, "\(gc)")
            #expect(try await store.ledger(pipelines: [a.name], generation: r1.generation).isEmpty)
            #expect(try await store.ledger(pipelines: [a.name], generation: r3.generation)["o"]?.map(\.version) == ["v30"])
            #expect(try await store.ledger(pipelines: [a.name])["o"]?.map(\.version) == ["v40"])
            let listed = Dictionary(uniqueKeysWithValues: try await store.replacements().map { ($0.id, $0.collected) })
            #expect(listed == [r1.id: true, r2.id: true, r3.id: true, r4.id: false])
            let current = [Fact("k", 0, 20), Fact("k", 1, 20), original[2], original[3], Fact("k", 4, 40), original[5]]
            try await expectWindows(store, a.name, current, "after gc")
            // r4's revert brings r3's generation back, with its ledger.
            _ = try await store.revertReplacement(id: r4.id)
            try await expectWindows(store, a.name, [current[0], current[1], original[2], original[3], Fact("k", 4, 30), original[5]], "after the revert")
            #expect(try await store.ledger(pipelines: [a.name])["o"]?.map(\.version) == ["v30"])
            _ = await lineageError("revert of a collected replacement") { _ = try await store.revertReplacement(id: r3.id) }
            _ = await lineageError("revert of a collected replacement") { _ = try await store.revertReplacement(id: r2.id) }
        }
    }
}
