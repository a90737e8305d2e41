import Aggregation
import Foundation
import StateStores
import Testing
@testable import Backfill

/// Monoids, windows, retention, time zones and config errors on small hand-made JSON Lines datasets.
@Suite struct SemanticsTests {
    /// Rows: (user, item, amount, time).
    static let rows: [(String, String, String, String)] = [
        ("u1", "apple", "5", "2026-05-08T23:30:00Z"),
        ("u1", "pear", "7", "2026-05-09T00:10:00Z"),
        ("u1", "apple", "-2", "2026-05-09T00:10:30Z"),
        ("u2", "apple", "10", "2026-05-09T03:59:59.999Z"),
        ("u2", "fig", "1.5", "2026-06-01T12:00:00Z"),
        ("u1", "apple", "3", "2026-04-30T23:59:59Z"),
    ]

    static func dataset(_ dir: String) throws -> String {
        let lines = rows.map { r -> String in
            "{\"user\": \"\(r.0)\", \"item\": \"\(r.1)\", \"amount\": \(r.2), \"ts\": \"\(r.3)\"}"
        }
        try writeJSONL(dir, "data/region=eu/part-0.jsonl", Array(lines[0..<3]))
        try writeJSONL(dir, "data/region=us/part-0.jsonl", Array(lines[3...]))
        return dir + "/data"
    }

    func run(_ pipelines: String, _ dir: String, extra: String = "") async throws -> RunSummary {
        let source = try Self.dataset(dir)
        return try await runJob("""
            source:
              url: \(source)
              format: jsonl
            event_time:
              column: ts
            store: sqlite:\(dir)/s.sqlite
            \(extra)
            pipelines:
            \(pipelines)
            """, dir: dir)
    }

    func q(_ dir: String, _ p: String, _ w: WindowKind) async throws -> [String] {
        triples(try await queryLines(store: "sqlite:\(dir)/s.sqlite", pipeline: p, window: w))
    }

    @Test func everyMonoid() async throws {
        let dir = try Paths.temp("monoids")
        try await run("""
              - {name: total, key: "{user}", value: amount, monoid: sum, windows: [lifetime]}
              - {name: n, key: "{user}", monoid: count, windows: [lifetime]}
              - {name: lo, key: "{user}", value: amount, monoid: min, windows: [lifetime]}
              - {name: hi, key: "{user}", value: amount, monoid: max, windows: [lifetime]}
              - {name: firstitem, key: "{user}", value: item, monoid: first, windows: [lifetime]}
              - {name: lastitem, key: "{user}", value: item, monoid: last, windows: [lifetime]}
              - {name: items, key: "{user}", value: item, monoid: distinct, windows: [lifetime]}
              - {name: top, key: "{region}", value: item, monoid: topk, k: 2, windows: [lifetime]}
            """, dir)
        #expect(try await q(dir, "total", .lifetime) == ["u1|lifetime|13", "u2|lifetime|11.5"])
        #expect(try await q(dir, "n", .lifetime) == ["u1|lifetime|4", "u2|lifetime|2"])
        #expect(try await q(dir, "lo", .lifetime) == ["u1|lifetime|-2", "u2|lifetime|1.5"])
        #expect(try await q(dir, "hi", .lifetime) == ["u1|lifetime|7", "u2|lifetime|10"])
        #expect(try await q(dir, "firstitem", .lifetime) == ["u1|lifetime|apple", "u2|lifetime|apple"])
        #expect(try await q(dir, "lastitem", .lifetime) == ["u1|lifetime|apple", "u2|lifetime|fig"])
        #expect(try await q(dir, "items", .lifetime) == ["u1|lifetime|2", "u2|lifetime|2"])
        let top = try await queryLines(store: "sqlite:\(dir)/s.sqlite", pipeline: "top", window: .lifetime)
        #expect(top.count == 2)
        #expect(top[0].contains("\"key\": \"eu\"") && top[0].contains("{\"item\": \"apple\", \"count\": 2}"), "\(top[0])")
    }

