import AWS
import Aggregation
import Foundation
import StateStores
import Testing

/// The stores this machine can test: SQLite always, PostgreSQL when `BACKFILL_TEST_POSTGRES_URL` is set,
/// DynamoDB when `BACKFILL_TEST_S3_ENDPOINT` (moto_server, which serves DynamoDB too) is set.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres, dynamodb

    var testDescription: String { rawValue }

    static let postgresURL: String? = {
        let url = ProcessInfo.processInfo.environment["BACKFILL_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if url == nil {
            print("skipping PostgreSQL: BACKFILL_TEST_POSTGRES_URL not set (scripts/test.sh starts a throwaway cluster)")
        }
        return url
    }()

    /// moto's endpoint and the test credentials.
    static let dynamoDB: (endpoint: String, configuration: AWSConfiguration)? = {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["BACKFILL_TEST_S3_ENDPOINT"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            print("skipping DynamoDB: BACKFILL_TEST_S3_ENDPOINT not set (scripts/test.sh starts moto_server)")
            return nil
        }
        let credentials = AWSCredentials(accessKeyId: env["BACKFILL_TEST_S3_ACCESS_KEY"] ?? "testing",
                                         secretAccessKey: env["BACKFILL_TEST_S3_SECRET_KEY"] ?? "testing")
        return (endpoint, AWSConfiguration(region: "us-east-1", credentials: credentials))
    }()

    static var available: [StoreKind] {
        var kinds: [StoreKind] = [.sqlite]
        if postgresURL != nil { kinds.append(.postgres) }
        if dynamoDB != nil { kinds.append(.dynamodb) }
        return kinds
    }
}

