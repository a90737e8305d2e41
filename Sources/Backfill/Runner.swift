import Aggregation
import Datasets
import Foundation
import Parquet
import StateStores

#if canImport(Glibc)
import Glibc
#endif

/// Options for `backfill run`.
public struct RunOptions: Sendable {
    /// Objects processed at once (default: the CPUs this process may use).
    public var concurrency: Int
    /// Read and fold everything, commit nothing.
    public var dryRun: Bool
    /// Show a progress line on standard error.
    public var progress: Bool
    /// Commit a worker's group when it holds this many partial entries...
    public var commitEntries: Int
    /// ...or when this many seconds passed since its last commit.
    public var commitSeconds: Double
    /// Verify Parquet page checksums.
    public var verifyChecksums: Bool
    /// How long an object's lease lasts without a heartbeat (a killed worker's objects are taken over after this).
    public var leaseSeconds: Double
    /// What the run writes: an ordinary run, a replacement's generation, the live side, or a verify recomputation.
    public var mode: RunMode = .run
    /// Live boundaries by pipeline; nil reads them from the store (verify passes the real store's).
    public var boundaries: [String: Int64]?
    /// Caps this process's commits at this many write units per second (what a unit is depends on the store, see
    /// `StateStores/WriteRate.swift`); nil: no cap of its own. The store's setting (`backfill throttle`) also applies.
    public var maxWriteUnits: Double?
    /// How often the store's write rate setting is read while the run goes on.
    public var ratePollSeconds: Double

    public init(concurrency: Int = RunOptions.availableCPUs, dryRun: Bool = false, progress: Bool = false,
                commitEntries: Int = 4_000_000, commitSeconds: Double = 15, verifyChecksums: Bool = true,
                leaseSeconds: Double = 60, maxWriteUnits: Double? = nil, ratePollSeconds: Double = 1, mode: RunMode = .run) {
        self.mode = mode
        self.maxWriteUnits = maxWriteUnits
        self.ratePollSeconds = ratePollSeconds
        self.leaseSeconds = leaseSeconds
        self.concurrency = concurrency
        self.dryRun = dryRun
        self.progress = progress
        self.commitEntries = commitEntries
        self.commitSeconds = commitSeconds
        self.verifyChecksums = verifyChecksums
    }

    /// CPUs in this process's affinity mask (so `taskset -c 0` means 1).
    public static var availableCPUs: Int {
        // Linux: count the bits of Cpus_allowed in /proc/self/status (taskset and cgroups shrink it).
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) {
            let hex = line.dropFirst("Cpus_allowed:".count).filter { $0.isHexDigit }
            let n = hex.reduce(0) { $0 + (Int(String($1), radix: 16) ?? 0).nonzeroBitCount }
            if n > 0 { return n }
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }
}

/// What a run writes.
public enum RunMode: Sendable {
    /// An ordinary run: objects not in the ledger, rows before the boundary, into each segment's active generation.
    case run
    /// A replacement: every object whose rows can fall in its segments (except those already committed to its
    /// generation, when resumed), rows of those segments before the boundary, into its generation.
    case replace(Replacement)
    /// The live side: rows at or after the boundary, into the live generation (for a live writer built on Backfill).
    case live
    /// A recomputation for `verify` into a scratch store: rows of the segments in [from, to) before the boundary.
    case verify(segmentFrom: Int64, segmentTo: Int64)

    public var generation: Int64 {
        switch self {
        case .run, .verify: return 0
        case .replace(let r): return r.generation
        case .live: return liveGeneration
        }
    }

    /// The segments whose rows are folded, [from, to); nil for all.
    public var segmentRange: (from: Int64, to: Int64)? {
        switch self {
        case .run, .live: return nil
        case .replace(let r): return (r.segmentFrom, r.segmentTo)
        case .verify(let from, let to): return (from, to)
        }
    }

    /// The run record's kind.
    public var kind: String {
        switch self {
        case .run: return "run"
        case .replace: return "replace"
        case .live: return "live"
        case .verify: return "verify"
        }
    }

    var isLive: Bool { if case .live = self { return true } else { return false } }
    /// Leases share objects between processes of one ordinary job (the lease re-check reads the ordinary ledger).
    var usesLeases: Bool {
        switch self {
        case .run: return true
        case .replace, .verify, .live: return false
        }
    }
}

