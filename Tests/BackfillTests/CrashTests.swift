import Aggregation
import Foundation
import StateStores
import TestSupport
import Testing
@testable import Backfill

/// `kill -9` in the middle of a run, then a re-run: the store equals a clean run's.
@Suite struct CrashTests {
    @Test(.enabled(if: BackfillCLI.available, BackfillCLI.missingReason))
    func killedRunResumesToTheSameResult() async throws {
        let exe = try #require(BackfillCLI.executable)
        let dir = try Paths.temp("crash")
        let (files, _) = try Demo.writeDataset(dir: dir, rows: 120_000)
        func config(_ store: String) -> String {
            """
            source: \(dir)/page_views
            event_time: occurred_at_unix_ms
            store: sqlite:\(store)
            pipelines:
              - {name: views, key: "{entity_id}", value: count, windows: [hourly, daily, lifetime]}
              - {name: users, key: all, value: entity_id, monoid: distinct, windows: [daily]}
            """
        }
        try config(dir + "/clean.sqlite").write(toFile: dir + "/clean.yaml", atomically: true, encoding: .utf8)
        try config(dir + "/crash.sqlite").write(toFile: dir + "/crash.yaml", atomically: true, encoding: .utf8)
        try runProcess(exe, ["run", dir + "/clean.yaml", "--quiet"], killAfter: nil)
        // Kill at several moments; each time the next run continues from what was committed.
        var killed = 0
        for delay in [0.15, 0.3, 0.5, 0.8] {
            if try runProcess(exe, ["run", dir + "/crash.yaml", "--quiet", "--concurrency", "1", "--commit-entries", "1"], killAfter: delay) {
                killed += 1
            }
        }
        try runProcess(exe, ["run", dir + "/crash.yaml", "--quiet"], killAfter: nil)
        #expect(killed > 0, "no run was killed mid-way; the test proved nothing")
        for (p, windows) in [("views", [WindowKind.hourly, .daily, .lifetime]), ("users", [.daily])] {
            for w in windows {
                let clean = try await queryLines(store: "sqlite:\(dir)/clean.sqlite", pipeline: p, window: w)
                let crashed = try await queryLines(store: "sqlite:\(dir)/crash.sqlite", pipeline: p, window: w)
                #expect(clean.count > 0)
                #expect(clean == crashed, "\(p) \(w) differs after kill -9 and resume")
            }
        }
        let store = try StoreURL.open("sqlite:\(dir)/crash.sqlite")
        let ledger = try await store.ledger(pipelines: ["views"])
        #expect(ledger.count == files)
        #expect(ledger.values.allSatisfy { $0.count == 1 })
    }

    /// Runs the executable; with `killAfter`, sends SIGKILL after that many seconds. Returns whether it was killed.
    @discardableResult
    func runProcess(_ exe: String, _ args: [String], killAfter: Double?) throws -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        if let killAfter {
            Thread.sleep(forTimeInterval: killAfter)
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
                return true
            }
        }
        p.waitUntilExit()
        return false
    }
}
