import Aggregation
import Foundation
import Parquet
import StateStores

/// `backfill demo`: writes a Spark-style Hive-partitioned snappy Parquet dataset with our writer,
/// backfills it into a SQLite file and returns what happened, so a newcomer sees the whole path in one command.
public enum Demo {
    public struct Result: Sendable {
        public var datasetPath: String
        public var configPath: String
        public var storePath: String
        public var files: Int
        public var rows: Int
        public var summary: RunSummary
        public var top: [AggregateRow]
        public var monoid: Monoid
    }

    /// Writes `rows` CountEvent rows over two days (one directory per hour, 2 part files each) under `dir`.
    public static func writeDataset(dir: String, rows: Int, seed: UInt64 = 42) throws -> (files: Int, rows: Int) {
        let fm = FileManager.default
        let root = dir + "/page_views"
        if fm.fileExists(atPath: root) { try fm.removeItem(atPath: root) }
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        var rng = DemoRNG(seed: seed)
        let entities = (0..<2000).map { i -> String in i % 97 == 0 ? "café/ünïcode-\(i)" : "page-\(String(i &* 2_654_435_761 % 1_000_003, radix: 16))" }
        let start: Int64 = 1_778_198_400_000  // 2026-05-08T00:00:00Z
        let hours = 48
        let perHour = max(1, rows / hours)
        var files = 0
        var written = 0
        let schema: [ParquetColumnSpec] = [.string("entity_id", nullable: false), .int64("count", nullable: false),
                                           .int64("occurred_at_unix_ms", nullable: false)]
        var options = ParquetWriterOptions()
        options.codec = .snappy
        options.createdBy = "parquet-mr version 1.13.1 (build db4183109d5b734ec5930d870cdae161e408ddba)"
        for h in 0..<hours {
            let hourStart = start + Int64(h) * 3_600_000
            let (y, m, d) = DateText.civil(days: hourStart / 86_400_000)
            let dirPath = "\(root)/year=\(y)/month=\(m)/day=\(d)/hour=\(h % 24)"
            try fm.createDirectory(atPath: dirPath, withIntermediateDirectories: true)
            let n = h == hours - 1 ? rows - written : perHour
            for part in 0..<2 {
                let count = part == 0 ? n / 2 : n - n / 2
                var ids = ByteArrays()
                var counts: [Int64] = []
                var times: [Int64] = []
                for _ in 0..<count {
                    // Skewed popularity: low indices are hot.
                    let r = Double(rng.next() % 1_000_000) / 1_000_000
                    let e = Int(Double(entities.count - 1) * r * r * r)
                    ids.append(Array(entities[e].utf8))
                    counts.append(Int64(1 + rng.next() % 5))
                    times.append(hourStart + Int64(rng.next() % 3_600_000))
                }
                let name = String(format: "part-%05d-6b1f2c3d-0000-4000-8000-00000000%04d.c000.snappy.parquet", part, h)
                try ParquetWriter.write(path: "\(dirPath)/\(name)", schema: schema,
                                        columns: [.byteArray(ids), .int64(counts), .int64(times)], rowCount: count, options: options)
                // Spark's checksum sidecar (ignored by readers).
                fm.createFile(atPath: "\(dirPath)/.\(name).crc", contents: Data("crc".utf8))
                files += 1
                written += count
            }
        }
        fm.createFile(atPath: "\(root)/_SUCCESS", contents: Data())
        return (files, written)
    }

    /// The demo's config file text.
    public static func config(dataset: String, store: String) -> String {
        """
        # Written by `backfill demo`. Run it again with: backfill run THIS_FILE
        source:
          url: \(dataset)
          format: parquet
        event_time:
          column: occurred_at_unix_ms
          unit: ms
        store: sqlite:\(store)
        segment: daily
        pipelines:
          - name: page_views
            key: "{entity_id}"
            value: count
            monoid: sum
            windows: [hourly, daily, lifetime]
          - name: page_viewers_daily
            key: "all"
            value: entity_id
            monoid: distinct
            windows: [daily]
        errors:
          policy: fail
        """
    }

    /// Writes the dataset and config, runs the backfill, and queries the top keys.
    public static func run(dir: String, rows: Int, progress: Bool) async throws -> Result {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let (files, written) = try writeDataset(dir: dir, rows: rows)
        let dataset = dir + "/page_views"
        let storePath = dir + "/backfill.sqlite"
        for suffix in ["", "-wal", "-shm"] where fm.fileExists(atPath: storePath + suffix) { try fm.removeItem(atPath: storePath + suffix) }
        let configPath = dir + "/backfill.yaml"
        let text = config(dataset: dataset, store: storePath).replacingOccurrences(of: "THIS_FILE", with: configPath)
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        let job = try JobConfig.load(path: configPath)
        let store = try SQLiteStateStore(url: job.store)
        let runner = try Runner(config: job, store: store, options: RunOptions(progress: progress))
        let summary = try await runner.run()
        let rows = try await store.query(pipeline: "page_views", window: .lifetime, key: nil, from: nil, to: nil)
        let top = rows.sorted { a, b in
            if case .int(let x) = a.value, case .int(let y) = b.value, x != y { return x > y }
            return a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
        }
        return Result(datasetPath: dataset, configPath: configPath, storePath: storePath, files: files, rows: written,
                      summary: summary, top: Array(top.prefix(5)), monoid: Monoid(.sum))
    }
}

struct DemoRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