/// What a run did.
public struct RunSummary: Sendable {
    public var runID: Int64 = 0
    public var objectsTotal = 0
    public var objectsCommitted = 0
    public var objectsAlreadyDone = 0
    public var objectsFailed = 0
    public var rowsRead = 0
    public var rowsRejected = 0
    public var rowsAfterBoundary = 0
    /// Rows read outside the replaced (or verified) segments, not folded.
    public var rowsOutsideRange = 0
    /// Objects not read because their partition path or row-group statistics put them outside the range.
    public var objectsPruned = 0
    /// Parquet row groups skipped by their event-time statistics.
    public var rowGroupsSkipped = 0
    /// The live boundary by pipeline, as the run applied it.
    public var boundaries: [String: Int64] = [:]
    /// The run's kind: run, replace, live or verify.
    public var mode = "run"
    public var bucketsWritten = 0
    public var commits = 0
    public var seconds = 0.0
    public var failures: [String] = []
    public var dryRun = false
    /// Write requests the store sent during the run (DynamoDB: every write API call, retries included); nil for
    /// stores that do not count them.
    public var writeRequests: Int?
    /// The same by API call (TransactWriteItems, PutItem, UpdateItem, BatchWriteItem, DeleteItem).
    public var writeRequestsByOperation: [String: Int] = [:]
    /// Write units the commits were paced for, and the seconds commits spent waiting (summed over workers).
    public var writeUnits = 0
    public var pacedSeconds = 0.0

    /// Write requests per source row read; nil when not counted or no row was read.
    public var writeRequestsPerRow: Double? {
        guard let writeRequests, rowsRead > 0 else { return nil }
        return Double(writeRequests) / Double(rowsRead)
    }

    public var succeeded: Bool { objectsFailed == 0 && failures.isEmpty }
}

/// Errors that stop a run.
public struct RunError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The job runner: plan → scan → fold → commit, exactly once per object and pipeline.
public final class Runner: @unchecked Sendable {
    public let config: JobConfig
    public let store: any StateStore
    public let options: RunOptions
    let definitions: [PipelineDefinition]
    let calendars: [BucketCalendar]
    let deadLetter: DeadLetter?
    let startMillis: Int64
    /// Live boundaries by pipeline index (nil: none), loaded at the start of `run()`.
    var boundaryByPipeline: [Int64?] = []
    /// Opens local files and S3 objects.
    public let sources: SourceResolver
    /// Turns one source object into row blocks (the job's `source.format`).
    let format: any FileFormat

    public init(config: JobConfig, store: any StateStore, options: RunOptions, sources: SourceResolver = SourceResolver()) throws {
        self.sources = sources
        format = config.source.fileFormat
        self.config = config
        self.store = store
        self.options = options
        definitions = config.pipelines.map { PipelineDefinition(name: $0.name, monoid: Monoid($0.monoid), timeZone: $0.timeZone) }
        calendars = try config.pipelines.map { try BucketCalendar(timeZone: $0.timeZone) }
        if config.errors.policy == .skip, let path = config.errors.deadLetter, !options.dryRun {
            deadLetter = try DeadLetter(path: path)
        } else {
            deadLetter = nil
        }
        startMillis = Int64(Date().timeIntervalSince1970 * 1000)
    }

