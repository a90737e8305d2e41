import Aggregation

// A store's roles, one protocol each, composed into `StateStore`. Commands and jobs take the role they need.

/// Partial aggregates: the pipelines they belong to, commits, and reads combined over segments.
public protocol PartialsStore: Sendable {
    /// Registers pipelines (name → monoid); a pipeline whose monoid changed is an error.
    func register(_ pipelines: [PipelineDefinition]) async throws
    /// The registered pipelines.
    func pipelines() async throws -> [PipelineDefinition]
    /// Commits partials (combined with what is stored) and ledger rows in ONE transaction (see `CommitNormalizer`
    /// for where each entry goes).
    func commit(_ batch: CommitBatch) async throws
    /// Aggregates of one pipeline and window, combined over segments, sorted by key then bucket.
    /// `from`/`to` bound bucket starts: from ≤ bucket < to.
    func query(pipeline: String, window: WindowKind, key: String?, from: Int64?, to: Int64?) async throws -> [AggregateRow]
    /// Aggregates of the segments in [segmentFrom, segmentTo) in their active generations (no live side), combined over
    /// those segments, sorted by key (UTF-8 bytes) then bucket. For `verify`.
    func segmentAggregates(pipeline: String, window: WindowKind, segmentFrom: Int64, segmentTo: Int64) async throws -> [AggregateRow]
}

/// The object ledger: which object versions are committed, per pipeline and generation.
public protocol LedgerStore: Sendable {
    /// Per (pipeline, url), the entry of the highest generation among 0 and the generations of COMPLETED
    /// replacements (so after a replace the corrected versions count, after a revert the old ones again), by URL.
    func ledger(pipelines: [String]) async throws -> [String: [LedgerEntry]]
    /// One generation's ledger entries, by object URL.
    func ledger(pipelines: [String], generation: Int64) async throws -> [String: [LedgerEntry]]
    /// The pipelines whose ledger holds `url` at generation 0.
    func committedPipelines(url: String, pipelines: [String]) async throws -> [String]
}

/// Runs (and replaces, reverts, gcs) as recorded, and the objects that failed in them.
public protocol RunLogStore: Sendable {
    func startRun(_ run: RunRecord) async throws -> Int64
    func finishRun(_ run: RunRecord) async throws
    func recordFailure(_ failure: ObjectFailure) async throws
    /// The latest runs, newest first.
    func runs(limit: Int) async throws -> [RunRecord]
    func failures(runID: Int64) async throws -> [ObjectFailure]
}

/// Leases let workers in several processes share the objects of a job: a worker processes an object only while it
/// holds the object's lease; a dead worker's leases expire and another worker takes its objects over. Every store
/// implements them for real: there is no default that grants everything.
public protocol LeaseStore: Sendable {
    /// Takes the lease of `url` for `worker` until now + `seconds`, if it is free, expired or already `worker`'s.
    func tryLease(url: String, worker: String, seconds: Double) async throws -> Bool
    /// Extends `worker`'s leases of `urls`.
    func renewLeases(urls: [String], worker: String, seconds: Double) async throws
    /// Gives up `worker`'s leases of `urls`.
    func releaseLeases(urls: [String], worker: String) async throws
    /// Leases not yet expired.
    func activeLeases() async throws -> [ObjectLease]
}

/// Setting a store up (`backfill store init`) and the store-wide write rate (`backfill throttle`; see WriteRate.swift).
public protocol SettingsStore: Sendable {
    /// Creates what the store needs (the DynamoDB table; the SQL schema) or upgrades it, and says what it did.
    func initialize() async throws -> StoreInitReport
    /// The write rate cap running jobs on this store follow; nil when there is none.
    func writeRateLimit() async throws -> WriteRateSetting?
    /// Sets the cap (write units per second, 0 pauses) or, with nil, removes it.
    func setWriteRateLimit(_ unitsPerSecond: Double?) async throws
}

/// Where partial aggregates, the object ledger, run records, leases, settings and lineage live: every role, one
/// implementation per backend (SQLite, PostgreSQL, DynamoDB). Backends keep only their atomic I/O; the decisions are
/// the shared core's (`CommitNormalizer`, `AggregateReader`, `ReplacementRules`, `PipelineRegistry`, StoreCodes.swift).
public protocol StateStore: PartialsStore, LedgerStore, RunLogStore, LeaseStore, SettingsStore, LineageStore {
    /// Creates or upgrades the schema.
    func migrate() async throws
    /// Checks, writing nothing, that the store is there with the schema this backfill reads (a missing file, schema or
    /// table is an error naming it), and loads what reads need. Read-only opens call it instead of `migrate`.
    func checkReadable() async throws
    /// Releases the store's connections (idempotent). A store is not used after it is closed.
    func close() async
}
