import Foundation
import Testing
@testable import Datasets

/// `<repo root>/../shared/datasets/page_views`; the repo root is three levels above this file.
private let pageViews: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.deletingLastPathComponent().appendingPathComponent("shared/datasets/page_views").path
}()

private struct Totals: Decodable {
    let rows: Int
    let sum: Int64
    let bad_lines: Int
}

@Suite struct PageViewsDatasetTests {
    @Test func readsTheGzippedJSONLinesDataset() async throws {
        let root = pageViews + "/jsonl"
        let totals = try JSONDecoder().decode(
            Totals.self, from: Data(contentsOf: URL(fileURLWithPath: pageViews + "/expected/totals.json")))
        let files = try LocalDataset.discover(root, suffixes: [".jsonl.gz", ".jsonl"], filter: nil)
        #expect(files.count == 48)
        #expect(files.allSatisfy { $0.partitions.map(\.key) == ["year", "month", "day", "hour"] })

        var rows = 0
        var sum: Int64 = 0
        var nonIntCounts = 0
        var rejected: [(String, RejectedLine)] = []
        let started = Date()
        for file in files {
            var reader = try JSONLinesReader(path: file.path, fields: ["entity_id", "count"])
            #expect(reader.isGzip)
            while let block = try await reader.next() {
                rows += block.count
                for value in block.columns[1] {
                    if case .int(let n) = value { sum += n } else { nonIntCounts += 1 }
                }
                rejected += block.rejected.map { (file.relativePath, $0) }
            }
        }
        let seconds = Date().timeIntervalSince(started)
        print("page_views JSONL: \(rows) rows in \(String(format: "%.3f", seconds)) s "
            + "(\(Int(Double(rows) / max(seconds, 1e-9))) rows/s)")

        #expect(rows == totals.rows)
        #expect(sum == totals.sum)
        #expect(nonIntCounts == 0)
        #expect(rejected.count == totals.bad_lines)
        #expect(rejected.map(\.0) == [
            "year=2026/month=05/day=08/hour=20/part-00000.jsonl.gz",
            "year=2026/month=05/day=09/hour=13/part-00000.jsonl.gz",
            "year=2026/month=05/day=09/hour=21/part-00000.jsonl.gz",
        ])
        for (_, line) in rejected {
            #expect(line.lineNumber == 2)
            #expect(line.text == #"{"entity_id": "broken", "count": "#)
            #expect(line.reason == "unexpected end of line at byte 34 (expected a value)")
        }
        #expect(rejected.first?.1.byteOffset == 143)
    }

    @Test func prunesTheRealPartitions() async throws {
        let filter = try PartitionFilter("year = 2026 and month = 5 and day = 9 and hour between 10 and 12")
        let files = try LocalDataset.discover(pageViews + "/jsonl", suffixes: [".jsonl.gz"], filter: filter)
        #expect(files.map(\.relativePath) == [
            "year=2026/month=05/day=09/hour=10/part-00000.jsonl.gz",
            "year=2026/month=05/day=09/hour=11/part-00000.jsonl.gz",
            "year=2026/month=05/day=09/hour=12/part-00000.jsonl.gz",
        ])
        let globbed = try LocalDataset.discover(pageViews + "/jsonl/*/*/day=08/*/*.jsonl.gz", suffixes: nil,
                                                filter: PartitionFilter("hour < 6"))
        #expect(globbed.count == 6)
    }
}
