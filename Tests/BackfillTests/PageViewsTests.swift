import Aggregation
import Foundation
import StateStores
import Testing
@testable import Backfill

/// End to end on the PySpark-written dataset in ../shared: every window equal to DuckDB's answers.
@Suite struct PageViewsTests {
    static func config(source: String, format: String, timeColumn: String, store: String, policy: String = "fail", deadLetter: String? = nil,
                       partitions: String? = nil) -> String {
        """
        source:
          url: \(source)
          format: \(format)
        \(partitions.map { "  partitions: \"\($0)\"" } ?? "")
        event_time:
          column: \(timeColumn)
          unit: ms
        store: sqlite:\(store)
        pipelines:
          - name: page_views
            key: "{entity_id}"
            value: count
            monoid: sum
            windows: [hourly, daily, lifetime]
        errors:
          policy: \(policy)
        \(deadLetter.map { "  dead_letter: \($0)" } ?? "")
        """
    }

    @Test func parquetEveryWindowMatchesAndRerunChangesNothing() async throws {
        let dir = try Paths.temp("pv-parquet")
        let yaml = Self.config(source: Paths.pageViews.appendingPathComponent("parquet").path, format: "parquet",
                               timeColumn: "occurred_at_unix_ms", store: dir + "/s.sqlite")
        let first = try await runJob(yaml, dir: dir)
        #expect(first.objectsCommitted == 192)
        #expect(first.rowsRead == 60000)
        #expect(first.rowsRejected == 0)
        var before: [String: [String]] = [:]
        for w in ["hourly", "daily", "lifetime"] {
            let got = try await queryLines(store: "sqlite:\(dir)/s.sqlite", pipeline: "page_views", window: WindowKind(rawValue: w)!)
            #expect(triples(got) == triples(try expectedLines(w)), "\(w) differs")
            before[w] = got
        }
        let second = try await runJob(yaml, dir: dir)
        #expect(second.objectsCommitted == 0)
        #expect(second.objectsAlreadyDone == 192)
        #expect(second.rowsRead == 0)
        for w in ["hourly", "daily", "lifetime"] {
            let got = try await queryLines(store: "sqlite:\(dir)/s.sqlite", pipeline: "page_views", window: WindowKind(rawValue: w)!)
            #expect(got == before[w])
        }
    }

    @Test func jsonLinesSkipSendsThreeLinesToTheDeadLetter() async throws {
        let dir = try Paths.temp("pv-jsonl")
        let yaml = Self.config(source: Paths.pageViews.appendingPathComponent("jsonl").path, format: "jsonl", timeColumn: "occurred_at",
                               store: dir + "/s.sqlite", policy: "skip", deadLetter: dir + "/rejects.jsonl")
        let summary = try await runJob(yaml, dir: dir)
        #expect(summary.rowsRejected == 3)
        #expect(summary.objectsFailed == 0)
        let rejects = try String(contentsOfFile: dir + "/rejects.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(rejects.count == 3)
        for r in rejects {
            #expect(r.contains("\"file\"") && r.contains(".jsonl.gz") && r.contains("\"line\": ") && r.contains("\"reason\""))
        }
        for w in ["hourly", "daily", "lifetime"] {
            let got = try await queryLines(store: "sqlite:\(dir)/s.sqlite", pipeline: "page_views", window: WindowKind(rawValue: w)!)
            #expect(triples(got) == triples(try expectedLines(w)), "\(w) differs")
        }
    }

    @Test func jsonLinesFailStopsAtTheFirstBadLine() async throws {
        let dir = try Paths.temp("pv-jsonl-fail")
        let yaml = Self.config(source: Paths.pageViews.appendingPathComponent("jsonl").path, format: "jsonl", timeColumn: "occurred_at",
                               store: dir + "/s.sqlite", policy: "fail")
        do {
            try await runJob(yaml, dir: dir, concurrency: 1)
            Issue.record("the run did not stop")
        } catch let failed as RunFailed {
            let text = "\(failed)"
            #expect(text.contains(".jsonl.gz, line 2"), "\(text)")
            // Nothing of the bad object was committed.
            let store = try StoreURL.open("sqlite:\(dir)/s.sqlite")
            let ledger = try await store.ledger(pipelines: ["page_views"])
            #expect(ledger.keys.allSatisfy { !$0.contains("day=08/hour=20") })
        }
    }

    @Test func partitionFilterReadsOnlyMatchingHours() async throws {
        let dir = try Paths.temp("pv-filter")
        let yaml = Self.config(source: Paths.pageViews.appendingPathComponent("parquet").path, format: "parquet",
                               timeColumn: "occurred_at_unix_ms", store: dir + "/s.sqlite", partitions: "day = 9 and hour >= 06 and hour < 8")
        let summary = try await runJob(yaml, dir: dir)
        #expect(summary.objectsCommitted == 8)  // 2 hours × 4 part files
        let got = triples(try await queryLines(store: "sqlite:\(dir)/s.sqlite", pipeline: "page_views", window: .hourly))
        let want = triples(try expectedLines("hourly")).filter { $0.contains("|2026-05-09T06:") || $0.contains("|2026-05-09T07:") }
        #expect(got == want)
    }

    @Test func fanOutWritesEveryKey() async throws {
        let dir = try Paths.temp("pv-fanout")
        let yaml = """
            source: \(Paths.pageViews.appendingPathComponent("parquet").path)
            event_time: occurred_at_unix_ms
            store: sqlite:\(dir)/s.sqlite
            pipelines:
              - name: views
                key: ["{entity_id}", "all", "day:{day}"]
                value: count
                windows: [lifetime]
            """
        try await runJob(yaml, dir: dir)
        let lines = triples(try await queryLines(store: "sqlite:\(dir)/s.sqlite", pipeline: "views", window: .lifetime))
        #expect(lines.contains("all|lifetime|7894435"))
        let perDay = lines.filter { $0.hasPrefix("day:") }
        #expect(perDay.count == 2)
        #expect(lines.count == 800 + 1 + 2)
    }
}
