import AWS
import Aggregation
import Foundation
import ObjectStore
import StateStores
import TestSupport
import Testing
@testable import Backfill

#if canImport(Glibc)
import Glibc
#endif

/// The stores a Backfill test can run on: SQLite always, PostgreSQL and DynamoDB when scripts/test.sh started them.
enum TestStoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres, dynamodb
    var testDescription: String { rawValue }

    static let postgresURL = TestEnvironment.postgresURL
    static let endpoint = TestEnvironment.s3Endpoint

    /// Skips this case (reported with the reason) when its server is not running.
    func skipUnlessAvailable() throws {
        switch self {
        case .sqlite: return
        case .postgres: try skipCase(unless: TestEnvironment.hasPostgres, TestEnvironment.noPostgres)
        case .dynamodb: try skipCase(unless: TestEnvironment.hasDynamoDB, TestEnvironment.noDynamoDB)
        }
    }

    /// A store URL of this test's own (PostgreSQL is shared: pipelines get unique names instead).
    func url(dir: String) -> String {
        switch self {
        case .sqlite: return "sqlite:\(dir)/store.sqlite"
        case .postgres: return Self.postgresURL!
        case .dynamodb: return "dynamodb://bf-rp-\(UUID().uuidString.prefix(8).lowercased())?region=us-east-1&endpoint=\(Self.endpoint!)"
        }
    }

    var aws: AWSConfiguration {
        AWSConfiguration(region: "us-east-1", credentials: AWSCredentials(
            accessKeyId: TestEnvironment.s3AccessKey, secretAccessKey: TestEnvironment.s3SecretKey))
    }

    func open(_ url: String) throws -> any StateStore {
        if self == .dynamodb { return try DynamoDBStateStore(url: url, configuration: aws) }
        return try StoreURL.open(url)
    }

    /// Environment for a `backfill` child process using this store.
    var childEnvironment: [String: String] {
        var e = ProcessInfo.processInfo.environment
        if self == .dynamodb {
            e["AWS_ACCESS_KEY_ID"] = TestEnvironment.s3AccessKey
            e["AWS_SECRET_ACCESS_KEY"] = TestEnvironment.s3SecretKey
            e["AWS_REGION"] = "us-east-1"
        }
        return e
    }

    /// moto deep-copies the table for every transaction (and its memory grows with them): DynamoDB runs use one
    /// file of the hour before the corrected day and one of its first hour.
    var partitions: [String]? {
        self == .dynamodb ? ["year=2026/month=5/day=8/hour=23/part-00000-cbd62ac4-a3eb-4ef1-bb25-03ca736a2a3e.c000.snappy.parquet",
                             "year=2026/month=5/day=9/hour=0/part-00000-cbd62ac4-a3eb-4ef1-bb25-03ca736a2a3e.c000.snappy.parquet"] : nil
    }
    var concurrency: Int { self == .dynamodb ? 1 : 2 }
}

/// pyarrow and DuckDB for the corrected data and its answers (scripts/test.sh installs them).
enum PythonTools {
    static func script(_ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Paths.repoRoot.appendingPathComponent("scripts/correct-page-views.py").path] + args
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw RunError("correct-page-views.py \(args.joined(separator: " ")): \(message)") }
    }
}

