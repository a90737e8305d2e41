import AWS
import Aggregation
import Foundation
import ObjectStore
import StateStores
import TestSupport
import Testing
@testable import Backfill

/// Backfills through `FaultProxy` in front of moto_server (S3 and DynamoDB): 500s, 503 SlowDown, DynamoDB throttling
/// and connections cut halfway through the answer (after the server did the work). The runs still complete, and
/// every window is exactly what it is without faults.
@Suite(.serialized) struct FaultInjectionTests {
    /// The full page_views dataset from s3:// through the proxy (faults in ~15 % of list, HEAD and ranged GET
    /// requests) into SQLite: every window equals `expected/`.
    @Test(.enabled(if: TestEnvironment.hasS3, TestEnvironment.noS3))
    func s3FaultsIntoSQLiteGiveExactResults() async throws {
        let endpoint = try #require(MotoServer.endpoint)
        let bucket = try await MotoServer.pageViewsBucket()
        let proxy = try FaultProxy(upstream: endpoint, plan: .init(seed: 42, rate: 0.15, kinds: [.internalError, .slowDown, .cut]))
        defer { proxy.stop() }
        let config = MotoServer.configuration(endpoint: proxy.endpoint)
        // Small listing pages, so the listing is several requests (continuation tokens) that can fail.
        let options = MotoServer.s3Options(retry: RetryPolicy(maxAttempts: 6, baseDelay: 0.02, maxDelay: 0.5), listPageSize: 50)
        let dir = try Paths.temp("faults-s3")
        // No trailing slash: discovery first HEADs the prefix (in case it is one object), then lists it.
        let job = try MotoServer.pageViewsJob(source: "s3://\(bucket)/warehouse/page_views", store: "sqlite:\(dir)/s.sqlite",
                                              pipeline: "page_views", dir: dir)
        let runner = try Runner(config: job, store: try StoreURL.open(job.store), options: RunOptions(concurrency: 2),
                                sources: SourceResolver(configuration: config, options: options))
        let summary = try await runner.run()
        let counts = proxy.counts
        print("S3 through FaultProxy: \(counts.summary)")
        #expect(summary.objectsFailed == 0 && summary.failures.isEmpty, "\(summary.failures.prefix(3))")
        #expect(summary.objectsCommitted == 192)
        #expect(summary.rowsRead == 60000)
        for w in ["hourly", "daily", "lifetime"] {
            let got = try await queryLines(store: "sqlite:\(dir)/s.sqlite", pipeline: "page_views", window: WindowKind(rawValue: w)!)
            #expect(triples(got) == (try MotoServer.expected(w, bucketPrefixes: nil)), "\(w) differs")
        }
        // The faults really happened: every kind, on every operation the run uses.
        for kind in [FaultProxy.Fault.internalError, .slowDown, .cut] {
            #expect(counts.faults[kind, default: 0] > 0, "no \(kind) injected: \(counts.summary)")
        }
        for operation in ["HeadObject", "ListObjectsV2", "GetObject"] {
            #expect(counts.faults(operation: operation) > 0, "no fault on \(operation): \(counts.summary)")
        }
        #expect(counts.faults(.cut, "GetObject") > 0, "no ranged GET cut mid-body: \(counts.summary)")
        #expect(Double(counts.totalFaults) >= 0.08 * Double(counts.requests), "\(counts.summary)")
    }