/// Opens a fresh store of `kind`, migrated, runs `body`, and shuts the store down. PostgreSQL tests share one
/// database, so every test uses pipeline names of its own (`unique`).
func withStore<T>(_ kind: StoreKind, _ body: (any StateStore) async throws -> T) async throws -> T {
    switch kind {
    case .sqlite:
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bf-conf-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteStateStore(path: dir.appendingPathComponent("s.sqlite").path)
        try await store.migrate()
        return try await body(store)
    case .postgres:
        let store = try PostgresStateStore(url: StoreKind.postgresURL!)
        do {
            try await store.migrate()
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    case .dynamodb:
        // A fresh table per test.
        let (endpoint, configuration) = StoreKind.dynamoDB!
        let table = "bf-\(UUID().uuidString.prefix(12).lowercased())"
        let store = try DynamoDBStateStore(url: "dynamodb://\(table)?region=us-east-1&endpoint=\(endpoint)", configuration: configuration)
        do {
            try await store.migrate()
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }
}

func unique(_ name: String) -> String { "\(name)_\(UUID().uuidString.prefix(8).lowercased())" }

/// One partial as a test writes it.
struct Entry {
    var window: WindowKind
    var key: String
    var bucket: Int64
    var segment: Int64
    var value: PartialValue
    init(_ key: String, _ bucket: Int64, segment: Int64? = nil, _ value: PartialValue) {
        self.init(.daily, key, bucket, segment: segment, value)
    }
    init(_ window: WindowKind, _ key: String, _ bucket: Int64, segment: Int64? = nil, _ value: PartialValue) {
        self.window = window
        self.key = key
        self.bucket = bucket
        self.segment = segment ?? bucket
        self.value = value
    }
}

/// Columnar partials, sorted as the fold tables emit them; integer values on the fast path when `intFast`.
func partials(_ p: PipelineDefinition, _ entries: [Entry], intFast: Bool = false) -> PipelinePartials {
    var keys: [String] = []
    var index: [String: Int32] = [:]
    var out = PipelinePartials(pipeline: p, keys: [])
    var values: [PartialValue] = []
    var ints: [Int64] = []
    for e in entries {
        let ki: Int32
        if let i = index[e.key] { ki = i } else {
            ki = Int32(keys.count)
            index[e.key] = ki
            keys.append(e.key)
        }
        out.window.append(e.window)
        out.keyIndex.append(ki)
        out.bucket.append(e.bucket)
        out.segment.append(e.segment)
        values.append(e.value)
        if case .int(let x) = e.value { ints.append(x) }
    }
    out.keys = keys
    if intFast {
        precondition(ints.count == values.count)
        out.intValues = ints
    } else {
        out.values = values
    }
    return out
}

func object(_ url: String, _ pipelines: [String], rows: Int = 10) -> ObjectRecord {
    ObjectRecord(object: ObjectVersion(url: url, version: "v1"), pipelines: pipelines, rowsRead: rows, rowsRejected: 1, seconds: 0.5)
}

func rows(_ store: any StateStore, _ pipeline: String, _ window: WindowKind = .daily, key: String? = nil, from: Int64? = nil,
          to: Int64? = nil) async throws -> [String] {
    try await store.query(pipeline: pipeline, window: window, key: key, from: from, to: to).map { "\($0.key)|\($0.bucket)|\($0.value)" }
}

let day: Int64 = 86_400_000

@Suite struct StateStoreConformanceTests {
    @Test(arguments: StoreKind.available)
    func migrateTwiceIsIdempotent(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let name = unique("mig")
            try await store.register([PipelineDefinition(name: name, monoid: Monoid(.sum), timeZone: "UTC")])
            try await store.migrate()
            try await store.migrate()
            let defs = try await store.pipelines()
            #expect(defs.contains(PipelineDefinition(name: name, monoid: Monoid(.sum), timeZone: "UTC")))
        }
    }

    @Test(arguments: StoreKind.available)
    func registerRejectsAChangedMonoid(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let name = unique("reg")
            try await store.register([PipelineDefinition(name: name, monoid: Monoid(.topk(k: 3)), timeZone: "Europe/Paris")])
            try await store.register([PipelineDefinition(name: name, monoid: Monoid(.topk(k: 3)), timeZone: "Europe/Paris")])
            await #expect(throws: (any Error).self) {
                try await store.register([PipelineDefinition(name: name, monoid: Monoid(.topk(k: 4)), timeZone: "Europe/Paris")])
            }
            await #expect(throws: (any Error).self) {
                try await store.register([PipelineDefinition(name: name, monoid: Monoid(.max), timeZone: "Europe/Paris")])
            }
            let defs = try await store.pipelines().filter { $0.name == name }
            #expect(defs == [PipelineDefinition(name: name, monoid: Monoid(.topk(k: 3)), timeZone: "Europe/Paris")])
        }
    }

    @Test(arguments: StoreKind.available)
    func commitWritesPartialsAndLedgerTogether(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let a = PipelineDefinition(name: unique("views"), monoid: Monoid(.sum), timeZone: "UTC")
            let b = PipelineDefinition(name: unique("users"), monoid: Monoid(.distinct), timeZone: "UTC")
            try await store.register([a, b])
            let run = try await store.startRun(RunRecord(kind: "run", configHash: "h", startedAt: 1, status: "running"))
            let hll = try Monoid(.distinct).lift(.string("u1"), millis: 0)
            try await store.commit(CommitBatch(runID: run, pipelines: [
                partials(a, [Entry("k1", 0, .int(3)), Entry("k1", day, .int(4)), Entry("k2", 0, .int(5)),
                             Entry(.lifetime, "k1", BucketCalendar.lifetimeBucket, segment: 0, .int(3)),
                             Entry(.lifetime, "k1", BucketCalendar.lifetimeBucket, segment: day, .int(4))], intFast: true),
                partials(b, [Entry("k1", 0, hll)]),
            ], objects: [object("file:///o1", [a.name, b.name], rows: 7), object("file:///o2", [a.name])]))
            #expect(try await rows(store, a.name) == ["k1|0|int(3)", "k1|\(day)|int(4)", "k2|0|int(5)"])
            #expect(try await rows(store, a.name, .lifetime) == ["k1|\(BucketCalendar.lifetimeBucket)|int(7)"])
            #expect(try await store.query(pipeline: b.name, window: .daily, key: nil, from: nil, to: nil).map(\.value) == [hll])
            let ledgerA = try await store.ledger(pipelines: [a.name])
            #expect(ledgerA.keys.sorted() == ["file:///o1", "file:///o2"])
            let e = try #require(ledgerA["file:///o1"]?.first)
            #expect(e.pipeline == a.name && e.version == "v1" && e.runID == run && e.rows == 7 && e.rejected == 1 && e.committedAt > 0)
            let both = try await store.ledger(pipelines: [a.name, b.name])
            #expect(both["file:///o1"]?.map(\.pipeline) == [a.name, b.name])
            #expect(both["file:///o2"]?.map(\.pipeline) == [a.name])
        }
    }

    /// Every monoid: a second commit to the same keys combines with what is stored.
    @Test(arguments: StoreKind.available)
    func secondCommitCombinesEveryMonoid(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let kinds: [MonoidKind] = [.sum, .count, .min, .max, .first, .last, .distinct, .topk(k: 2)]
            let firstValues: [ScalarValue] = [.int(5), .string("b"), .double(2.5)]
            let secondValues: [ScalarValue] = [.int(7), .string("a"), .double(-1)]
            for mk in kinds {
                let monoid = Monoid(mk)
                let def = PipelineDefinition(name: unique("m_\(mk.name)"), monoid: monoid, timeZone: "UTC")
                try await store.register([def])
                func value(_ v: ScalarValue, _ t: Int64) throws -> PartialValue? {
                    if case .sum = mk, case .string = v { return nil }
                    if case .count = mk { return .int(1) }
                    return try monoid.lift(v, millis: t)
                }
                var expected: [AggregateRow] = []
                var batch1: [Entry] = [], batch2: [Entry] = []
                for (i, (v1, v2)) in zip(firstValues, secondValues).enumerated() {
                    guard let p1 = try value(v1, 100), let p2 = try value(v2, 50) else { continue }
                    let key = "key\(i)"
                    batch1.append(Entry(key, 0, p1))
                    batch2.append(Entry(key, 0, p2))
                    batch2.append(Entry(key, day, p2))
                    expected.append(AggregateRow(key: key, bucket: 0, value: try monoid.combine(p1, p2)))
                    expected.append(AggregateRow(key: key, bucket: day, value: p2))
                }
                try await store.commit(CommitBatch(runID: 1, pipelines: [partials(def, batch1)], objects: [object("o1", [def.name])]))
                try await store.commit(CommitBatch(runID: 1, pipelines: [partials(def, batch2)], objects: [object("o2", [def.name])]))
                let got = try await store.query(pipeline: def.name, window: .daily, key: nil, from: nil, to: nil)
                #expect(got.count == expected.count, "\(mk)")
                for (g, e) in zip(got, expected) {
                    #expect(g.key == e.key && g.bucket == e.bucket && g.value == e.value, "\(mk): \(g) vs \(e)")
                }
            }
        }
    }

    /// Integer sums: the fast path adds in the store, also onto partials the general path wrote, and a
    /// double sum meeting integer partials becomes a double.
    @Test(arguments: StoreKind.available)
    func integerFastPathMixesWithGeneralPartials(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let def = PipelineDefinition(name: unique("fast"), monoid: Monoid(.sum), timeZone: "UTC")
            try await store.register([def])
            try await store.commit(CommitBatch(runID: 1, pipelines: [partials(def, [Entry("a", 0, .int(1)), Entry("b", 0, .double(0.5))])],
                                               objects: [object("o1", [def.name])]))
            try await store.commit(CommitBatch(runID: 1, pipelines: [partials(def, [Entry("a", 0, .int(2)), Entry("b", 0, .int(2)), Entry("c", 0, .int(9))], intFast: true)],
                                               objects: [object("o2", [def.name])]))
            try await store.commit(CommitBatch(runID: 1, pipelines: [partials(def, [Entry("a", 0, .int(4)), Entry("c", 0, .double(1))])],
                                               objects: [object("o3", [def.name])]))
            #expect(try await rows(store, def.name) == ["a|0|int(7)", "b|0|double(2.5)", "c|0|double(10.0)"])
        }
    }

    /// Two entries for the same row in one batch combine like two commits.
    @Test(arguments: StoreKind.available)
    func duplicateEntriesInOneBatchCombine(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let sum = PipelineDefinition(name: unique("dup_sum"), monoid: Monoid(.sum), timeZone: "UTC")
            let maxP = PipelineDefinition(name: unique("dup_max"), monoid: Monoid(.max), timeZone: "UTC")
            try await store.register([sum, maxP])
            try await store.commit(CommitBatch(runID: 1, pipelines: [
                partials(sum, [Entry("k", 0, .int(1)), Entry("k", 0, .int(2))], intFast: true),
                partials(maxP, [Entry("k", 0, .int(5)), Entry("k", 0, .int(3))]),
            ], objects: [object("o1", [sum.name, maxP.name])]))
            #expect(try await rows(store, sum.name) == ["k|0|int(3)"])
            #expect(try await rows(store, maxP.name) == ["k|0|int(5)"])
        }
    }

    /// Exactly once: a batch whose ledger row is already there fails and leaves nothing of itself behind.
    @Test(arguments: StoreKind.available)
    func ledgerConflictLeavesNothingOfTheBatch(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let sum = PipelineDefinition(name: unique("once_sum"), monoid: Monoid(.sum), timeZone: "UTC")
            let maxP = PipelineDefinition(name: unique("once_max"), monoid: Monoid(.max), timeZone: "UTC")
            try await store.register([sum, maxP])
            try await store.commit(CommitBatch(runID: 1, pipelines: [
                partials(sum, [Entry("k", 0, .int(10))], intFast: true), partials(maxP, [Entry("k", 0, .int(10))]),
            ], objects: [object("o1", [sum.name, maxP.name])]))
            let before = (try await rows(store, sum.name), try await rows(store, maxP.name), try await store.ledger(pipelines: [sum.name, maxP.name]))
            for fast in [true, false] {
                await #expect(throws: (any Error).self) {
                    try await store.commit(CommitBatch(runID: 2, pipelines: [
                        partials(sum, [Entry("k", 0, .int(1)), Entry("new", 0, .int(1))], intFast: fast),
                        partials(maxP, [Entry("k", 0, .int(99)), Entry("new", 0, .int(1))]),
                    ], objects: [object("o2", [sum.name, maxP.name]), object("o1", [sum.name])]))
                }
            }
            #expect(try await rows(store, sum.name) == before.0)
            #expect(try await rows(store, maxP.name) == before.1)
            let ledger = try await store.ledger(pipelines: [sum.name, maxP.name])
            #expect(ledger.keys.sorted() == ["o1"])
            #expect(ledger["o1"]?.map(\.runID) == before.2["o1"]?.map(\.runID))
            // The store is still usable: the same batch without the duplicate commits.
            try await store.commit(CommitBatch(runID: 3, pipelines: [partials(sum, [Entry("k", 0, .int(1))], intFast: true)],
                                               objects: [object("o2", [sum.name])]))
            #expect(try await rows(store, sum.name) == ["k|0|int(11)"])
        }
    }

    @Test(arguments: StoreKind.available)
    func integerOverflowFailsTheCommitCleanly(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let def = PipelineDefinition(name: unique("ovf"), monoid: Monoid(.sum), timeZone: "UTC")
            try await store.register([def])
            try await store.commit(CommitBatch(runID: 1, pipelines: [partials(def, [Entry("a", 0, .int(1)), Entry("k", 0, .int(Int64.max - 1))], intFast: true)],
                                               objects: [object("o1", [def.name])]))
            for fast in [true, false] {
                await #expect(throws: (any Error).self) {
                    try await store.commit(CommitBatch(runID: 2, pipelines: [partials(def, [Entry("a", 0, .int(1)), Entry("k", 0, .int(2))], intFast: fast)],
                                                       objects: [object("o2", [def.name])]))
                }
            }
            #expect(try await rows(store, def.name) == ["a|0|int(1)", "k|0|int(\(Int64.max - 1))"])
            #expect(try await store.ledger(pipelines: [def.name]).keys.sorted() == ["o1"])
            try await store.commit(CommitBatch(runID: 3, pipelines: [partials(def, [Entry("k", 0, .int(1))], intFast: true)],
                                               objects: [object("o2", [def.name])]))
            #expect(try await rows(store, def.name) == ["a|0|int(1)", "k|0|int(\(Int64.max))"])
        }
    }

    @Test(arguments: StoreKind.available)
    func queryBoundsAndKeyFilter(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let def = PipelineDefinition(name: unique("q"), monoid: Monoid(.count), timeZone: "UTC")
            try await store.register([def])
            var entries: [Entry] = []
            for k in ["a", "b"] {
                for d in 0..<4 { entries.append(Entry(k, Int64(d) * day, .int(Int64(d + 1)))) }
                entries.append(Entry(.hourly, k, 3_600_000, .int(1)))
            }
            try await store.commit(CommitBatch(runID: 1, pipelines: [partials(def, entries, intFast: true)], objects: [object("o", [def.name])]))
            #expect(try await rows(store, def.name, from: day, to: 3 * day) == ["a|\(day)|int(2)", "a|\(2 * day)|int(3)", "b|\(day)|int(2)", "b|\(2 * day)|int(3)"])
            #expect(try await rows(store, def.name, from: 3 * day) == ["a|\(3 * day)|int(4)", "b|\(3 * day)|int(4)"])
            #expect(try await rows(store, def.name, to: day) == ["a|0|int(1)", "b|0|int(1)"])
            #expect(try await rows(store, def.name, key: "b", from: 2 * day) == ["b|\(2 * day)|int(3)", "b|\(3 * day)|int(4)"])
            #expect(try await rows(store, def.name, key: "zz").isEmpty)
            #expect(try await rows(store, def.name, .hourly) == ["a|3600000|int(1)", "b|3600000|int(1)"])
            #expect(try await rows(store, def.name, .monthly).isEmpty)
            await #expect(throws: (any Error).self) {
                _ = try await store.query(pipeline: unique("absent"), window: .daily, key: nil, from: nil, to: nil)
            }
        }
    }

    /// Keys come back in UTF-8 byte order, whatever the database's collation.
    @Test(arguments: StoreKind.available)
    func keysSortByUTF8Bytes(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let def = PipelineDefinition(name: unique("sort"), monoid: Monoid(.sum), timeZone: "UTC")
            try await store.register([def])
            let keys = ["b", "a", "B", "é", "e", "Z", "日本", "ä", "a b", "ab", "€", "😀", "ﬀ", "A", "z"]
            try await store.commit(CommitBatch(runID: 1, pipelines: [partials(def, keys.map { Entry($0, 0, .int(1)) }, intFast: true)],
                                               objects: [object("o", [def.name])]))
            let got = try await store.query(pipeline: def.name, window: .daily, key: nil, from: nil, to: nil).map(\.key)
            #expect(got == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            #expect(try await rows(store, def.name, key: "日本") == ["日本|0|int(1)"])
        }
    }

    /// Generations: a partial of a generation no segment has made active is not queried (absent lineage = 0).
    @Test(arguments: StoreKind.available)
    func otherGenerationsAreInvisibleWithoutLineage(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let def = PipelineDefinition(name: unique("gen"), monoid: Monoid(.sum), timeZone: "UTC")
            try await store.register([def])
            try await store.commit(CommitBatch(runID: 1, pipelines: [partials(def, [Entry("k", 0, .int(1))], intFast: true)],
                                               objects: [object("o", [def.name])]))
            try await store.commit(CommitBatch(runID: 2, pipelines: [partials(def, [Entry("k", 0, .int(50))], intFast: true)],
                                               objects: [object("o", [def.name])], generation: 1))
            #expect(try await rows(store, def.name) == ["k|0|int(1)"])
            // The ledger lists generation 0 only.
            #expect(try await store.ledger(pipelines: [def.name])["o"]?.map(\.runID) == [1])
        }
    }

    @Test(arguments: StoreKind.available)
    func runsAndFailuresRoundTrip(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let hash = unique("cfg")
            let id = try await store.startRun(RunRecord(kind: "run", configHash: hash, startedAt: 1000.5, status: "running"))
            let other = try await store.startRun(RunRecord(kind: "replace", configHash: hash, startedAt: 1001, status: "running"))
            #expect(other > id)
            var started = try #require(try await store.runs(limit: 1000).first { $0.id == id })
            #expect(started.kind == "run" && started.configHash == hash && started.startedAt == 1000.5 && started.status == "running")
            #expect(started.finishedAt == nil && started.message == nil && started.objectsCommitted == 0)
            started.finishedAt = 1002.25
            started.status = "failed"
            started.objectsCommitted = 3; started.objectsSkipped = 4; started.objectsFailed = 1
            started.rowsRead = 1_000_000_000_000; started.rowsRejected = 6; started.bucketsWritten = 7; started.message = "bad: ünïcode"
            try await store.finishRun(started)
            let done = try #require(try await store.runs(limit: 1000).first { $0.id == id })
            #expect(done.finishedAt == 1002.25 && done.status == "failed" && done.objectsCommitted == 3 && done.objectsSkipped == 4)
            #expect(done.objectsFailed == 1 && done.rowsRead == 1_000_000_000_000 && done.rowsRejected == 6 && done.bucketsWritten == 7)
            #expect(done.message == "bad: ünïcode")
            let recent = try await store.runs(limit: 2)
            #expect(recent.count == 2 && recent[0].id > recent[1].id)
            try await store.recordFailure(ObjectFailure(runID: id, url: "s3://b/x", error: "boom", at: 5))
            try await store.recordFailure(ObjectFailure(runID: id, url: "s3://b/y", error: "bang", at: 4))
            try await store.recordFailure(ObjectFailure(runID: other, url: "s3://b/z", error: "other", at: 4))
            let failures = try await store.failures(runID: id)
            #expect(failures.map(\.url) == ["s3://b/y", "s3://b/x"])
            #expect(failures.map(\.error) == ["bang", "boom"] && failures.map(\.at) == [4, 5] && failures.allSatisfy { $0.runID == id })
        }
    }
}