    /// Runs the whole job.
    public func run() async throws -> RunSummary {
        let began = Date()
        let counter = store as? any WriteRequestCounting
        let writesBefore = counter?.writeRequestsSent
        let writesByOperationBefore = counter?.writeRequestsByOperation ?? [:]
        try await store.migrate()
        try await store.register(definitions)
        let boundaries: [String: Int64]
        if let given = options.boundaries { boundaries = given } else { boundaries = try await store.boundaries() }
        boundaryByPipeline = config.pipelines.map { boundaries[$0.name] }
        if options.mode.isLive, let missing = config.pipelines.first(where: { boundaries[$0.name] == nil }) {
            throw RunError("pipeline '\(missing.name)' has no live boundary; the live side writes only at or after one (backfill boundary set)")
        }
        // Write pacing: this run's cap and the store's setting, read now (a paused store starts paused) and polled.
        let limiter = WriteRateLimiter(maxWriteUnits: options.maxWriteUnits)
        if !options.dryRun { limiter.setStoreRate(try await store.writeRateLimit()?.unitsPerSecond) }
        let ratePoller = options.dryRun ? nil : Task { [store, options] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(max(options.ratePollSeconds, 0.05) * 1_000_000_000))
                // A failed read keeps the rate in force; the next poll tries again.
                do { limiter.setStoreRate(try await store.writeRateLimit()?.unitsPerSecond) } catch {}
            }
        }
        defer { ratePoller?.cancel() }
        let plan: RunPlan
        do {
            plan = try await RunPlan.make(config: config, store: store, sources: sources, mode: options.mode)
        } catch {
            await sources.shutdown()
            throw error
        }
        if let c = plan.conflicts.first {
            throw RunError("""
                \(c.file.path) changed after it was committed (committed \(c.committedVersion ?? "?"), now \(c.version)); \
                changed history is a correction, not new data: use `backfill replace` for its time range \
                (\(plan.conflicts.count) object(s) in conflict)
                """)
        }
        if let gone = plan.rewritten.first {
            let directory = RunPlan.directory(gone)
            throw RunError("""
                \(directory) was rewritten: \(plan.rewritten.count) committed object(s) are gone from it (e.g. \(gone)) and new ones \
                appeared; folding them would count that partition twice. A rewritten partition is a correction: use \
                `backfill replace` for its time range
                """)
        }
        var summary = RunSummary()
        summary.dryRun = options.dryRun
        summary.objectsTotal = plan.objects.count
        summary.objectsAlreadyDone = plan.done
        summary.objectsPruned = plan.pruned
        summary.mode = options.mode.kind
        summary.boundaries = boundaries.filter { b in config.pipelines.contains { $0.name == b.key } }
        let pending = plan.pending
        if !options.dryRun {
            summary.runID = try await store.startRun(RunRecord(kind: options.mode.kind, configHash: config.configHash,
                                                               startedAt: began.timeIntervalSince1970, status: "running"))
        }
        let progress = Progress(totalObjects: pending.count, totalBytes: pending.reduce(0) { $0 + $1.file.size }, enabled: options.progress)
        let ticker = options.progress ? Task {
            while !Task.isCancelled {
                progress.render()
                try? await Task.sleep(nanoseconds: 500_000_000)
            }
        } : nil
        let workerCount = max(1, min(options.concurrency, max(pending.count, 1)))
        let queue = WorkQueue(pending, workers: workerCount)
        let shared = SharedSummary()
        var runError: Error?
        let runID = summary.runID
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<workerCount {
                    group.addTask { try await self.worker(w, queue: queue, progress: progress, summary: shared, runID: runID, pacer: limiter) }
                }
                try await group.waitForAll()
            }
        } catch {
            runError = error
        }
        ticker?.cancel()
        progress.finish()
        await sources.shutdown()
        try deadLetter?.close()
        let s = shared.snapshot()
        summary.objectsCommitted = s.objectsCommitted
        summary.objectsAlreadyDone += s.objectsAlreadyDone
        summary.objectsFailed = s.objectsFailed
        summary.rowsRead = s.rowsRead
        summary.rowsRejected = s.rowsRejected
        summary.rowsAfterBoundary = s.rowsAfterBoundary
        summary.rowsOutsideRange = s.rowsOutsideRange
        summary.rowGroupsSkipped = s.rowGroupsSkipped
        summary.bucketsWritten = s.bucketsWritten
        summary.commits = s.commits
        summary.failures = s.failures
        if let runError { summary.failures.append("\(runError)") }
        summary.seconds = Date().timeIntervalSince(began)
        if !options.dryRun {
            var record = RunRecord(id: summary.runID, kind: options.mode.kind, configHash: config.configHash, startedAt: began.timeIntervalSince1970,
                                   finishedAt: Date().timeIntervalSince1970, status: runError == nil && summary.succeeded ? "succeeded" : "failed",
                                   objectsCommitted: summary.objectsCommitted, objectsSkipped: summary.objectsAlreadyDone,
                                   objectsFailed: summary.objectsFailed + (runError == nil ? 0 : 1), rowsRead: summary.rowsRead,
                                   rowsRejected: summary.rowsRejected, bucketsWritten: summary.bucketsWritten)
            record.message = summary.failures.first
            try? await store.finishRun(record)
        }
        ratePoller?.cancel()
        if let counter, let writesBefore {
            summary.writeRequests = counter.writeRequestsSent - writesBefore
            summary.writeRequestsByOperation = counter.writeRequestsByOperation.reduce(into: [:]) { out, e in
                let n = e.value - (writesByOperationBefore[e.key] ?? 0)
                if n > 0 { out[e.key] = n }
            }
        }
        (summary.writeUnits, summary.pacedSeconds) = limiter.totals
        if let runError { throw RunFailed(summary: summary, underlying: runError) }
        return summary
    }

    /// One worker: takes objects from the queue, folds them into its own tables, commits its groups.
    private func worker(_ index: Int, queue: WorkQueue, progress: Progress, summary: SharedSummary, runID: Int64,
                        pacer: WriteRateLimiter) async throws {
        var tables = makeTables()
        var group: [(PlannedObject, ObjectRecord)] = []
        var lastCommit = Date()
        // Leases: an object is processed only while this worker holds its lease in the store, so several processes can
        // share the job; a heartbeat keeps the leases of uncommitted objects alive.
        let workerID = "\(Runner.processID):\(index)"
        let useLeases = !options.dryRun && options.mode.usesLeases
        let held = HeldLeases()
        var deferred: [PlannedObject] = []
        let heartbeat = useLeases ? Task { [store, options] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(max(options.leaseSeconds / 3, 0.05) * 1_000_000_000))
                try? await store.renewLeases(urls: held.urls, worker: workerID, seconds: options.leaseSeconds)
            }
        } : nil
        defer { heartbeat?.cancel() }
        func commit() async throws {
            guard !group.isEmpty else { return }
            let partials = try tables.indices.map { try tables[$0].drain() }
            let entries = partials.reduce(0) { $0 + $1.count }
            if !options.dryRun {
                try await store.commit(CommitBatch(runID: runID, pipelines: partials, objects: group.map(\.1),
                                                   generation: options.mode.generation, pacer: pacer))
            }
            summary.committed(objects: group.map(\.1), buckets: entries)
            if !useLeases, !options.dryRun, let n = Runner.crashAfterCommits, summary.snapshot().objectsCommitted >= n {
                // Test hook: die like `kill -9` right after a commit (replace has no leases to die holding).
                kill(getpid(), SIGKILL)
            }
            if useLeases {
                let urls = group.map(\.0.file.path)
                held.remove(urls)
                try? await store.releaseLeases(urls: urls, worker: workerID)
            }
            group.removeAll()
            lastCommit = Date()
        }
        /// Leases an object; nil when another worker holds it (tried again later) or has committed it meanwhile.
        func take(_ object: PlannedObject) async throws -> PlannedObject? {
            guard useLeases else { return object }
            guard try await store.tryLease(url: object.file.path, worker: workerID, seconds: options.leaseSeconds) else {
                deferred.append(object)
                return nil
            }
            let done = try await store.committedPipelines(url: object.file.path, pipelines: object.pipelines)
            var o = object
            o.pipelines = object.pipelines.filter { !done.contains($0) }
            if o.pipelines.isEmpty {
                try? await store.releaseLeases(urls: [object.file.path], worker: workerID)
                summary.alreadyDone()
                progress.objectDone(bytes: object.file.size)
                return nil
            }
            held.add(object.file.path)
            if let n = Runner.crashAfterCommits, summary.snapshot().objectsCommitted >= n {
                // Test hook: die like `kill -9` while holding this object's lease.
                kill(getpid(), SIGKILL)
            }
            return o
        }
        func nextObject() async throws -> PlannedObject? {
            while true {
                if let candidate = await queue.next(worker: index) {
                    if let taken = try await take(candidate) { return taken }
                    continue
                }
                guard !deferred.isEmpty else { return nil }
                // Objects leased by other workers: commit ours, wait, and try them again (an expired lease is taken over).
                try await commit()
                try await Task.sleep(nanoseconds: UInt64(min(max(options.leaseSeconds / 4, 0.05), 2) * 1_000_000_000))
                await queue.requeue(deferred, worker: index)
                deferred = []
            }
        }
        while let object = try await nextObject() {
            let started = Date()
            do {
                let record = try await process(object, into: &tables, progress: progress, seconds: started)
                group.append((object, record))
                progress.objectDone(bytes: object.file.size)
            } catch let error as RowError where config.errors.policy == .fail {
                throw RunError("\(error) (errors.policy is fail: nothing of this object was committed; set policy: skip to send bad rows to a dead letter)")
            } catch {
                if config.errors.policy == .fail { throw error }
                // Skip policy: the object failed as a whole. Its rows may be in this worker's tables, so drop the
                // uncommitted group and process the group's other objects again.
                summary.failed(object.file.path, "\(error)")
                try? await store.recordFailure(ObjectFailure(runID: runID, url: object.file.path, error: "\(error)", at: Date().timeIntervalSince1970))
                progress.objectDone(bytes: object.file.size)
                if useLeases {
                    held.remove([object.file.path])
                    try? await store.releaseLeases(urls: [object.file.path], worker: workerID)
                }
                let redo = group.map(\.0)
                group.removeAll()
                tables = makeTables()
                await queue.requeue(redo, worker: index)
                summary.undoRows(redo.count)
                continue
            }
            let entries = tables.reduce(0) { $0 + $1.count }
            if entries >= options.commitEntries || Date().timeIntervalSince(lastCommit) >= options.commitSeconds {
                try await commit()
            }
        }
        try await commit()
    }

    /// `BACKFILL_TEST_CRASH_AFTER_COMMITS=N`: a test hook that kills the process (SIGKILL) when it takes a lease after N
    /// objects were committed, so tests can stop a worker at an exact point. Never set it in production.
    static let crashAfterCommits: Int? = ProcessInfo.processInfo.environment["BACKFILL_TEST_CRASH_AFTER_COMMITS"].flatMap(Int.init)

    /// host:pid, naming this process's workers in leases and `backfill status`.
    static let processID: String = {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        return "\(String(cString: name)):\(getpid())"
    }()

    /// Fold tables for a worker, one per pipeline (with a rollup of coarser windows where it is exact).
    func makeTables() -> [FoldTable] {
        definitions.indices.map { i in
            let p = config.pipelines[i]
            let rollup = p.retentionMillis == nil && (calendars[i].timeZoneIdentifier == "UTC" || p.windows.allSatisfy { $0 == .lifetime })
            return FoldTable(pipeline: definitions[i], segmentMillis: config.segmentMillis, windows: p.windows, rollup: rollup)
        }
    }

    /// Reads one object and folds its rows. Throws `RowError` for a bad row under `policy: fail`.
    func process(_ object: PlannedObject, into tables: inout [FoldTable], progress: Progress, seconds started: Date) async throws -> ObjectRecord {
        let active = Set(object.pipelines)
        var counts = ObjectCounts()
        let request = RecordRequest(columns: neededColumns(partitions: object.file.partitions), eventTimeColumn: config.eventTime.column,
                                    eventTimeUnit: config.eventTime.unit, verifyChecksums: options.verifyChecksums)
        let records: any RecordSource
        do {
            records = try await format.open(try await sources.byteSource(object.file), file: object.file, request: request)
        } catch let missing as MissingColumnError {
            let field = missing.column == config.eventTime.column ? "event_time.column" : "pipelines"
            throw ConfigError("\(config.line(field)): \(field): \(missing)")
        }
        let prune = prunesBlocks
        while true {
            if prune, let statistics = records.nextBlockStatistics(), let skip = skippableBlock(statistics) {
                // Every row of the block is outside the range (or on the other side of the boundary): not read.
                counts.rows += statistics.rows
                if skip == .outsideRange { counts.outsideRange += statistics.rows } else { counts.afterBoundary += statistics.rows }
                counts.rowGroupsSkipped += 1
                progress.addRows(statistics.rows)
                records.skipBlock()
                continue
            }
            guard let block = try await records.nextBlock() else { break }
            for r in block.rejected {
                counts.rows += 1
                try reject(file: object.file.path, position: r.position, reason: r.reason, text: r.text, counts: &counts)
            }
            if block.count == 0 { continue }
            try fold(block, file: object.file.path, active: active, tables: &tables, counts: &counts)
            progress.addRows(block.count)
        }
        return ObjectRecord(object: ObjectVersion(url: object.file.path, version: object.version), pipelines: object.pipelines,
                            rowsRead: counts.rows, rowsRejected: counts.rejected, rowsAfterBoundary: counts.afterBoundary,
                            seconds: Date().timeIntervalSince(started), rowsOutsideRange: counts.outsideRange,
                            rowGroupsSkipped: counts.rowGroupsSkipped)
    }

    /// Columns the pipelines read (template fields not given by the path, values, the event time).
    func neededColumns(partitions: [HivePartition]) -> [String] {
        var names: [String] = [config.eventTime.column]
        let partitionKeys = Set(partitions.map(\.key))
        for p in config.pipelines {
            for t in p.keys { for f in t.fields where !partitionKeys.contains(f) && !names.contains(f) { names.append(f) } }
            if let v = p.value, !names.contains(v) { names.append(v) }
        }
        return names
    }

    /// Sends a bad row to the dead letter (skip) or stops (fail).
    func reject(file: String, position: String, reason: String, text: String?, counts: inout ObjectCounts) throws {
        if config.errors.policy == .fail { throw RowError(file: file, position: position, reason: reason) }
        counts.rejected += 1
        try deadLetter?.write(file: file, position: position, reason: reason, text: text)
    }

    /// Folds one block into every active pipeline.
    func fold(_ block: RowBlock, file: String, active: Set<String>, tables: inout [FoldTable], counts: inout ObjectCounts) throws {
        let n = block.count
        counts.rows += n
        // Rows without an event time are rejected for every pipeline.
        var usable = [Bool](repeating: true, count: n)
        if let valid = block.eventValid {
            for i in 0..<n where !valid[i] {
                usable[i] = false
                try reject(file: file, position: block.position(i), reason: block.eventErrors[i] ?? "no event time", text: nil, counts: &counts)
            }
        }
        let segmentMillis = config.segmentMillis
        var segments = [Int64](repeating: 0, count: n)
        block.eventMillis.withUnsafeBufferPointer { t in
            for i in 0..<n { segments[i] = floorDiv(t[i], segmentMillis) }
        }
        // A replace or verify folds only the rows of its segments.
        if let range = options.mode.segmentRange {
            for i in 0..<n where usable[i] {
                let t = block.eventMillis[i]
                if t < range.from || t >= range.to {
                    usable[i] = false
                    counts.outsideRange += 1
                }
            }
        }
        // The live boundary: backfills fold rows before it, the live side rows at or after it.
        let live = options.mode.isLive
        var leftToOtherSide: [Bool]?
        let baseUsable = usable
        for (pi, p) in config.pipelines.enumerated() where active.contains(p.name) {
            var usable = baseUsable
            if let boundary = boundaryByPipeline[pi] {
                var left = leftToOtherSide ?? [Bool](repeating: false, count: n)
                for i in 0..<n where usable[i] && (block.eventMillis[i] >= boundary) != live {
                    usable[i] = false
                    left[i] = true
                }
                leftToOtherSide = left
            }
            let calendar = calendars[pi]
            let table = tables[pi]
            let valueColumn = p.value.map { block.columns[$0] } ?? nil
            let isCount = p.monoid == .count
            let retentionCutoff = p.retentionMillis.map { startMillis - $0 }
            let isUTC = calendar.timeZoneIdentifier == "UTC"
            for template in p.keys {
                // Key ids per row: computed once per dictionary entry when the key is one dictionary column.
                var keyIDs = [Int32](repeating: -1, count: n)
                var dictionary: (map: [Int32], codes: [Int32])?
                if let single = template.singleField, case .byteDictionary(let entries, let codes)? = block.columns[single] {
                    let map = table.interner.ids(entries)
                    for i in 0..<n where codes[i] >= 0 { keyIDs[i] = map[Int(codes[i])] }
                    dictionary = (map, codes)
                } else if let single = template.singleField, case .constant(let text)? = block.columns[single] {
                    let id = table.interner.id(text)
                    for i in 0..<n { keyIDs[i] = id }
                } else {
                    for i in 0..<n where usable[i] {
                        if let key = template.render({ block.columns[$0]?.text(i) }) { keyIDs[i] = table.interner.id(key) }
                    }
                }
                for i in 0..<n where usable[i] && keyIDs[i] < 0 {
                    try reject(file: file, position: block.position(i), reason: "pipeline \(p.name): key \(template) has a missing field", text: nil, counts: &counts)
                }
                // Integer values for the fast path.
                var intValues: [Int64]?
                var intValid: [Bool]?
                if case .ints(let v, let valid)? = valueColumn, !isCount, table.fastIntegers {
                    intValues = v
                    intValid = valid
                }
                if let dictionary, (isCount || intValues != nil), table.fastIntegers, retentionCutoff == nil,
                   try foldUniformBlock(n: n, windows: table.foldWindows, isUTC: isUTC, map: dictionary.map, codes: dictionary.codes,
                                        usable: usable, times: block.eventMillis, values: intValues, valid: intValid, table: table) {
                    continue
                }
                for w in table.foldWindows {
                    // UTC minute, hour and day buckets are plain integer floors.
                    var unit: Int64 = 0
                    if isUTC {
                        switch w {
                        case .minute: unit = 60_000
                        case .hourly: unit = 3_600_000
                        case .daily: unit = 86_400_000
                        default: unit = 0
                        }
                    }
                    if (isCount || intValues != nil) && table.fastIntegers && retentionCutoff == nil && (unit > 0 || w == .lifetime) {
                        // The hot path: integer sum or count, UTC or lifetime buckets.
                        let lifetime = w == .lifetime
                        try keyIDs.withUnsafeBufferPointer { keys in
                            try block.eventMillis.withUnsafeBufferPointer { times in
                                try segments.withUnsafeBufferPointer { segs in
                                    try usable.withUnsafeBufferPointer { ok in
                                        for i in 0..<n where ok[i] && keys[i] >= 0 {
                                            var v: Int64 = 1
                                            if let intValues {
                                                if let intValid, !intValid[i] { continue }  // a null value adds nothing
                                                v = intValues[i]
                                            }
                                            let bucket = lifetime ? BucketCalendar.lifetimeBucket : floorDiv(times[i], unit) &* unit
                                            try table.addInt(FoldTable.pack(window: w, segmentIndex: segs[i], key: keys[i]), bucket, v)
                                        }
                                    }
                                }
                            }
                        }
                        continue
                    }
                    for i in 0..<n where usable[i] && keyIDs[i] >= 0 {
                        let t = block.eventMillis[i]
                        let bucket = w == .lifetime ? BucketCalendar.lifetimeBucket : calendar.bucketStart(w, t)
                        if let cutoff = retentionCutoff, w != .lifetime, calendar.bucketEnd(w, start: bucket) <= cutoff { continue }
                        let h = FoldTable.pack(window: w, segmentIndex: segments[i], key: keyIDs[i])
                        if isCount {
                            if table.fastIntegers { try table.addInt(h, bucket, 1) } else { try table.combine(h, bucket, .int(1)) }
                        } else if let intValues, table.fastIntegers {
                            if let intValid, !intValid[i] { continue }
                            try table.addInt(h, bucket, intValues[i])
                        } else {
                            guard let column = valueColumn, let v = column.scalar(i) else { continue }  // null values are ignored, as in SQL
                            let partial: PartialValue
                            do { partial = try definitions[pi].monoid.lift(v, millis: t) } catch {
                                if w == table.foldWindows[0] {
                                    try reject(file: file, position: block.position(i), reason: "pipeline \(p.name): \(error)", text: nil, counts: &counts)
                                }
                                continue
                            }
                            if table.fastIntegers {
                                if case .int(let x) = partial {
                                    try table.addInt(h, bucket, x)
                                    continue
                                }
                                table.switchToGeneral()
                            }
                            try table.combine(h, bucket, partial)
                        }
                    }
                }
            }
        }
        if let left = leftToOtherSide { counts.afterBoundary += left.reduce(0) { $0 + ($1 ? 1 : 0) } }
    }
}