    /// One hour of page_views from s3:// into dynamodb://, both through the proxy: throttling, 500s, and every third
    /// TransactWriteItems applied by moto but its answer cut, so the client retries a transaction that already
    /// happened and the chunk ledger's condition must turn the retry into a no-op. Every window equals a SQLite run of
    /// the same hour (and `expected/` for that hour's hourly buckets); a re-run commits nothing.
    @Test(.enabled(if: TestEnvironment.hasS3, TestEnvironment.noS3))
    func dynamoDBFaultsGiveExactResults() async throws {
        let endpoint = try #require(MotoServer.endpoint)
        let bucket = try await MotoServer.pageViewsBucket()
        let proxy = try FaultProxy(upstream: endpoint, plan: .init(
            seed: 7, rate: 0.12, kinds: [.throttle, .internalError, .cut, .slowDown], cutEvery: ["TransactWriteItems": 3]))
        defer { proxy.stop() }
        let config = MotoServer.configuration(endpoint: proxy.endpoint)
        let options = MotoServer.s3Options(retry: RetryPolicy(maxAttempts: 6, baseDelay: 0.02, maxDelay: 0.5))
        let hour = "year=2026/month=5/day=8/hour=17"
        let table = "bf-faults-\(UUID().uuidString.prefix(8).lowercased())"
        let storeURL = "dynamodb://\(table)?region=us-east-1&endpoint=\(proxy.endpoint)"
        let dir = try Paths.temp("faults-ddb")
        let job = try MotoServer.pageViewsJob(source: "s3://\(bucket)/warehouse/page_views/\(hour)/", store: storeURL,
                                              pipeline: "page_views", dir: dir)
        let store = try DynamoDBStateStore(url: storeURL, configuration: config)
        func run() async throws -> RunSummary {
            // One worker: moto_server is not safe for concurrent transactions on one table.
            try await Runner(config: job, store: store, options: RunOptions(concurrency: 1, commitEntries: 4_000_000),
                             sources: SourceResolver(configuration: config, options: options)).run()
        }
        let started = Date()
        let first = try await run()
        print("DynamoDB through FaultProxy: \(first.objectsCommitted) objects in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; \(proxy.counts.summary)")
        proxy.faultsEnabled = false

        let sqliteDir = try Paths.temp("faults-ddb-sqlite")
        let reference = try await runJob("""
            source:
              url: \(Paths.pageViews.appendingPathComponent("parquet/\(hour)").path)
              format: parquet
            event_time:
              column: occurred_at_unix_ms
              unit: ms
            store: sqlite:\(sqliteDir)/s.sqlite
            pipelines:
              - {name: page_views, key: "{entity_id}", value: count, monoid: sum, windows: [hourly, daily, lifetime]}
            """, dir: sqliteDir)
        #expect(first.objectsFailed == 0 && first.failures.isEmpty, "\(first.failures.prefix(3))")
        #expect(first.objectsCommitted == reference.objectsCommitted && first.objectsCommitted == 4)
        #expect(first.rowsRead == reference.rowsRead)
        for w in ["hourly", "daily", "lifetime"] {
            let got = try await MotoServer.lines(store, pipeline: "page_views", window: WindowKind(rawValue: w)!)
            #expect(!got.isEmpty)
            #expect(got == (try await queryLines(store: "sqlite:\(sqliteDir)/s.sqlite", pipeline: "page_views", window: WindowKind(rawValue: w)!)),
                    "\(w) differs")
        }
        let hourly = triples(try await MotoServer.lines(store, pipeline: "page_views", window: .hourly))
        #expect(hourly == (try MotoServer.expected("hourly", bucketPrefixes: ["2026-05-08T17:"])))

        let counts = proxy.counts
        for kind in FaultProxy.Fault.allCases {
            #expect(counts.faults[kind, default: 0] > 0, "no \(kind) injected: \(counts.summary)")
        }
        // Transactions were applied and their answers lost; each retry found its chunk item and changed nothing.
        #expect(counts.faults(.cut, "TransactWriteItems") > 0, "\(counts.summary)")
        #expect(counts.upstreamErrors["TransactWriteItems TransactionCanceledException", default: 0] > 0, "\(counts.summary)")
        #expect(counts.faults(operation: "GetObject") > 0 && counts.faults(operation: "ListObjectsV2") > 0, "\(counts.summary)")

        let second = try await run()
        #expect(second.objectsCommitted == 0)
        #expect(second.objectsAlreadyDone == first.objectsCommitted)
        await store.close()
    }
}
