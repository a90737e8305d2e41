import Aggregation
import Foundation
import StateStores
import Testing

/// Leases, the write rate setting and `initialize()`, on every store this machine can test (DynamoDB on moto).
@Suite struct LeaseAndRateConformanceTests {
    @Test(arguments: StoreKind.available)
    func leasesAreExclusiveUntilTheyExpire(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let url = "file:///\(unique("lease"))/part-0.parquet"
            let other = "file:///\(unique("lease"))/part-1.parquet"
            let a = unique("host:1:0"), b = unique("host:2:0")
            #expect(try await store.tryLease(url: url, worker: a, seconds: 60))
            #expect(try await !store.tryLease(url: url, worker: b, seconds: 60), "a live lease is not taken")
            #expect(try await store.tryLease(url: url, worker: a, seconds: 60), "the holder takes it again")
            // b's renewal and release of a's lease change nothing.
            try await store.renewLeases(urls: [url], worker: b, seconds: -10)
            try await store.releaseLeases(urls: [url], worker: b)
            var mine = try await store.activeLeases().filter { $0.url == url || $0.url == other }
            #expect(mine.map(\.worker) == [a])
            #expect(mine.first.map { $0.expiresAt > Date().timeIntervalSince1970 + 30 } == true)
            // An expired lease is taken over.
            #expect(try await store.tryLease(url: other, worker: a, seconds: -10))
            #expect(try await store.activeLeases().allSatisfy { $0.url != other }, "an expired lease is not active")
            #expect(try await store.tryLease(url: other, worker: b, seconds: 60))
            #expect(try await !store.tryLease(url: other, worker: a, seconds: 60))
            // Renewal extends, release removes, for the holder only.
            try await store.renewLeases(urls: [url], worker: a, seconds: 600)
            mine = try await store.activeLeases().filter { $0.url == url }
            #expect(mine.first.map { $0.expiresAt > Date().timeIntervalSince1970 + 500 } == true)
            try await store.releaseLeases(urls: [url, other], worker: a)  // `other` is b's now: stays
            mine = try await store.activeLeases().filter { $0.url == url || $0.url == other }
            #expect(mine.map(\.url) == [other] && mine.map(\.worker) == [b])
            #expect(try await store.tryLease(url: url, worker: b, seconds: 60), "a released lease is free")
            try await store.releaseLeases(urls: [url, other], worker: b)
            #expect(try await store.activeLeases().filter { $0.url == url || $0.url == other }.isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func committedPipelinesReadsTheLedger(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let a = PipelineDefinition(name: unique("cp_a"), monoid: Monoid(.sum), timeZone: "UTC")
            let b = PipelineDefinition(name: unique("cp_b"), monoid: Monoid(.sum), timeZone: "UTC")
            try await store.register([a, b])
            let url = "file:///\(unique("cp"))/x.parquet"
            #expect(try await store.committedPipelines(url: url, pipelines: [a.name, b.name]).isEmpty)
            try await store.commit(CommitBatch(runID: 1, pipelines: [partials(a, [Entry("k", 0, .int(1))], intFast: true)],
                                               objects: [object(url, [a.name])]))
            #expect(try await store.committedPipelines(url: url, pipelines: [a.name, b.name]) == [a.name])
            #expect(try await store.committedPipelines(url: url, pipelines: [b.name]).isEmpty)
            #expect(try await store.committedPipelines(url: url + ".other", pipelines: [a.name]).isEmpty)
            #expect(try await store.committedPipelines(url: url, pipelines: [unique("unknown")]).isEmpty)
        }
    }

    /// PostgreSQL tests share one database with jobs of other tests, so the setting is only ever set there to rates no
    /// test job reaches, never to 0.
    @Test(arguments: StoreKind.available)
    func writeRateSettingRoundTrips(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            if kind != .postgres { #expect(try await store.writeRateLimit() == nil, "a fresh store has no cap") }
            let before = Date().timeIntervalSince1970 - 1
            try await store.setWriteRateLimit(987_654_321.5)
            let set = try #require(try await store.writeRateLimit())
            #expect(set.unitsPerSecond == 987_654_321.5 && set.setAt >= before)
            if kind != .postgres {
                try await store.setWriteRateLimit(0)
                #expect(try await store.writeRateLimit()?.unitsPerSecond == 0, "0 (paused) is a setting, not the absence of one")
            }
            try await store.setWriteRateLimit(1e9)
            #expect(try await store.writeRateLimit()?.unitsPerSecond == 1e9)
            for bad in [-1, Double.nan, .infinity] {
                await #expect(throws: (any Error).self) { try await store.setWriteRateLimit(bad) }
            }
            #expect(try await store.writeRateLimit()?.unitsPerSecond == 1e9, "a refused value changes nothing")
            try await store.setWriteRateLimit(nil)
            #expect(try await store.writeRateLimit() == nil)
            try await store.setWriteRateLimit(nil)  // clearing twice is fine
        }
    }

    @Test(arguments: StoreKind.available)
    func initializeIsIdempotentAndSaysWhatIsThere(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            // withStore migrated already: initialize creates no table (SQLite reports the file this store opened as created).
            let r = try await store.initialize()
            #expect(r.kind == kind.rawValue)
            #expect(r.created.allSatisfy { $0.hasPrefix("file ") }, "\(r.created)")
            #expect(r.schemaVersion == r.schemaVersionBefore && r.schemaVersion >= 1)
            #expect(!r.existing.isEmpty)
            if kind != .dynamodb { #expect(r.existing.contains { $0.hasSuffix("settings") }, "\(r.existing)") }
        }
    }

    @Test func sqliteInitializeCreatesTheFileAndTables() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bf-init-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/new.sqlite"
        let r = try await SQLiteStateStore(path: path).initialize()
        #expect(r.created.first == "file \(path)")
        #expect(r.created.contains("table settings") && r.created.contains("table leases") && r.created.contains("table ledger"))
        #expect(r.schemaVersionBefore == 0 && r.schemaVersion >= 3)
        let again = try await SQLiteStateStore(path: path).initialize()
        #expect(again.created.isEmpty && again.schemaVersionBefore == r.schemaVersion && again.existing.contains("table settings"))
    }
}