extension Runner {
    /// Pre-aggregation for integer sums and counts keyed by one dictionary column: when every row of the block lies
    /// in one segment and one bucket of every window (files partitioned by hour or day), rows are summed per
    /// dictionary entry in a small array first, and the big table is touched once per entry and window.
    /// Returns false (doing nothing) when the block is not uniform.
    func foldUniformBlock(n: Int, windows: [WindowKind], isUTC: Bool, map: [Int32], codes: [Int32], usable: [Bool], times: [Int64],
                          values: [Int64]?, valid: [Bool]?, table: FoldTable) throws -> Bool {
        var units: [Int64] = []
        for w in windows {
            switch w {
            case .lifetime: units.append(0)
            case .minute where isUTC: units.append(60_000)
            case .hourly where isUTC: units.append(3_600_000)
            case .daily where isUTC: units.append(86_400_000)
            default: return false
            }
        }
        var lo = Int64.max, hi = Int64.min
        var any = false
        for i in 0..<n where usable[i] && codes[i] >= 0 {
            let t = times[i]
            if t < lo { lo = t }
            if t > hi { hi = t }
            any = true
        }
        guard any else { return false }
        let segmentMillis = config.segmentMillis
        let segment = floorDiv(lo, segmentMillis)
        guard segment == floorDiv(hi, segmentMillis) else { return false }
        for u in units where u > 0 && floorDiv(lo, u) != floorDiv(hi, u) { return false }
        let d = map.count
        var sums = [Int64](repeating: 0, count: d)
        var seen = [Bool](repeating: false, count: d)
        try sums.withUnsafeMutableBufferPointer { acc in
            try seen.withUnsafeMutableBufferPointer { hit in
                try codes.withUnsafeBufferPointer { c in
                    try usable.withUnsafeBufferPointer { ok in
                        for i in 0..<n where ok[i] {
                            let e = Int(c[i])
                            if e < 0 { continue }
                            var v: Int64 = 1
                            if let values {
                                if let valid, !valid[i] { continue }  // a null value adds nothing
                                v = values[i]
                            }
                            if hit[e] {
                                let (r, o) = acc[e].addingReportingOverflow(v)
                                if o { throw AggregationError("sum overflows 64-bit integers (\(acc[e]) + \(v))") }
                                acc[e] = r
                            } else {
                                acc[e] = v
                                hit[e] = true
                            }
                        }
                    }
                }
            }
        }
        var keys: [UInt64] = []
        var values: [Int64] = []
        keys.reserveCapacity(d)
        values.reserveCapacity(d)
        for (wi, w) in windows.enumerated() {
            let u = units[wi]
            let bucket = u == 0 ? BucketCalendar.lifetimeBucket : floorDiv(lo, u) &* u
            keys.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
            for e in 0..<d where seen[e] {
                keys.append(FoldTable.pack(window: w, segmentIndex: segment, key: map[e]))
                values.append(sums[e])
            }
            try keys.withUnsafeBufferPointer { k in try values.withUnsafeBufferPointer { v in try table.addInts(k, bucket: bucket, v) } }
        }
        return true
    }
}

