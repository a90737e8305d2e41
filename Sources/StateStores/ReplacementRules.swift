import Aggregation

/// The replacement state machine as pure decisions, the same for every store: the store reads what a decision needs
/// (in its transaction, or under its lineage version), asks here, and writes the outcome atomically.
public enum ReplacementRules {
    // MARK: Begin

    /// What `beginReplacement` does, given the replacements in progress.
    public struct BeginPlan: Sendable {
        /// Stale in-progress replacements of other work that overlap: each is failed (its generation deleted).
        public var abandon: [Replacement]
        /// A stale in-progress replacement of the same work, taken over (worker and heartbeat already updated).
        public var resume: Replacement?
    }

    /// Refuses (`ReplaceConflict`) when an overlapping replacement in progress has a heartbeat newer than `staleAfter`
    /// seconds; else takes over the first stale one of the same work and abandons the other overlapping ones.
    public static func begin(_ proposed: Replacement, inProgress: [Replacement], now: Double, staleAfter: Double) throws -> BeginPlan {
        guard !proposed.pipelines.isEmpty, proposed.segmentMillis > 0, proposed.segmentFrom < proposed.segmentTo else {
            throw StoreError("a replacement needs pipelines and a non-empty segment range")
        }
        let overlapping = inProgress.filter { $0.state == .inProgress && $0.overlaps(proposed) }
        if let live = overlapping.first(where: { now - $0.heartbeatAt < staleAfter }) { throw ReplaceConflict(inProgress: live) }
        var plan = BeginPlan(abandon: [], resume: nil)
        for r in overlapping {
            if plan.resume == nil && r.sameWork(as: proposed) {
                var taken = r
                taken.worker = proposed.worker
                taken.heartbeatAt = now
                plan.resume = taken
            } else {
                plan.abandon.append(r)
            }
        }
        return plan
    }

    /// The message an abandoned replacement is failed with.
    public static func abandonedMessage(_ r: Replacement, by proposed: Replacement, at now: Double) -> String {
        "abandoned: no heartbeat since \(formatSeconds(r.heartbeatAt)) (\(r.worker)); replaced by a new replacement started by \(proposed.worker) at \(formatSeconds(now))"
    }

    /// The generation of a new replacement: above every generation used anywhere in the store (replacements, stored
    /// partials, ledger rows); `maxUsed` is the largest of those (nil or ≤ 0 when none).
    public static func nextGeneration(maxUsed: Int64?) -> Int64 { max(maxUsed ?? 0, 0) + 1 }

    /// A new replacement as it starts: `proposed` (its start time kept) with its id and generation, in progress,
    /// its heartbeat `now`, nothing done yet.
    public static func started(_ proposed: Replacement, id: Int64, generation: Int64, now: Double) -> Replacement {
        var r = proposed
        r.id = id
        r.generation = generation
        r.state = .inProgress
        r.heartbeatAt = now
        r.finishedAt = nil
        r.revertedAt = nil
        r.objects = 0
        r.rowsRead = 0
        r.previous = []
        r.collected = false
        r.message = nil
        return r
    }

    // MARK: Heartbeat, complete, fail

    /// Why a heartbeat of `r` by `worker` was refused.
    public static func heartbeatRefused(_ r: Replacement, worker: String) -> StoreError {
        if r.state != .inProgress { return StoreError("replacement \(r.id) is \(r.state.rawValue), not in progress") }
        return StoreError("replacement \(r.id) is worked on by \(r.worker), not \(worker)")
    }

    /// Completing and failing need a replacement in progress.
    public static func checkInProgress(_ r: Replacement, to what: String) throws {
        guard r.state == .inProgress else {
            throw StoreError("replacement \(r.id) is \(r.state.rawValue); only a replacement in progress can be \(what)")
        }
    }

    /// `r` completed: `previous` holds each (pipeline, segment)'s active generation before the switch
    /// (`active[pipeline][segment]`, absent = 0).
    public static func completed(_ r: Replacement, active: [String: [Int64: Int64]], objects: Int, rowsRead: Int, now: Double) -> Replacement {
        var done = r
        done.previous = r.pipelines.flatMap { name in
            r.segments.map { SegmentGeneration(pipeline: name, segment: $0, generation: active[name]?[$0] ?? 0) }
        }
        done.state = .completed
        done.finishedAt = now
        done.objects = objects
        done.rowsRead = rowsRead
        return done
    }

