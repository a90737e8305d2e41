import Datasets
import Foundation
import Parquet
import Testing
@testable import Backfill

@Suite struct TimePruningTests {
    func parts(_ text: String) -> [HivePartition] {
        text.split(separator: "/").map { p in
            let kv = p.split(separator: "=", maxSplits: 1)
            return HivePartition(key: String(kv[0]), value: String(kv[1]))
        }
    }

    @Test func hivePathsNameSpans() {
        let day9: Int64 = 1_778_284_800_000
        #expect(TimePruning.pathSpan(parts("year=2026/month=5/day=9/hour=3"))! == (day9 + 3 * 3_600_000, day9 + 4 * 3_600_000))
        #expect(TimePruning.pathSpan(parts("year=2026/month=5/day=9"))! == (day9, day9 + 86_400_000))
        #expect(TimePruning.pathSpan(parts("year=2026/month=05"))! == (day9 - 8 * 86_400_000, day9 + 23 * 86_400_000))
        #expect(TimePruning.pathSpan(parts("year=2026/month=12"))!.1 == 1_798_761_600_000)  // 2027-01-01
        #expect(TimePruning.pathSpan(parts("dt=2026-05-09"))! == (day9, day9 + 86_400_000))
        #expect(TimePruning.pathSpan(parts("ds=20260509/hour=23"))! == (day9 + 23 * 3_600_000, day9 + 86_400_000))
        #expect(TimePruning.pathSpan(parts("event_date=2026-05-09T00:00:00Z"))! == (day9, day9 + 86_400_000))
        // Names that are not times, and values that do not parse, say nothing.
        #expect(TimePruning.pathSpan(parts("country=de/shard=3")) == nil)
        #expect(TimePruning.pathSpan(parts("dt=yesterday")) == nil)
        #expect(TimePruning.pathSpan(parts("year=2026/month=13"))! == (1_767_225_600_000, 1_798_761_600_000), "an invalid month falls back to the year")
        // Overlap includes the one-day slack on both sides.
        #expect(TimePruning.pathMayOverlap(parts("dt=2026-05-08"), from: day9, to: day9 + 86_400_000))
        #expect(!TimePruning.pathMayOverlap(parts("dt=2026-05-07"), from: day9, to: day9 + 86_400_000))
        #expect(TimePruning.pathMayOverlap(parts("dt=2026-05-10"), from: day9, to: day9 + 86_400_000))
        #expect(!TimePruning.pathMayOverlap(parts("dt=2026-05-11"), from: day9, to: day9 + 86_400_000))
        #expect(TimePruning.pathMayOverlap(parts("country=de"), from: day9, to: day9 + 1))
    }

    @Test func rowGroupStatisticsGiveEventTimeSpans() async throws {
        // The shared dataset: Spark writes INT64 epoch-ms with min/max statistics.
        let file = try #require(FileManager.default.enumerator(atPath: Paths.pageViews.appendingPathComponent("parquet/year=2026/month=5/day=9/hour=7").path)?
            .compactMap { $0 as? String }.first { $0.hasSuffix(".parquet") })
        let path = Paths.pageViews.appendingPathComponent("parquet/year=2026/month=5/day=9/hour=7/" + file).path
        let source = try LocalFileSource(path: path)
        let datasetFile = DatasetFile(path: path, relativePath: "", size: source.size, modificationTime: 0, partitions: [])
        func statistics(_ column: String, _ unit: EpochUnit) async throws -> BlockStatistics? {
            let records = try await ParquetFormat().open(source, file: datasetFile, request: RecordRequest(columns: [column], eventTimeColumn: column, eventTimeUnit: unit))
            return records.nextBlockStatistics()
        }
        let span = try #require(try await statistics("occurred_at_unix_ms", .ms))
        let hour7: Int64 = 1_778_284_800_000 + 7 * 3_600_000
        #expect(span.eventTimeMin >= hour7 && span.eventTimeMax < hour7 + 3_600_000 && span.eventTimeMin <= span.eventTimeMax)
        #expect(span.rows > 0)
        // Seconds as the configured unit scale the same statistics.
        let seconds = try #require(try await statistics("occurred_at_unix_ms", .s))
        #expect(seconds.eventTimeMin == span.eventTimeMin * 1000)
        // A string column has no usable span; JSON Lines has no statistics at all.
        #expect(try await statistics("entity_id", .ms) == nil)
    }
}