/// A run that stopped; carries what it did before stopping.
public struct RunFailed: Error, CustomStringConvertible, Sendable {
    public let summary: RunSummary
    public let underlying: Error
    public var description: String { "\(underlying)" }
}

struct ObjectCounts {
    var rows = 0
    var rejected = 0
    var afterBoundary = 0
    var outsideRange = 0
    var rowGroupsSkipped = 0
}

/// Objects waiting to be processed, shared by workers.
///
/// The pending list (in path order, so Hive partitions, and so event days, are contiguous) is split into one
/// contiguous range per worker. Workers then mostly fold disjoint segments, so their commits rarely touch the
/// same stored partials; a worker that runs dry takes objects from the back of the fullest range.
actor WorkQueue {
    private var ranges: [[PlannedObject]]
    private var fronts: [Int]
    init(_ items: [PlannedObject], workers: Int = 1) {
        let n = max(1, workers)
        let size = (items.count + n - 1) / max(n, 1)
        ranges = (0..<n).map { i in Array(items[min(items.count, i * size)..<min(items.count, (i + 1) * size)]) }
        fronts = Array(repeating: 0, count: n)
    }
    func next(worker: Int = 0) -> PlannedObject? {
        let w = worker % ranges.count
        if fronts[w] < ranges[w].count {
            defer { fronts[w] += 1 }
            return ranges[w][fronts[w]]
        }
        // Steal from the back of the range with the most left.
        guard let victim = ranges.indices.max(by: { ranges[$0].count - fronts[$0] < ranges[$1].count - fronts[$1] }),
              fronts[victim] < ranges[victim].count else { return nil }
        return ranges[victim].removeLast()
    }
    func requeue(_ more: [PlannedObject], worker: Int = 0) { ranges[worker % ranges.count].append(contentsOf: more) }
}