    // MARK: Revert

    /// A revert needs a completed replacement, not collected, with no later completed replacement overlapping it
    /// (that one must be reverted first; the message names it).
    public static func checkRevertible(_ r: Replacement, among all: [Replacement]) throws {
        guard r.state == .completed else {
            throw StoreError("replacement \(r.id) is \(r.state.rawValue); only a completed replacement can be reverted")
        }
        guard !r.collected else { throw StoreError("replacement \(r.id) cannot be reverted: gc removed the generations it replaced") }
        let later = all.filter { $0.state == .completed && $0.id != r.id && $0.generation > r.generation && $0.overlaps(r) }
        if let latest = later.max(by: { $0.generation < $1.generation }) {
            throw StoreError("""
                replacement \(r.id) cannot be reverted: replacement \(latest.id) (\(formatMillis(latest.from)) to \(formatMillis(latest.to)), \
                pipelines \(latest.pipelines.joined(separator: ", "))) replaced an overlapping range after it; revert that one first
                """)
        }
    }

    /// `r` reverted at `now`.
    public static func reverted(_ r: Replacement, now: Double) -> Replacement {
        var done = r
        done.state = .reverted
        done.revertedAt = now
        return done
    }

    /// The error for an id no replacement has.
    public static func unknown(_ id: Int64, in location: String) -> StoreError { StoreError("no replacement \(id) in \(location)") }
}

/// What `collectGarbage` keeps and drops, decided from the replacements and a cutoff (seconds since the epoch).
///
/// Kept: partials of the live generation, of each (pipeline, segment)'s active generation, and of the generation and
/// `previous` generations of every replacement in progress or finished (completed or reverted) after the cutoff.
/// Ledger rows of generations > 0 stay for those replacements and for completed ones still active on some segment or
/// kept for a revert; the rest are dropped. Replacements whose `previous` generation was dropped become `collected`.
public struct GarbageRules: Sendable {
    public let replacements: [Replacement]
    /// (pipeline, segment, generation) that in-progress or recent replacements may still switch to.
    public let pinned: Set<SegmentGeneration>
    /// Generations of replacements in progress or recent.
    public let recent: Set<Int64>

    public init(replacements: [Replacement], before: Double) {
        self.replacements = replacements
        var pinned = Set<SegmentGeneration>()
        var recent = Set<Int64>()
        for r in replacements {
            let finishedLater = (r.state == .completed || r.state == .reverted) && max(r.finishedAt ?? 0, r.revertedAt ?? 0) > before
            guard r.state == .inProgress || finishedLater else { continue }
            recent.insert(r.generation)
            for name in r.pipelines {
                for s in r.segments { pinned.insert(SegmentGeneration(pipeline: name, segment: s, generation: r.generation)) }
            }
            pinned.formUnion(r.previous)
        }
        self.pinned = pinned
        self.recent = recent
    }

    /// Whether the stored partials of `stored` are garbage, given the active generation of its segment.
    public func drops(_ stored: SegmentGeneration, active: Int64) -> Bool {
        stored.generation != liveGeneration && stored.generation != active && !pinned.contains(stored)
    }

    /// The generations > 0 whose ledger rows stay, given the generations active on some segment.
    public func keptLedgerGenerations(active: Set<Int64>) -> Set<Int64> {
        let pinnedGenerations = Set(pinned.map(\.generation))
        var keep = recent
        for r in replacements where r.state == .completed && (active.contains(r.generation) || pinnedGenerations.contains(r.generation)) {
            keep.insert(r.generation)
        }
        return keep
    }

    /// The replacements to mark collected once `dropped` is gone.
    public func collected(dropped: Set<SegmentGeneration>) -> [Replacement] {
        replacements.filter { r in !r.collected && r.previous.contains { dropped.contains($0) } }
    }

    /// The report: dropped (pipeline, segment, generation) sorted, with the rows deleted.
    public static func report(dropped: some Sequence<SegmentGeneration>, partialRows: Int, ledgerRows: Int) -> GarbageCollected {
        GarbageCollected(generations: dropped.sorted { ($0.pipeline, $0.segment, $0.generation) < ($1.pipeline, $1.segment, $1.generation) },
                         partialRows: partialRows, ledgerRows: ledgerRows)
    }
}
