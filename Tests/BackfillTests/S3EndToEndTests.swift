import Aggregation
import Foundation
import ObjectStore
import TestSupport
import Testing
@testable import Backfill

/// The shared page_views dataset uploaded to a real S3 protocol server (moto_server, started by scripts/test.sh),
/// backfilled from `s3://`, every window equal to DuckDB's answers; a re-run changes nothing.
@Suite struct S3EndToEndTests {
    @Test(.enabled(if: TestEnvironment.hasS3, TestEnvironment.noS3))
    func pageViewsFromS3() async throws {
        let config = MotoServer.configuration(endpoint: try #require(TestEnvironment.s3Endpoint))
        var options = S3ObjectStore.Options()
        options.keyEncoding = .lenient  // moto re-encodes '=' before checking signatures
        let bucket = "bf-e2e-\(UInt32.random(in: 0...UInt32.max))"
        let root = Paths.pageViews.appendingPathComponent("parquet").path
        try await S3ObjectStore.withStore(bucket: bucket, configuration: config, options: options) { store in
            try await store.createBucket()
            let walker = FileManager.default.enumerator(atPath: root)!
            while let relative = walker.nextObject() as? String {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDir), !isDir.boolValue else { continue }
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative)))
                try await store.put(key: "warehouse/page_views/" + relative, bytes: bytes)
            }
        }
        let dir = try Paths.temp("s3")
        let yaml = """
            source: s3://\(bucket)/warehouse/page_views/
            event_time: occurred_at_unix_ms
            store: sqlite:\(dir)/s.sqlite
            pipelines:
              - {name: page_views, key: "{entity_id}", value: count, windows: [hourly, daily, lifetime]}
            """
        try yaml.write(toFile: dir + "/job.yaml", atomically: true, encoding: .utf8)
        let job = try JobConfig.load(path: dir + "/job.yaml")
        func run() async throws -> RunSummary {
            let runner = try Runner(config: job, store: try StoreURL.open(job.store), options: RunOptions(concurrency: 2),
                                    sources: SourceResolver(configuration: config, options: options))
            return try await runner.run()
        }
        let first = try await run()
        #expect(first.objectsCommitted == 192)
        #expect(first.rowsRead == 60000)
        for w in ["hourly", "daily", "lifetime"] {
            let got = try await queryLines(store: "sqlite:\(dir)/s.sqlite", pipeline: "page_views", window: WindowKind(rawValue: w)!)
            #expect(triples(got) == triples(try expectedLines(w)), "\(w) differs")
        }
        let second = try await run()
        #expect(second.objectsAlreadyDone == 192)
        #expect(second.objectsCommitted == 0)
    }
}
