import Aggregation

// Generations, segment lineage, replacements and the live boundary.
//
// Partials are stored per (pipeline, window, key, segment, generation). Generation 0 holds ordinary runs; every
// replacement writes a new generation G (unique in the store) and, when complete, switches the lineage entry of
// each of its (pipeline, segment) pairs from the old generation to G in ONE transaction. Readers combine, per
// segment, the active generation (lineage, or 0 when absent) and the live generation (`liveGeneration`), so they
// never see a mix. Old generations stay until `collectGarbage`, so a revert is one lineage switch back.

/// The generation written by the live side (rows at or after a pipeline's boundary); always read, never replaced.
public let liveGeneration: Int64 = -1

public enum ReplacementState: String, Sendable, Codable, CaseIterable {
    case inProgress = "in_progress"
    case completed
    case reverted
    case failed
}

/// One (pipeline, segment) and a generation: the previous generation of a segment a replacement switched.
public struct SegmentGeneration: Sendable, Hashable, Codable {
    public var pipeline: String
    public var segment: Int64
    public var generation: Int64
    public init(pipeline: String, segment: Int64, generation: Int64) {
        self.pipeline = pipeline
        self.segment = segment
        self.generation = generation
    }
}

/// A replacement of a time range, as recorded in the store's lineage.
public struct Replacement: Sendable, Equatable {
    /// Assigned by the store (`beginReplacement`).
    public var id: Int64
    public var pipelines: [String]
    /// The range asked for, epoch ms, [from, to).
    public var from: Int64
    public var to: Int64
    /// The segments recomputed: [segmentFrom, segmentTo), multiples of `segmentMillis` covering [from, to).
    public var segmentFrom: Int64
    public var segmentTo: Int64
    public var segmentMillis: Int64
    /// Assigned by the store: greater than every generation used before in the store.
    public var generation: Int64
    public var state: ReplacementState
    public var configHash: String
    /// host:pid of the process doing it.
    public var worker: String
    /// Seconds since the epoch.
    public var startedAt: Double
    public var heartbeatAt: Double
    public var finishedAt: Double?
    public var revertedAt: Double?
    public var objects: Int
    public var rowsRead: Int
    /// Filled when completed: the generation each (pipeline, segment) had before the switch.
    public var previous: [SegmentGeneration]
    /// True once `collectGarbage` removed a generation this replacement would need to be reverted.
    public var collected: Bool
    public var message: String?

    public init(id: Int64 = 0, pipelines: [String], from: Int64, to: Int64, segmentFrom: Int64, segmentTo: Int64, segmentMillis: Int64,
                generation: Int64 = 0, state: ReplacementState = .inProgress, configHash: String, worker: String,
                startedAt: Double, heartbeatAt: Double? = nil, finishedAt: Double? = nil, revertedAt: Double? = nil,
                objects: Int = 0, rowsRead: Int = 0, previous: [SegmentGeneration] = [], collected: Bool = false, message: String? = nil) {
        self.id = id
        self.pipelines = pipelines
        self.from = from
        self.to = to
        self.segmentFrom = segmentFrom
        self.segmentTo = segmentTo
        self.segmentMillis = segmentMillis
        self.generation = generation
        self.state = state
        self.configHash = configHash
        self.worker = worker
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt ?? startedAt
        self.finishedAt = finishedAt
        self.revertedAt = revertedAt
        self.objects = objects
        self.rowsRead = rowsRead
        self.previous = previous
        self.collected = collected
        self.message = message
    }

    /// The segment starts it covers.
    public var segments: [Int64] { Array(stride(from: segmentFrom, to: segmentTo, by: Int(segmentMillis))) }

    /// Same pipeline and overlapping segments.
    public func overlaps(_ other: Replacement) -> Bool {
        segmentFrom < other.segmentTo && other.segmentFrom < segmentTo && !Set(pipelines).isDisjoint(with: other.pipelines)
    }

    /// Same work: a resumed replacement must be asked for exactly the same thing.
    public func sameWork(as other: Replacement) -> Bool {
        Set(pipelines) == Set(other.pipelines) && segmentFrom == other.segmentFrom && segmentTo == other.segmentTo
            && configHash == other.configHash
    }
}

/// What `beginReplacement` did.
public enum ReplacementStart: Sendable {
    /// A new replacement (new id and generation).
    case started(Replacement)
    /// An abandoned replacement of the same work (its heartbeat stale) taken over: its committed objects are kept.
    case resumed(Replacement)

    public var replacement: Replacement {
        switch self {
        case .started(let r), .resumed(let r): return r
        }
    }
}

