import Aggregation
import Foundation
import StateStores
import TestSupport
import Testing
@testable import Backfill

/// Two `backfill run` processes on one config share the objects through leases in the store; one is killed,
/// the other takes its objects over when their leases expire. Nothing is done twice or lost.
@Suite struct SharedJobTests {
    @Test(.enabled(if: BackfillCLI.available, BackfillCLI.missingReason), arguments: ["sqlite", "postgres"])
    func twoProcessesShareAJobAndOneIsKilled(_ kind: String) async throws {
        try skipCase(unless: kind == "sqlite" || TestEnvironment.hasPostgres, TestEnvironment.noPostgres)
        let exe = try #require(BackfillCLI.executable)
        let dir = try Paths.temp("shared-\(kind)")
        let (files, _) = try Demo.writeDataset(dir: dir, rows: 400_000)
        let pipeline = "shared_\(UInt32.random(in: 0...UInt32.max))"
        let storeURL = kind == "sqlite" ? "sqlite:\(dir)/shared.sqlite" : try #require(TestEnvironment.postgresURL)
        func config(_ store: String) -> String {
            """
            source: \(dir)/page_views
            event_time: occurred_at_unix_ms
            store: \(store)
            pipelines:
              - {name: \(pipeline), key: "{entity_id}", value: count, windows: [hourly, lifetime]}
            """
        }
        try config(storeURL).write(toFile: dir + "/shared.yaml", atomically: true, encoding: .utf8)
        try config("sqlite:\(dir)/clean.sqlite").write(toFile: dir + "/clean.yaml", atomically: true, encoding: .utf8)
        func start(_ config: String, _ extra: [String] = []) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = ["run", config, "--quiet"] + extra
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        let clean = try start(dir + "/clean.yaml")
        clean.waitUntilExit()
        #expect(clean.terminationStatus == 0)
        let args = ["--concurrency", "1", "--commit-entries", "1", "--lease-seconds", "2"]
        // A starts alone and dies like `kill -9` right after taking a lease, with 3 objects committed (a test hook).
        let a = Process()
        a.executableURL = URL(fileURLWithPath: exe)
        a.arguments = ["run", dir + "/shared.yaml", "--quiet"] + args
        a.environment = ProcessInfo.processInfo.environment.merging(["BACKFILL_TEST_CRASH_AFTER_COMMITS": "3"]) { _, new in new }
        a.standardOutput = FileHandle.nullDevice
        a.standardError = FileHandle.nullDevice
        try a.run()
        a.waitUntilExit()
        let killed = a.terminationReason == .uncaughtSignal && a.terminationStatus == SIGKILL
        let leased = try await StoreURL.open(storeURL).activeLeases()
        #expect(leased.count == 1, "the killed worker left one live lease: \(leased)")
        // B and C share the rest; A's leased object is taken over once its lease expires.
        let b = try start(dir + "/shared.yaml", args)
        let c = try start(dir + "/shared.yaml", args)
        b.waitUntilExit()
        c.waitUntilExit()
        #expect(killed, "the first worker finished before it could be killed; the test proved nothing")
        #expect(b.terminationStatus == 0 && c.terminationStatus == 0)
        let store = try StoreURL.open(storeURL)
        let ledger = try await store.ledger(pipelines: [pipeline])
        #expect(ledger.count == files, "every object committed")
        #expect(ledger.values.allSatisfy { $0.count == 1 }, "no object committed twice")
        let runs = Set(ledger.values.flatMap { $0.map(\.runID) })
        #expect(runs.count >= 3, "the killed process and both others committed objects (run ids: \(runs))")
        let leases = try await store.activeLeases()
        #expect(leases.isEmpty, "no lease is left behind: \(leases)")
        for w in [WindowKind.hourly, .lifetime] {
            let want = try await queryLines(store: "sqlite:\(dir)/clean.sqlite", pipeline: pipeline, window: w)
            let got = try await queryLines(store: storeURL, pipeline: pipeline, window: w)
            #expect(want.count > 0)
            #expect(got == want, "\(w) differs from a single clean run")
        }
    }
}
