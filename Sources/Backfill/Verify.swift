import Aggregation
import Foundation
import StateStores

/// One bucket where the store and a recomputation from the source disagree.
public struct VerifyDifference: Sendable {
    public var pipeline: String
    public var window: WindowKind
    public var key: String
    /// Bucket label in the pipeline's time zone ("2026-05-08", "lifetime").
    public var bucket: String
    /// Canonical JSON of each side; nil where that side has no bucket.
    public var stored: String?
    public var recomputed: String?
}

/// What `backfill verify` found.
public struct VerifySummary: Sendable {
    public var segmentFrom: Int64?
    public var segmentTo: Int64?
    /// Buckets compared (both sides, deduplicated) and keys sampled (nil: every key).
    public var bucketsCompared = 0
    public var keysCompared = 0
    public var sample: Int?
    public var differences: [VerifyDifference] = []
    public var run: RunSummary
    public var equal: Bool { differences.isEmpty }
}

/// `backfill verify`: recompute the segments of a range from the source (into a scratch SQLite file, with the real
/// store's boundaries) and compare bucket by bucket with what the store serves for those segments.
public final class Verifier: @unchecked Sendable {
    public let config: JobConfig
    public let store: any StateStore
    public let options: RunOptions
    public let sources: SourceResolver

    public init(config: JobConfig, store: any StateStore, options: RunOptions, sources: SourceResolver = SourceResolver()) {
        self.config = config
        self.store = store
        self.options = options
        self.sources = sources
    }

    /// Compares [from, to) (widened to whole segments; nil: all time). `sample` limits the comparison to that many keys
    /// (chosen by a stable hash, the same keys every time).
    public func verify(from: Int64?, to: Int64?, sample: Int?) async throws -> VerifySummary {
        var range: (from: Int64, to: Int64) = (-(1 << 62), 1 << 62)
        if let from, let to {
            guard from < to else { throw RunError("--from must be before --to") }
            range = Replacer.segments(from: from, to: to, segmentMillis: config.segmentMillis)
        } else if from != nil || to != nil {
            throw RunError("give both --from and --to, or neither")
        }
        try await store.checkReadable()
        let scratchDir = FileManager.default.temporaryDirectory.appendingPathComponent("backfill-verify-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratchDir) }
        let scratch = try await StoreRegistry.scratch(directory: scratchDir.path)
        var o = options
        o.mode = .verify(segmentFrom: range.from, segmentTo: range.to)
        o.boundaries = try await store.boundaries()
        o.dryRun = false
        let run = try await Runner(config: config, store: scratch, options: o, sources: sources).run()
        var summary = VerifySummary(segmentFrom: from == nil ? nil : range.from, segmentTo: to == nil ? nil : range.to, sample: sample, run: run)
        let storedPipelines = Set(try await store.pipelines().map(\.name))
        for p in config.pipelines {
            let monoid = Monoid(p.monoid)
            let calendar = try BucketCalendar(timeZone: p.timeZone)
            for w in p.windows {
                let stored = storedPipelines.contains(p.name)
                    ? try await store.segmentAggregates(pipeline: p.name, window: w, segmentFrom: range.from, segmentTo: range.to) : []
                let recomputed = try await scratch.segmentAggregates(pipeline: p.name, window: w, segmentFrom: range.from, segmentTo: range.to)
                var keys = Set(stored.map(\.key)).union(recomputed.map(\.key))
                if let sample, keys.count > sample {
                    keys = Set(keys.sorted { fnv1a64($0) < fnv1a64($1) }.prefix(sample))
                }
                summary.keysCompared = max(summary.keysCompared, keys.count)
                struct Cell: Hashable { var key: String; var bucket: Int64 }
                var a: [Cell: String] = [:], b: [Cell: String] = [:]
                for row in stored where keys.contains(row.key) { a[Cell(key: row.key, bucket: row.bucket)] = monoid.renderJSON(row.value) }
                for row in recomputed where keys.contains(row.key) { b[Cell(key: row.key, bucket: row.bucket)] = monoid.renderJSON(row.value) }
                let cells = Set(a.keys).union(b.keys).sorted { x, y in
                    x.key != y.key ? x.key.utf8.lexicographicallyPrecedes(y.key.utf8) : x.bucket < y.bucket
                }
                summary.bucketsCompared += cells.count
                for c in cells where a[c] != b[c] {
                    let label = w == .lifetime ? "lifetime" : calendar.label(w, start: c.bucket)
                    summary.differences.append(VerifyDifference(pipeline: p.name, window: w, key: c.key, bucket: label,
                                                                stored: a[c], recomputed: b[c]))
                }
            }
        }
        return summary
    }
}