    @Test func everyWindow() async throws {
        let dir = try Paths.temp("windows")
        try await run("""
              - {name: c, key: "{user}", monoid: count, windows: [minute, hourly, daily, monthly, lifetime]}
            """, dir)
        #expect(try await q(dir, "c", .minute).contains("u1|2026-05-09T00:10:00Z|2"))
        #expect(try await q(dir, "c", .hourly) == ["u1|2026-04-30T23:00:00Z|1", "u1|2026-05-08T23:00:00Z|1", "u1|2026-05-09T00:00:00Z|2",
                                                   "u2|2026-05-09T03:00:00Z|1", "u2|2026-06-01T12:00:00Z|1"])
        #expect(try await q(dir, "c", .daily) == ["u1|2026-04-30|1", "u1|2026-05-08|1", "u1|2026-05-09|2", "u2|2026-05-09|1", "u2|2026-06-01|1"])
        #expect(try await q(dir, "c", .monthly) == ["u1|2026-04|1", "u1|2026-05|3", "u2|2026-05|1", "u2|2026-06|1"])
        #expect(try await q(dir, "c", .lifetime) == ["u1|lifetime|4", "u2|lifetime|2"])
    }

    @Test func nonUTCTimeZone() async throws {
        let dir = try Paths.temp("tz")
        try await run("""
              - {name: c, key: "{user}", monoid: count, windows: [daily, monthly], time_zone: America/New_York}
            """, dir)
        // 2026-05-08T23:30Z and 2026-05-09T00:10Z are both May 8 in New York (UTC-4); 03:59:59.999Z is still May 8.
        #expect(try await q(dir, "c", .daily) == ["u1|2026-04-30|1", "u1|2026-05-08|3", "u2|2026-05-08|1", "u2|2026-06-01|1"])
        #expect(try await q(dir, "c", .monthly) == ["u1|2026-04|1", "u1|2026-05|3", "u2|2026-05|1", "u2|2026-06|1"])
    }

    @Test func retentionSkipsOldBucketsButNotLifetime() async throws {
        let dir = try Paths.temp("retention")
        try await run("""
              - {name: recent, key: "{user}", monoid: count, windows: [daily, lifetime], retention: 1d}
              - {name: kept, key: "{user}", monoid: count, windows: [daily], retention: 36500d}
            """, dir)
        #expect(try await q(dir, "recent", .daily).isEmpty)
        #expect(try await q(dir, "recent", .lifetime) == ["u1|lifetime|4", "u2|lifetime|2"])
        #expect(try await q(dir, "kept", .daily).count == 5)
    }

    @Test func sumOverflowIsAnErrorNotAWrap() async throws {
        let dir = try Paths.temp("overflow")
        try writeJSONL(dir, "d/p.jsonl", ["{\"k\": \"a\", \"v\": 9223372036854775807, \"t\": 1}", "{\"k\": \"a\", \"v\": 1, \"t\": 2}"])
        let error = await #expect(throws: RunFailed.self) {
            try await runJob("""
                source: {url: \(dir)/d, format: jsonl}
                event_time: {column: t, unit: ms}
                store: sqlite:\(dir)/s.sqlite
                pipelines: [{name: s, key: "{k}", value: v, windows: [lifetime]}]
                """, dir: dir)
        }
        #expect(error.map { "\($0)" }?.contains("overflow") == true, "\(String(describing: error))")
    }

    @Test func versionChangeIsAConflict() async throws {
        let dir = try Paths.temp("conflict")
        try await run("  - {name: c, key: \"{user}\", monoid: count, windows: [daily]}", dir)
        // Touch a committed object: same path, new mtime.
        let file = dir + "/data/region=eu/part-0.jsonl"
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 3600)], ofItemAtPath: file)
        do {
            try await runJob(try String(contentsOfFile: dir + "/job.yaml", encoding: .utf8), dir: dir)
            Issue.record("a changed object was not a conflict")
        } catch {
            #expect("\(error)".contains("replace") && "\(error)".contains("part-0.jsonl"))
        }
    }

    @Test(arguments: [
        ("pipelines:\n  - {name: p, key: \"{a}\", monoid: avg, windows: [daily]}", "unknown monoid 'avg'"),
        ("pipelines:\n  - {name: p, key: \"{a}\", monoid: count, windows: [weekly]}", "unknown window 'weekly'"),
        ("pipelines:\n  - {name: p, key: \"{a\", monoid: count}", "bad template"),
        ("pipelines:\n  - {name: p, key: \"{a}\", monoid: count, windwos: [daily]}", "unknown field"),
        ("pipelines:\n  - {name: p, key: \"{a}\", monoid: sum}", "value: is required"),
        ("pipelines:\n  - {name: p, key: \"{a}\", monoid: count, time_zone: Mars/Base}", "unknown time zone"),
    ])
    func configErrorsNameTheLineAndField(_ pipelines: String, _ expected: String) throws {
        let text = "source: /tmp/x\nevent_time: t\nstore: sqlite:/tmp/x.sqlite\n" + pipelines + "\n"
        do {
            _ = try JobConfig.parse(text, path: "job.yaml")
            Issue.record("no error for: \(pipelines)")
        } catch {
            let message = "\(error)"
            #expect(message.contains(expected), "\(message)")
            #expect(message.contains("job.yaml:5"), "\(message)")
        }
    }

    @Test func unknownColumnNamesTheConfigLine() async throws {
        let dir = try Paths.temp("unknown-column")
        do {
            try await runJob("""
                source: \(Paths.pageViews.appendingPathComponent("parquet").path)
                event_time: occurred_at_unix_ms
                store: sqlite:\(dir)/s.sqlite
                pipelines:
                  - {name: p, key: "{entity_id}", value: cnt, windows: [daily]}
                """, dir: dir)
            Issue.record("no error for an unknown column")
        } catch {
            #expect("\(error)".contains("column 'cnt' is not in"), "\(error)")
            #expect("\(error)".contains("job.yaml:4"), "\(error)")
        }
    }
}
