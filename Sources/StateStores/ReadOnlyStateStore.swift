import Aggregation

/// A store opened read-only (`StoreRegistry.open(_:access: .readOnly)`): reads go to the store, every write is
/// refused with a `.readOnly` error naming what was asked, before the backend sees it.
public final class ReadOnlyStateStore: StateStore, Sendable {
    public let base: any StateStore
    /// The store, as messages name it.
    public let name: String

    public init(_ base: any StateStore, name: String) {
        self.base = base
        self.name = name
    }

    private func refuse(_ what: String) -> StoreError {
        StoreError(.readOnly, "store \(name) is open read-only: \(what) refused (only run, replace, store init and write commands write a store)")
    }

    // Reads.
    public func pipelines() async throws -> [PipelineDefinition] { try await base.pipelines() }
    public func query(pipeline: String, window: WindowKind, key: String?, from: Int64?, to: Int64?) async throws -> [AggregateRow] {
        try await base.query(pipeline: pipeline, window: window, key: key, from: from, to: to)
    }
    public func segmentAggregates(pipeline: String, window: WindowKind, segmentFrom: Int64, segmentTo: Int64) async throws -> [AggregateRow] {
        try await base.segmentAggregates(pipeline: pipeline, window: window, segmentFrom: segmentFrom, segmentTo: segmentTo)
    }
    public func ledger(pipelines: [String]) async throws -> [String: [LedgerEntry]] { try await base.ledger(pipelines: pipelines) }
    public func ledger(pipelines: [String], generation: Int64) async throws -> [String: [LedgerEntry]] {
        try await base.ledger(pipelines: pipelines, generation: generation)
    }
    public func committedPipelines(url: String, pipelines: [String]) async throws -> [String] {
        try await base.committedPipelines(url: url, pipelines: pipelines)
    }
    public func runs(limit: Int) async throws -> [RunRecord] { try await base.runs(limit: limit) }
    public func failures(runID: Int64) async throws -> [ObjectFailure] { try await base.failures(runID: runID) }
    public func activeLeases() async throws -> [ObjectLease] { try await base.activeLeases() }
    public func writeRateLimit() async throws -> WriteRateSetting? { try await base.writeRateLimit() }
    public func replacements() async throws -> [Replacement] { try await base.replacements() }
    public func boundaries() async throws -> [String: Int64] { try await base.boundaries() }
    public func checkReadable() async throws { try await base.checkReadable() }
    public func close() async { await base.close() }

    // Writes: refused.
    public func migrate() async throws { throw refuse("migrating the schema") }
    public func initialize() async throws -> StoreInitReport { throw refuse("store init") }
    public func register(_ pipelines: [PipelineDefinition]) async throws { throw refuse("registering pipelines") }
    public func commit(_ batch: CommitBatch) async throws { throw refuse("a commit") }
    public func startRun(_ run: RunRecord) async throws -> Int64 { throw refuse("recording a run") }
    public func finishRun(_ run: RunRecord) async throws { throw refuse("recording a run") }
    public func recordFailure(_ failure: ObjectFailure) async throws { throw refuse("recording a failure") }
    public func tryLease(url: String, worker: String, seconds: Double) async throws -> Bool { throw refuse("taking a lease") }
    public func renewLeases(urls: [String], worker: String, seconds: Double) async throws { throw refuse("renewing leases") }
    public func releaseLeases(urls: [String], worker: String) async throws { throw refuse("releasing leases") }
    public func setWriteRateLimit(_ unitsPerSecond: Double?) async throws { throw refuse("setting the write rate") }
    public func beginReplacement(_ proposed: Replacement, staleAfter: Double) async throws -> ReplacementStart { throw refuse("a replacement") }
    public func heartbeatReplacement(id: Int64, worker: String) async throws { throw refuse("a replacement heartbeat") }
    public func completeReplacement(id: Int64, objects: Int, rowsRead: Int) async throws -> Replacement { throw refuse("completing a replacement") }
    public func failReplacement(id: Int64, message: String) async throws { throw refuse("failing a replacement") }
    public func revertReplacement(id: Int64) async throws -> Replacement { throw refuse("a revert") }
    public func setBoundary(pipeline: String, at: Int64?) async throws { throw refuse("setting a boundary") }
    public func collectGarbage(before: Double) async throws -> GarbageCollected { throw refuse("gc") }
}