/// A copy of page_views (or some of its hour partitions) that a test may correct.
func copyPageViews(to dir: String, partitions: [String]?) throws -> String {
    let source = Paths.pageViews.appendingPathComponent("parquet")
    let target = dir + "/src"
    if let partitions {
        for p in partitions {
            try FileManager.default.createDirectory(atPath: (target + "/" + p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: source.appendingPathComponent(p).path, toPath: target + "/" + p)
        }
    } else {
        try FileManager.default.copyItem(atPath: source.path, toPath: target)
    }
    return target
}

/// Every window of a pipeline as comparable "key|bucket|value" triples.
func windowTriples(_ store: any StateStore, _ pipeline: String, _ window: WindowKind) async throws -> [String] {
    let cal = try BucketCalendar(timeZone: "UTC")
    return try await store.query(pipeline: pipeline, window: window, key: nil, from: nil, to: nil).map {
        "\($0.key)|\(window == .lifetime ? "lifetime" : cal.label(window, start: $0.bucket))|\(Monoid(.sum).renderJSON($0.value))"
    }.sorted()
}

func answerTriples(_ dir: String, _ window: WindowKind) throws -> [String] {
    let text = try String(contentsOfFile: "\(dir)/\(window).jsonl", encoding: .utf8)
    return triples(text.split(separator: "\n").map(String.init)).sorted()
}

let replaceWindows: [WindowKind] = [.hourly, .daily, .monthly, .lifetime]

/// Asserts every window equals DuckDB's answer in `answers`.
func expectWindows(_ store: any StateStore, _ pipeline: String, equal answers: String, _ what: String) async throws {
    for w in replaceWindows {
        let got = try await windowTriples(store, pipeline, w)
        let want = try answerTriples(answers, w)
        #expect(!want.isEmpty)
        #expect(got == want, "\(what): \(w) differs: \(Set(got).symmetricDifference(want).sorted().prefix(4))")
    }
}

func replaceConfig(source: String, store: String, pipeline: String, policy: String = "fail") -> String {
    """
    source:
      url: \(source)
      format: parquet
    event_time:
      column: occurred_at_unix_ms
      unit: ms
    store: \(store)
    pipelines:
      - name: \(pipeline)
        key: "{entity_id}"
        value: count
        monoid: sum
        windows: [hourly, daily, monthly, lifetime]
    errors:
      policy: \(policy)
    """
}

let day9: Int64 = 1_778_284_800_000  // 2026-05-09T00:00:00Z
let day10: Int64 = day9 + 86_400_000

/// Issue 5: correct history safely, on every store.
@Suite(.serialized) struct ReplaceTests {
    struct Job {
        var kind: TestStoreKind
        var dir: String
        var source: String
        var pipeline: String
        var url: String
        var store: any StateStore
        var config: JobConfig
        var original: String

        func runner(_ mode: RunMode = .run) throws -> Runner {
            try Runner(config: config, store: store, options: RunOptions(concurrency: kind.concurrency, mode: mode))
        }
        func replacer(staleAfter: Double = 60) -> Replacer {
            Replacer(config: config, store: store, options: RunOptions(concurrency: kind.concurrency), staleAfter: staleAfter)
        }
        /// This job's replacements (PostgreSQL's database is shared between tests).
        func mine() async throws -> [Replacement] { try await store.replacements().filter { $0.pipelines.contains(pipeline) } }
        func verifier() -> Verifier { Verifier(config: config, store: store, options: RunOptions(concurrency: kind.concurrency)) }
        /// Corrects day 9 in the source and returns the directory of DuckDB's answers over the corrected data.
        func correctDay9() throws -> String {
            try PythonTools.script(["correct", source, "9"])
            try PythonTools.script(["answer", source, dir + "/fixed"])
            return dir + "/fixed"
        }
    }

    /// A copy of the dataset, backfilled once, equal to DuckDB's answer over it.
    static func backfilled(_ kind: TestStoreKind, _ name: String) async throws -> Job {
        let dir = try Paths.temp(name)
        let source = try copyPageViews(to: dir, partitions: kind.partitions)
        try PythonTools.script(["answer", source, dir + "/original"])
        let pipeline = "pv_\(UUID().uuidString.prefix(8).lowercased())"
        let url = kind.url(dir: dir)
        let path = dir + "/job.yaml"
        try replaceConfig(source: source, store: url, pipeline: pipeline).write(toFile: path, atomically: true, encoding: .utf8)
        let job = Job(kind: kind, dir: dir, source: source, pipeline: pipeline, url: url, store: try kind.open(url),
                      config: try JobConfig.load(path: path), original: dir + "/original")
        let first = try await job.runner().run()
        #expect(first.objectsCommitted > 0 && first.objectsFailed == 0)
        try await expectWindows(job.store, pipeline, equal: job.original, "\(kind) first run")
        return job
    }

    @Test(.enabled(if: TestEnvironment.hasPyarrowAndDuckDB, TestEnvironment.noPyarrowAndDuckDB),
          arguments: TestStoreKind.allCases)
    func correctADayReplaceRevertVerify(_ kind: TestStoreKind) async throws {
        try kind.skipUnlessAvailable()
        let job = try await Self.backfilled(kind, "replace-\(kind)")
        if kind == .sqlite {
            // The full dataset: the first run also equals the shared expected answers.
            for w in ["hourly", "daily", "lifetime"] {
                #expect(try answerTriples(job.original, WindowKind(rawValue: w)!) == triples(try expectedLines(w)).sorted())
            }
        }
        let fixed = try job.correctDay9()
        // A plain run must not fold the rewritten partitions on top of the old ones.
        await #expect(throws: RunError.self) { try await job.runner().run() }
        try await expectWindows(job.store, job.pipeline, equal: job.original, "\(kind) after the refused run")

        let dry = try await job.replacer().replace(from: day9, to: day10, dryRun: true)
        #expect(dry.dryRun && dry.objectsToRead > 0 && dry.run == nil)
        #expect(try await job.mine().isEmpty)

        let done = try await job.replacer().replace(from: day9, to: day10)
        let r = done.replacement
        #expect(r.state == .completed && r.generation > 0 && !done.resumed)
        #expect(r.segmentFrom == day9 && r.segmentTo == day10)
        #expect(r.previous == [SegmentGeneration(pipeline: job.pipeline, segment: day9, generation: 0)])
        #expect((done.run?.rowGroupsSkipped ?? 0) > 0, "day 8's row groups are skipped by their statistics")
        try await expectWindows(job.store, job.pipeline, equal: fixed, "\(kind) after replace")
        let verified = try await job.verifier().verify(from: nil, to: nil, sample: nil)
        #expect(verified.equal && verified.bucketsCompared > 0, "\(verified.differences.prefix(3))")
        let ranged = try await job.verifier().verify(from: day9, to: day10, sample: 3)
        #expect(ranged.equal && ranged.keysCompared == 3)
        // The corrected files are in the ledger now: a run finds nothing to do.
        let again = try await job.runner().run()
        #expect(again.objectsCommitted == 0 && again.objectsAlreadyDone > 0)

        let reverted = try await job.store.revertReplacement(id: r.id)
        #expect(reverted.state == .reverted)
        try await expectWindows(job.store, job.pipeline, equal: job.original, "\(kind) after revert")
        // The store is back to the old data, the source is corrected: verify reports day 9 (and the coarser windows).
        let differs = try await job.verifier().verify(from: nil, to: nil, sample: nil)
        #expect(!differs.equal)
        #expect(differs.differences.allSatisfy { d in
            d.window == .monthly || d.window == .lifetime || d.bucket.hasPrefix("2026-05-09")
        })
        await #expect(throws: LineageError.self) { _ = try await job.store.revertReplacement(id: r.id) }
        let lineage = try await job.mine()
        #expect(lineage.count == 1 && lineage[0].id == r.id && lineage[0].state == .reverted && lineage[0].revertedAt != nil)
        // Replacing again is a new generation, and switches day 9 back to the corrected values.
        let second = try await job.replacer().replace(from: day9 + 3_600_000, to: day9 + 7_200_000)
        #expect(second.replacement.generation > r.generation && second.replacement.segmentFrom == day9)
        try await expectWindows(job.store, job.pipeline, equal: fixed, "\(kind) after the second replace")
    }

    @Test(.enabled(if: TestEnvironment.hasPyarrowAndDuckDB && BackfillCLI.available, "needs python3 with pyarrow and duckdb, and a built backfill"),
          arguments: TestStoreKind.allCases)
    func killDuringReplaceKeepsOldValuesThenResumes(_ kind: TestStoreKind) async throws {
        try kind.skipUnlessAvailable()
        let job = try await Self.backfilled(kind, "replace-kill-\(kind)")
        let fixed = try job.correctDay9()
        // Commit after every object, die (SIGKILL) after the second commit.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(BackfillCLI.executable))
        p.arguments = ["replace", job.dir + "/job.yaml", "--from", "2026-05-09", "--to", "2026-05-10", "--concurrency", "1",
                       "--commit-entries", "1", "--quiet"]
        var env = kind.childEnvironment
        env["BACKFILL_TEST_CRASH_AFTER_COMMITS"] = "2"
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        while p.isRunning { try await Task.sleep(nanoseconds: 50_000_000) }
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL)

        try await expectWindows(job.store, job.pipeline, equal: job.original, "\(kind) after kill -9 during replace")
        let interrupted = try #require(try await job.mine().first)
        #expect(interrupted.state == .inProgress)
        let committed = try await job.store.ledger(pipelines: [job.pipeline], generation: interrupted.generation)
        #expect(committed.count >= 2)

        // While its heartbeat is fresh, an overlapping replace is refused, naming the one in progress.
        do {
            _ = try await job.replacer(staleAfter: 3600).replace(from: day9 + 3_600_000, to: day10 + 3_600_000)
            Issue.record("an overlapping replace was not refused")
        } catch let conflict as ReplaceConflict {
            #expect(conflict.inProgress.id == interrupted.id)
            #expect("\(conflict)".contains("replacement \(interrupted.id)"))
        }
        // Once stale, the same replace takes it over and keeps what it committed.
        try await Task.sleep(nanoseconds: 300_000_000)
        let resumed = try await job.replacer(staleAfter: 0.2).replace(from: day9, to: day10)
        #expect(resumed.resumed && resumed.replacement.id == interrupted.id && resumed.replacement.generation == interrupted.generation)
        #expect((resumed.run?.objectsAlreadyDone ?? 0) >= committed.count)
        #expect(resumed.replacement.state == .completed)
        try await expectWindows(job.store, job.pipeline, equal: fixed, "\(kind) after the resumed replace")
        #expect(try await job.verifier().verify(from: nil, to: nil, sample: nil).equal)
        let runs = try await job.store.runs(limit: 20)
        #expect(runs.contains { $0.kind == "replace" && $0.status == "succeeded" })
    }

    @Test(.enabled(if: TestEnvironment.hasPyarrowAndDuckDB, TestEnvironment.noPyarrowAndDuckDB))
    func failedReplaceIsMarkedAndItsGenerationRemoved() async throws {
        let job = try await Self.backfilled(.sqlite, "replace-fail")
        _ = try job.correctDay9()
        // A file in the range that is not Parquet: the replace fails (policy: fail) and cleans up.
        let bad = job.source + "/year=2026/month=5/day=9/hour=5/part-99999-broken.c000.snappy.parquet"
        try Data("this is not parquet".utf8).write(to: URL(fileURLWithPath: bad))
        await #expect(throws: RunFailed.self) { _ = try await job.replacer().replace(from: day9, to: day10) }
        let r = try #require(try await job.mine().first)
        #expect(r.state == .failed && r.finishedAt != nil && (r.message ?? "").contains("part-99999-broken"))
        #expect(try await job.store.ledger(pipelines: [job.pipeline], generation: r.generation).isEmpty)
        let sqlite = try #require(job.store as? SQLiteStateStore)
        #expect(try sqlite.partialRowCount(generation: r.generation) == 0)
        try await expectWindows(job.store, job.pipeline, equal: job.original, "after a failed replace")
        // A failed replacement cannot be reverted; a new replace (after the file is fixed) starts afresh.
        await #expect(throws: LineageError.self) { _ = try await job.store.revertReplacement(id: r.id) }
        try FileManager.default.removeItem(atPath: bad)
        let next = try await job.replacer().replace(from: day9, to: day10)
        #expect(next.replacement.id != r.id && next.replacement.state == .completed)
    }

    @Test(arguments: TestStoreKind.allCases)
    func boundaryInTheMiddleOfADaySplitsItsDailyBucket(_ kind: TestStoreKind) async throws {
        try kind.skipUnlessAvailable()
        let dir = try Paths.temp("boundary-\(kind)")
        let source = try copyPageViews(to: dir, partitions: kind.partitions)
        let pipeline = "pv_\(UUID().uuidString.prefix(8).lowercased())"
        let url = kind.url(dir: dir)
        let path = dir + "/job.yaml"
        try replaceConfig(source: source, store: url, pipeline: pipeline).write(toFile: path, atomically: true, encoding: .utf8)
        let config = try JobConfig.load(path: path)
        let store = try kind.open(url)
        // The reference: a plain run without a boundary, into SQLite.
        let reference = try SQLiteStateStore(path: dir + "/reference.sqlite")
        let all = try await Runner(config: config, store: reference, options: RunOptions(concurrency: 2)).run()
        // A boundary in the middle of day 9 (12:30; for DynamoDB's two hours, 00:30), set before the first run.
        let boundary = kind == .dynamodb ? day9 + 1_800_000 : day9 + 45_000_000
        try await store.migrate()
        try await store.setBoundary(pipeline: pipeline, at: boundary)
        #expect(try await store.boundaries()[pipeline] == boundary)
        let backfill = try await Runner(config: config, store: store, options: RunOptions(concurrency: kind.concurrency)).run()
        #expect(backfill.rowsAfterBoundary > 0 && backfill.rowsAfterBoundary < all.rowsRead)
        #expect(backfill.boundaries[pipeline] == boundary)
        let day = try BucketCalendar(timeZone: "UTC")
        func daily(_ s: any StateStore) async throws -> Int64 {
            let rows = try await s.query(pipeline: pipeline, window: .daily, key: nil, from: day9, to: day10)
            return rows.reduce(0) { acc, r in if case .int(let v) = r.value { return acc + v } else { return acc } }
        }
        let full = try await daily(reference)
        let before = try await daily(store)
        #expect(before > 0 && before < full, "the straddling daily bucket holds only the backfill side")
        // Nothing at or after the boundary was written: the hourly buckets after it are empty.
        let late = try await store.query(pipeline: pipeline, window: .hourly, key: nil, from: day.bucketStart(.hourly, boundary) + 3_600_000, to: nil)
        #expect(late.isEmpty)
        // The live side writes the rest; the straddling bucket combines both, and every window equals the plain run.
        let live = try await Runner(config: config, store: store, options: RunOptions(concurrency: kind.concurrency, mode: .live)).run()
        #expect(live.rowsAfterBoundary + backfill.rowsAfterBoundary == all.rowsRead)
        #expect(try await daily(store) == full)
        for w in replaceWindows {
            let got = try await store.query(pipeline: pipeline, window: w, key: nil, from: nil, to: nil).map { "\($0.key)|\($0.bucket)|\($0.value)" }
            let want = try await reference.query(pipeline: pipeline, window: w, key: nil, from: nil, to: nil).map { "\($0.key)|\($0.bucket)|\($0.value)" }
            #expect(got.count == want.count && got == want, "\(w) after both sides: \(got.count) vs \(want.count) buckets, e.g. \(Set(got).symmetricDifference(want).sorted().prefix(3))")
        }
        // Re-runs of either side add nothing; verify (the backfill side only) agrees.
        #expect(try await Runner(config: config, store: store, options: RunOptions(concurrency: kind.concurrency)).run().objectsCommitted == 0)
        #expect(try await Runner(config: config, store: store, options: RunOptions(concurrency: kind.concurrency, mode: .live)).run().objectsCommitted == 0)
        let verified = try await Verifier(config: config, store: store, options: RunOptions(concurrency: kind.concurrency)).verify(from: nil, to: nil, sample: nil)
        #expect(verified.equal && verified.bucketsCompared > 0)
        // A replace of the day leaves the live side alone and says how many rows it left to it.
        let replaced = try await Replacer(config: config, store: store, options: RunOptions(concurrency: kind.concurrency)).replace(from: day9, to: day10)
        #expect((replaced.run?.rowsAfterBoundary ?? 0) > 0)
        #expect(try await daily(store) == full)
    }
}