/// A replacement refused because another one of an overlapping range is in progress.
public struct ReplaceConflict: Error, CustomStringConvertible, Sendable {
    public let inProgress: Replacement
    public init(inProgress: Replacement) { self.inProgress = inProgress }
    public var description: String {
        "replacement \(inProgress.id) of an overlapping range (\(formatMillis(inProgress.from)) to \(formatMillis(inProgress.to)), pipelines \(inProgress.pipelines.joined(separator: ", "))) is in progress on \(inProgress.worker) since \(formatSeconds(inProgress.startedAt)); wait for it, or, if that process is gone, retry after its heartbeat is stale"
    }
}

/// What `collectGarbage` removed.
public struct GarbageCollected: Sendable, Equatable {
    /// (pipeline, segment, generation) whose partials were dropped.
    public var generations: [SegmentGeneration]
    /// Stored partial rows (SQL rows or DynamoDB items) deleted.
    public var partialRows: Int
    /// Ledger rows deleted (of generations no longer active anywhere).
    public var ledgerRows: Int
    public init(generations: [SegmentGeneration] = [], partialRows: Int = 0, ledgerRows: Int = 0) {
        self.generations = generations
        self.partialRows = partialRows
        self.ledgerRows = ledgerRows
    }
}

/// Lineage, as every store implements it (the decisions are `ReplacementRules`'; the store does them atomically).
/// The semantics, which the conformance suite checks on each store:
///
/// - `commit` with `generation == 0` (ordinary runs) writes each entry into the ACTIVE generation of its
///   (pipeline, segment) (lineage, or 0), so new objects that land in a replaced segment stay visible; ledger rows at 0.
///   With `generation == G > 0` (a replacement) or `liveGeneration`, every entry and ledger row goes to that generation.
/// - `query` combines, per (pipeline, segment), the active generation and `liveGeneration`.
/// - `ledger(pipelines:)` returns, per (pipeline, url), the entry of the highest generation among 0 and the
///   generations of COMPLETED replacements (so after a replace the corrected versions count, after a revert the
///   old ones again); `ledger(pipelines:generation:)` returns exactly one generation's entries.
public protocol LineageStore: Sendable {
    /// Atomically: refuses (`ReplaceConflict`) when a replacement of an overlapping range and pipeline is in progress
    /// with a heartbeat newer than `staleAfter` seconds; takes over a stale in-progress replacement of the same work
    /// (`sameWork`: worker and heartbeat updated, `.resumed`); marks a stale one of other work failed (its
    /// generation's partials and ledger deleted) and then starts. A start gets a new id and a generation greater than
    /// every generation used in the store (`ReplacementRules.nextGeneration`), in state in progress.
    func beginReplacement(_ proposed: Replacement, staleAfter: Double) async throws -> ReplacementStart
    /// Refreshes the heartbeat of an in-progress replacement (fails if it is no longer in progress or not `worker`'s).
    func heartbeatReplacement(id: Int64, worker: String) async throws
    /// ONE transaction: for each pipeline and segment of the replacement, records the current active generation in
    /// `previous` and sets the lineage to the replacement's generation; state completed, counts and finish time set.
    func completeReplacement(id: Int64, objects: Int, rowsRead: Int) async throws -> Replacement
    /// Marks an in-progress replacement failed with `message` and deletes its generation's partials and ledger rows.
    func failReplacement(id: Int64, message: String) async throws
    /// ONE transaction: switches each (pipeline, segment) back to its `previous` generation; state reverted.
    /// Refused (`LineageError`) unless the replacement is completed, not collected, and no later completed
    /// replacement overlaps it (that one must be reverted first; the message names it).
    func revertReplacement(id: Int64) async throws -> Replacement
    /// Every replacement, newest first.
    func replacements() async throws -> [Replacement]
    /// Sets (or, with nil, clears) a pipeline's live boundary (epoch ms). Keyed by pipeline NAME: a boundary may be set
    /// before the pipeline's first run registers it.
    func setBoundary(pipeline: String, at: Int64?) async throws
    /// Boundaries by pipeline.
    func boundaries() async throws -> [String: Int64]
    /// Drops partials of (pipeline, segment, generation) that are neither active, nor live, nor the generation or a
    /// `previous` generation of a replacement that is in progress or finished (completed/reverted) after `before`
    /// (seconds since the epoch); ledger rows of generations > 0 whose replacement is not completed and finished
    /// before `before`. Replacements whose `previous` generation was dropped become `collected`.
    func collectGarbage(before: Double) async throws -> GarbageCollected
}

/// Text of an epoch-ms instant for messages (UTC, RFC 3339).
public func formatMillis(_ ms: Int64) -> String { rfc3339UTC(ms) }

/// Text of a seconds-since-the-epoch instant for messages.
public func formatSeconds(_ s: Double) -> String { rfc3339UTC(Int64((s * 1000).rounded())) }
