// A hand-run throughput benchmark of JSONLinesReader, skipped unless
// JSONL_BENCH is set. Run it on an optimised build:
//
//   JSONL_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter jsonLinesThroughput

import Compression
import Foundation
import Testing
@testable import Datasets

@Suite struct JSONLinesBenchmark {
    private static var enabled: Bool { ProcessInfo.processInfo.environment["JSONL_BENCH"] != nil }

    private func read(_ paths: [String], fields: [String]) async throws -> (rows: Int, bytes: Int64, seconds: Double) {
        let start = Date()
        var rows = 0
        var bytes: Int64 = 0
        var checksum: Int64 = 0
        for path in paths {
            var reader = try JSONLinesReader(path: path, fields: fields)
            while let block = try await reader.next() {
                rows += block.count
                for case .int(let n) in block.columns[block.columns.count - 1] { checksum &+= n }
            }
            bytes += reader.bytesRead
        }
        #expect(checksum != 0)
        return (rows, bytes, Date().timeIntervalSince(start))
    }

    private func report(_ label: String, _ r: (rows: Int, bytes: Int64, seconds: Double)) {
        print(String(format: "%@: %d rows, %.1f MB in %.3f s: %.0f rows/s, %.1f MB/s", label, r.rows,
                     Double(r.bytes) / 1e6, r.seconds, Double(r.rows) / r.seconds, Double(r.bytes) / 1e6 / r.seconds))
    }

    @Test(.enabled(if: enabled, "a benchmark: set JSONL_BENCH=1 to run it")) func jsonLinesThroughput() async throws {
        // The real dataset, read several times over.
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let root = url.deletingLastPathComponent().appendingPathComponent("shared/datasets/page_views/jsonl").path
        let files = try LocalDataset.discover(root, suffixes: [".jsonl.gz"], filter: nil).map(\.path)
        _ = try await read(files, fields: ["entity_id", "count"])  // warm the page cache
        let passes = 20
        report("page_views jsonl.gz x\(passes)", try await read(Array(repeating: files, count: passes).flatMap { $0 },
                                                          fields: ["entity_id", "count"]))

        // A larger synthetic file shaped like page_views.
        let dir = try TempDirectory("jsonl-bench")
        defer { dir.remove() }
        var text: [UInt8] = []
        let rows = 2_000_000
        text.reserveCapacity(rows * 140)
        for i in 0..<rows {
            let line = "{\"entity_id\": \"page-\(String(i &* 2654435761 % 0xFFFFFFFFFF, radix: 16))\", "
                + "\"count\": \(i % 1000 + 1), \"occurred_at\": \"2026-05-08T00:36:11.968Z\", "
                + "\"year\": 2026, \"month\": 5, \"day\": 8, \"hour\": \(i % 24)}\n"
            text += line.utf8
        }
        let plain = try dir.write("bench.jsonl", text)
        let gz = try dir.write("bench.jsonl.gz", try gzip(text))
        report("synthetic plain, 2 fields", try await read([plain], fields: ["entity_id", "count"]))
        report("synthetic gzip, 2 fields", try await read([gz], fields: ["entity_id", "count"]))
        report("synthetic plain, all 7 fields",
               try await read([plain], fields: ["entity_id", "occurred_at", "year", "month", "day", "hour", "count"]))
        // zlib alone, for comparison.
        let compressed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: gz)))
        let start = Date()
        var inflater = try GzipInflater()
        var produced = 0
        try compressed.withUnsafeBytes { input in
            for offset in stride(from: 0, to: input.count, by: 256 << 10) {
                let chunk = UnsafeRawBufferPointer(rebasing: input[offset..<min(offset + (256 << 10), input.count)])
                try inflater.feed(chunk) { produced += $0.count }
            }
        }
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "gzip inflate only: %.1f MB in %.3f s: %.1f MB/s", Double(produced) / 1e6, seconds,
                     Double(produced) / 1e6 / seconds))
    }
}