/// URLs whose leases a worker holds and must keep alive.
final class HeldLeases: @unchecked Sendable {
    private let lock = NSLock()
    private var set: Set<String> = []
    var urls: [String] { lock.withLock { Array(set) } }
    func add(_ url: String) { lock.withLock { _ = set.insert(url) } }
    func remove(_ urls: [String]) { lock.withLock { for u in urls { set.remove(u) } } }
}

/// Totals across workers.
final class SharedSummary: @unchecked Sendable {
    private let lock = NSLock()
    private var s = RunSummary()
    func committed(objects: [ObjectRecord], buckets: Int) {
        lock.lock()
        s.objectsCommitted += objects.count
        s.rowsRead += objects.reduce(0) { $0 + $1.rowsRead }
        s.rowsRejected += objects.reduce(0) { $0 + $1.rowsRejected }
        s.rowsAfterBoundary += objects.reduce(0) { $0 + $1.rowsAfterBoundary }
        s.rowsOutsideRange += objects.reduce(0) { $0 + $1.rowsOutsideRange }
        s.rowGroupsSkipped += objects.reduce(0) { $0 + $1.rowGroupsSkipped }
        s.bucketsWritten += buckets
        s.commits += 1
        lock.unlock()
    }
    func alreadyDone() {
        lock.lock()
        s.objectsAlreadyDone += 1
        lock.unlock()
    }
    func failed(_ url: String, _ error: String) {
        lock.lock()
        s.objectsFailed += 1
        s.failures.append("\(error)")
        lock.unlock()
    }
    func undoRows(_ n: Int) {}
    func snapshot() -> RunSummary {
        lock.lock()
        defer { lock.unlock() }
        return s
    }
}

