import Aggregation
import Foundation
import StateStores
import TestSupport
import Testing
@testable import Backfill

/// End to end into PostgreSQL (when `BACKFILL_TEST_POSTGRES_URL` is set): every window of the page_views Parquet
/// dataset equal to DuckDB's answers, and a re-run commits nothing.
@Suite struct PostgresPageViewsTests {
    static let url = TestEnvironment.postgresURL

    @Test(.enabled(if: TestEnvironment.hasPostgres, TestEnvironment.noPostgres))
    func parquetIntoPostgresMatchesEveryWindow() async throws {
        let url = try #require(Self.url)
        let dir = try Paths.temp("pv-postgres")
        // The database is shared between tests: a pipeline name of this run's own.
        let pipeline = "page_views_\(UUID().uuidString.prefix(8).lowercased())"
        let yaml = """
            source:
              url: \(Paths.pageViews.appendingPathComponent("parquet").path)
              format: parquet
            event_time:
              column: occurred_at_unix_ms
              unit: ms
            store: \(url)
            pipelines:
              - name: \(pipeline)
                key: "{entity_id}"
                value: count
                monoid: sum
                windows: [hourly, daily, lifetime]
            """
        let started = Date()
        let first = try await runJob(yaml, dir: dir)
        print("page_views into PostgreSQL: \(first.objectsCommitted) objects, \(first.rowsRead) rows in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        #expect(first.objectsCommitted == 192)
        #expect(first.rowsRead == 60000)
        var before: [String: [String]] = [:]
        for w in ["hourly", "daily", "lifetime"] {
            let got = try await queryLines(store: url, pipeline: pipeline, window: WindowKind(rawValue: w)!)
            #expect(triples(got) == triples(try expectedLines(w)), "\(w) differs")
            before[w] = got
        }
        let second = try await runJob(yaml, dir: dir)
        #expect(second.objectsCommitted == 0)
        #expect(second.objectsAlreadyDone == 192)
        for w in ["hourly", "daily", "lifetime"] {
            #expect(try await queryLines(store: url, pipeline: pipeline, window: WindowKind(rawValue: w)!) == before[w])
        }
    }
}
