import Aggregation
import Foundation
import ObjectStore
import StateStores
import TestSupport
import Testing
@testable import Backfill

/// The page_views dataset uploaded to the local S3 (moto_server), backfilled from s3:// into PostgreSQL and into
/// DynamoDB: every window equal to `expected/`, and a re-run changes nothing.
@Suite(.serialized) struct S3StoresEndToEndTests {
    static let postgresURL = TestEnvironment.postgresURL
    static let postgresAndS3 = postgresURL != nil && MotoServer.endpoint != nil

    /// The full dataset (192 objects, 60,000 rows), s3:// → PostgreSQL.
    @Test(.enabled(if: postgresAndS3, "BACKFILL_TEST_POSTGRES_URL or BACKFILL_TEST_S3_ENDPOINT not set (scripts/test.sh sets both)"))
    func pageViewsFromS3IntoPostgres() async throws {
        let endpoint = try #require(MotoServer.endpoint)
        let url = try #require(Self.postgresURL)
        let bucket = try await MotoServer.pageViewsBucket()
        let config = MotoServer.configuration(endpoint: endpoint)
        // The database is shared between tests: a pipeline name of this run's own.
        let pipeline = "page_views_s3_\(UUID().uuidString.prefix(8).lowercased())"
        let dir = try Paths.temp("s3-postgres")
        let job = try MotoServer.pageViewsJob(source: "s3://\(bucket)/warehouse/page_views/", store: url, pipeline: pipeline, dir: dir)
        func run() async throws -> RunSummary {
            try await Runner(config: job, store: try StoreURL.open(url), options: RunOptions(concurrency: 2),
                             sources: SourceResolver(configuration: config, options: MotoServer.s3Options())).run()
        }
        let started = Date()
        let first = try await run()
        print("page_views s3:// → PostgreSQL: \(first.objectsCommitted) objects, \(first.rowsRead) rows in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        #expect(first.objectsFailed == 0 && first.failures.isEmpty)
        #expect(first.objectsCommitted == 192)
        #expect(first.rowsRead == 60000)
        var before: [String: [String]] = [:]
        for w in ["hourly", "daily", "lifetime"] {
            let got = try await queryLines(store: url, pipeline: pipeline, window: WindowKind(rawValue: w)!)
            #expect(triples(got) == (try MotoServer.expected(w, bucketPrefixes: nil)), "\(w) differs")
            before[w] = got
        }
        let second = try await run()
        #expect(second.objectsCommitted == 0 && second.rowsRead == 0)
        #expect(second.objectsAlreadyDone == 192)
        for w in ["hourly", "daily", "lifetime"] {
            #expect(try await queryLines(store: url, pipeline: pipeline, window: WindowKind(rawValue: w)!) == before[w], "\(w) changed on re-run")
        }
    }

    /// The part of page_views chosen by `BACKFILL_TEST_DYNAMODB_PARTITIONS` (a partition filter; default two hours,
    /// `all` for the whole dataset), s3:// → DynamoDB (moto): every window equals a SQLite run of the same slice,
    /// hourly buckets equal `expected/` for the hours of the slice (partitions hold exactly their own hours), and
    /// with `all` every window equals `expected/`; a re-run commits nothing. moto deep-copies the table for every
    /// transaction, so its cost grows with the square of the data: one day takes far longer than a test should.
    @Test(.enabled(if: TestEnvironment.hasS3, TestEnvironment.noS3))
    func pageViewsFromS3IntoDynamoDB() async throws {
        let endpoint = try #require(MotoServer.endpoint)
        let bucket = try await MotoServer.pageViewsBucket()
        let config = MotoServer.configuration(endpoint: endpoint)
        let slice = ProcessInfo.processInfo.environment["BACKFILL_TEST_DYNAMODB_PARTITIONS"].flatMap { $0.isEmpty ? nil : $0 } ?? "day = 8 and hour in (16, 17)"
        let partitions = slice == "all" ? "" : "\n  partitions: \"\(slice)\""
        let table = "bf-e2e-\(UUID().uuidString.prefix(8).lowercased())"
        let storeURL = "dynamodb://\(table)?region=us-east-1&endpoint=\(endpoint)"
        let dir = try Paths.temp("s3-dynamodb")
        let job = try MotoServer.pageViewsJob(source: "s3://\(bucket)/warehouse/page_views/", store: storeURL, pipeline: "page_views",
                                              dir: dir, sourceExtra: partitions)
        let store = try DynamoDBStateStore(url: storeURL, configuration: config)
        func run() async throws -> RunSummary {
            // One worker: moto_server is not safe for concurrent transactions on one table.
            try await Runner(config: job, store: store, options: RunOptions(concurrency: 1, commitEntries: 4_000_000),
                             sources: SourceResolver(configuration: config, options: MotoServer.s3Options())).run()
        }
        let started = Date()
        let first = try await run()
        print("page_views (\(slice)) s3:// → DynamoDB (moto): \(first.objectsCommitted) objects, \(first.rowsRead) rows in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")

        let sqliteDir = try Paths.temp("s3-dynamodb-sqlite")
        let reference = try await runJob("""
            source:
              url: \(Paths.pageViews.appendingPathComponent("parquet").path)
              format: parquet\(partitions)
            event_time:
              column: occurred_at_unix_ms
              unit: ms
            store: sqlite:\(sqliteDir)/s.sqlite
            pipelines:
              - {name: page_views, key: "{entity_id}", value: count, monoid: sum, windows: [hourly, daily, lifetime]}
            """, dir: sqliteDir)
        #expect(first.objectsFailed == 0 && first.failures.isEmpty)
        #expect(first.objectsCommitted == reference.objectsCommitted && first.objectsCommitted > 0)
        #expect(first.rowsRead == reference.rowsRead)
        var before: [String: [String]] = [:]
        for w in ["hourly", "daily", "lifetime"] {
            let got = try await MotoServer.lines(store, pipeline: "page_views", window: WindowKind(rawValue: w)!)
            #expect(!got.isEmpty)
            #expect(got == (try await queryLines(store: "sqlite:\(sqliteDir)/s.sqlite", pipeline: "page_views", window: WindowKind(rawValue: w)!)),
                    "\(w) differs from SQLite")
            if slice == "all" {
                #expect(triples(got) == (try MotoServer.expected(w, bucketPrefixes: nil)), "\(w) differs from expected/")
            } else if w == "hourly" {
                let hours = Set(triples(got).map { String($0.split(separator: "|")[1]) })
                #expect(triples(got) == (try MotoServer.expected(w, bucketPrefixes: hours.sorted())), "\(w) differs from expected/")
            }
            before[w] = got
        }
        let second = try await run()
        #expect(second.objectsCommitted == 0 && second.rowsRead == 0)
        #expect(second.objectsAlreadyDone == first.objectsCommitted)
        for w in ["hourly", "daily", "lifetime"] {
            #expect(try await MotoServer.lines(store, pipeline: "page_views", window: WindowKind(rawValue: w)!) == before[w], "\(w) changed on re-run")
        }
        await store.close()
    }
}