/// Rejected rows and lines, one JSON object per line: file, line or row, reason, and the text when known.
final class DeadLetter: @unchecked Sendable {
    private let lock = NSLock()
    private let handle: FileHandle
    let path: String

    init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw RunError("cannot create the dead letter file \(path)")
            }
        }
        guard let h = FileHandle(forWritingAtPath: path) else { throw RunError("cannot open the dead letter file \(path)") }
        handle = h
        handle.seekToEndOfFile()
    }

    func write(file: String, position: String, reason: String, text: String?) throws {
        var line = "{\"file\": "
        jsonString(file, &line)
        let parts = position.split(separator: " ")
        if parts.count == 2, let n = Int(parts[1]) { line += ", \"\(parts[0])\": \(n)" }
        line += ", \"reason\": "
        jsonString(reason, &line)
        if let text {
            line += ", \"text\": "
            jsonString(text, &line)
        }
        line += "}\n"
        lock.lock()
        defer { lock.unlock() }
        handle.write(Data(line.utf8))
    }

    func close() throws {
        lock.lock()
        defer { lock.unlock() }
        try handle.synchronize()
        try handle.close()
    }
}

/// Appends `s` as a JSON string literal (the canonical escaping `cat` uses).
public func jsonString(_ s: String, _ out: inout String) {
    RowValue.writeJSONString(s, to: &out)
}

/// `s` as a JSON string literal.
public func jsonQuote(_ s: String) -> String {
    var out = ""
    RowValue.writeJSONString(s, to: &out)
    return out
}
