import Aggregation
import Foundation
import StateStores

#if canImport(Glibc)
import Glibc
#endif

/// What `backfill replace` did (or, with `dryRun`, would do).
public struct ReplaceSummary: Sendable {
    /// The replacement as recorded (for a dry run: as proposed, id and generation 0).
    public var replacement: Replacement
    /// An interrupted replacement of the same range and config was taken over.
    public var resumed = false
    public var dryRun = false
    /// The objects that can hold rows of the range (after path pruning), and how many the path ruled out.
    public var objectsToRead = 0
    public var objectsPruned = 0
    public var bytesToRead: Int64 = 0
    /// The recomputation (absent for a dry run).
    public var run: RunSummary?
}

/// `backfill replace`: recompute the segments of a time range into a new generation and switch them in one step.
public final class Replacer: @unchecked Sendable {
    public let config: JobConfig
    public let store: any StateStore
    public let options: RunOptions
    public let sources: SourceResolver
    /// An in-progress replacement whose heartbeat is older than this (seconds) was interrupted and may be taken over.
    public let staleAfter: Double

    public init(config: JobConfig, store: any StateStore, options: RunOptions, staleAfter: Double = 60,
                sources: SourceResolver = SourceResolver()) {
        self.config = config
        self.store = store
        self.options = options
        self.staleAfter = staleAfter
        self.sources = sources
    }

    /// The segment-aligned range covering [from, to).
    public static func segments(from: Int64, to: Int64, segmentMillis: Int64) -> (from: Int64, to: Int64) {
        let lo = floorDiv(from, segmentMillis) * segmentMillis
        let hi = floorDiv(to - 1, segmentMillis) * segmentMillis + segmentMillis
        return (lo, hi)
    }

    public func replace(from: Int64, to: Int64, dryRun: Bool = false) async throws -> ReplaceSummary {
        guard from < to else { throw RunError("--from (\(formatMillis(from))) must be before --to (\(formatMillis(to)))") }
        let seg = Self.segments(from: from, to: to, segmentMillis: config.segmentMillis)
        let proposed = Replacement(pipelines: config.pipelines.map(\.name), from: from, to: to, segmentFrom: seg.from, segmentTo: seg.to,
                                   segmentMillis: config.segmentMillis, configHash: config.configHash, worker: Runner.processID,
                                   startedAt: Date().timeIntervalSince1970)
        var summary = ReplaceSummary(replacement: proposed)
        if dryRun {
            let plan: RunPlan
            do {
                plan = try await RunPlan.make(config: config, store: store, sources: sources, mode: .verify(segmentFrom: seg.from, segmentTo: seg.to))
            } catch {
                await sources.shutdown()
                throw error
            }
            await sources.shutdown()
            summary.dryRun = true
            summary.objectsToRead = plan.objects.count
            summary.objectsPruned = plan.pruned
            summary.bytesToRead = plan.bytes
            return summary
        }
        try await store.migrate()
        try await store.register(config.pipelines.map { PipelineDefinition(name: $0.name, monoid: Monoid($0.monoid), timeZone: $0.timeZone) })
        let start = try await store.beginReplacement(proposed, staleAfter: staleAfter)
        var r = start.replacement
        if case .resumed = start { summary.resumed = true }
        summary.replacement = r
        let (id, worker) = (r.id, r.worker)
        let heartbeat = Task { [store, staleAfter] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(max(staleAfter / 4, 0.05) * 1_000_000_000))
                if Task.isCancelled { break }
                try? await store.heartbeatReplacement(id: id, worker: worker)
            }
        }
        defer { heartbeat.cancel() }
        var runOptions = options
        runOptions.mode = .replace(r)
        runOptions.dryRun = false
        let result: RunSummary
        do {
            result = try await Runner(config: config, store: store, options: runOptions, sources: sources).run()
        } catch {
            heartbeat.cancel()
            try? await store.failReplacement(id: r.id, message: "\(error)")
            throw error
        }
        summary.run = result
        summary.objectsToRead = result.objectsTotal
        summary.objectsPruned = result.objectsPruned
        guard result.succeeded else {
            heartbeat.cancel()
            let message = "\(result.objectsFailed) object(s) failed: \(result.failures.first ?? "")"
            try? await store.failReplacement(id: r.id, message: message)
            throw RunFailed(summary: result, underlying: RunError("replace \(r.id) failed and was cleaned up (the old values stay): \(message)"))
        }
        heartbeat.cancel()
        // Everything of the new generation is committed: switch its segments in one transaction.
        let objects = result.objectsCommitted + result.objectsAlreadyDone
        let rows = try await store.ledger(pipelines: r.pipelines, generation: r.generation).values
            .reduce(0) { $0 + ($1.first?.rows ?? 0) }
        r = try await store.completeReplacement(id: r.id, objects: objects, rowsRead: rows)
        summary.replacement = r
        return summary
    }
}
