import Aggregation

/// One source object as committed: its URL and the version that was read (size+mtime locally, ETag in S3).
public struct ObjectVersion: Sendable, Hashable {
    public var url: String
    public var version: String
    public init(url: String, version: String) {
        self.url = url
        self.version = version
    }
}

/// A pipeline as the store knows it: the monoid is needed to combine partials.
public struct PipelineDefinition: Sendable, Equatable {
    public var name: String
    public var monoid: Monoid
    public var timeZone: String
    public init(name: String, monoid: Monoid, timeZone: String) {
        self.name = name
        self.monoid = monoid
        self.timeZone = timeZone
    }
}

/// Partial aggregates of one pipeline, columnar: entry i is (window[i], keys[keyIndex[i]], bucket[i], segment[i]) → value i.
public struct PipelinePartials: Sendable {
    public var pipeline: PipelineDefinition
    /// Distinct key strings referenced by `keyIndex`.
    public var keys: [String]
    public var window: [WindowKind] = []
    public var keyIndex: [Int32] = []
    /// Bucket start (epoch ms; `BucketCalendar.lifetimeBucket` for lifetime).
    public var bucket: [Int64] = []
    /// Segment start (epoch ms).
    public var segment: [Int64] = []
    /// Values: integers for sum/count of integers (the fast path), else general partials.
    public var intValues: [Int64]?
    public var values: [PartialValue]?

    public init(pipeline: PipelineDefinition, keys: [String]) {
        self.pipeline = pipeline
        self.keys = keys
    }

    public var count: Int { bucket.count }

    public func value(_ i: Int) -> PartialValue {
        if let intValues { return .int(intValues[i]) }
        return values![i]
    }
}

/// What a run read from one object, recorded in the ledger with its partials.
public struct ObjectRecord: Sendable {
    public var object: ObjectVersion
    /// The pipelines whose partials of this object the commit holds (ledger rows are written for these).
    public var pipelines: [String]
    public var rowsRead: Int
    public var rowsRejected: Int
    /// Rows at or after the live boundary, left to the live side.
    public var rowsAfterBoundary: Int
    public var seconds: Double
    /// Rows read outside a replace's segments (not folded; not stored in the ledger).
    public var rowsOutsideRange: Int
    /// Parquet row groups skipped by their statistics (not stored in the ledger).
    public var rowGroupsSkipped: Int
    public init(object: ObjectVersion, pipelines: [String], rowsRead: Int, rowsRejected: Int, rowsAfterBoundary: Int = 0, seconds: Double,
                rowsOutsideRange: Int = 0, rowGroupsSkipped: Int = 0) {
        self.rowsOutsideRange = rowsOutsideRange
        self.rowGroupsSkipped = rowGroupsSkipped
        self.object = object
        self.pipelines = pipelines
        self.rowsRead = rowsRead
        self.rowsRejected = rowsRejected
        self.rowsAfterBoundary = rowsAfterBoundary
        self.seconds = seconds
    }
}

/// One transaction's worth: the partials of a group of objects and their ledger rows.
public struct CommitBatch: Sendable {
    public var runID: Int64
    public var pipelines: [PipelinePartials]
    public var objects: [ObjectRecord]
    /// The generation written (0 for ordinary runs; replace writes a new one).
    public var generation: Int64
    /// Paces the commit's writes (`--max-write-units`, `backfill throttle`); nil: as fast as the store takes them.
    public var pacer: (any WritePacer)?
    public init(runID: Int64, pipelines: [PipelinePartials], objects: [ObjectRecord], generation: Int64 = 0, pacer: (any WritePacer)? = nil) {
        self.runID = runID
        self.pipelines = pipelines
        self.objects = objects
        self.generation = generation
        self.pacer = pacer
    }
}

/// A committed object, as the ledger has it.
public struct LedgerEntry: Sendable, Equatable {
    public var pipeline: String
    public var url: String
    public var version: String
    public var runID: Int64
    public var rows: Int
    public var rejected: Int
    public var committedAt: Double
}

/// A run (or replace, revert, gc) as recorded.
public struct RunRecord: Sendable {
    public var id: Int64
    public var kind: String
    public var configHash: String
    public var startedAt: Double
    public var finishedAt: Double?
    public var status: String
    public var objectsCommitted: Int
    public var objectsSkipped: Int
    public var objectsFailed: Int
    public var rowsRead: Int
    public var rowsRejected: Int
    public var bucketsWritten: Int
    public var message: String?
    public init(id: Int64 = 0, kind: String, configHash: String, startedAt: Double, finishedAt: Double? = nil, status: String,
                objectsCommitted: Int = 0, objectsSkipped: Int = 0, objectsFailed: Int = 0, rowsRead: Int = 0,
                rowsRejected: Int = 0, bucketsWritten: Int = 0, message: String? = nil) {
        self.id = id
        self.kind = kind
        self.configHash = configHash
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.objectsCommitted = objectsCommitted
        self.objectsSkipped = objectsSkipped
        self.objectsFailed = objectsFailed
        self.rowsRead = rowsRead
        self.rowsRejected = rowsRejected
        self.bucketsWritten = bucketsWritten
        self.message = message
    }
}

/// An object that failed in a run.
public struct ObjectFailure: Sendable {
    public var runID: Int64
    public var url: String
    public var error: String
    public var at: Double
    public init(runID: Int64, url: String, error: String, at: Double) {
        self.runID = runID
        self.url = url
        self.error = error
        self.at = at
    }
}

/// One aggregate as queried: partials of every segment combined.
public struct AggregateRow: Sendable {
    public var key: String
    public var bucket: Int64
    public var value: PartialValue
    public init(key: String, bucket: Int64, value: PartialValue) {
        self.key = key
        self.bucket = bucket
        self.value = value
    }
}

/// A lease on one source object, so several `backfill run` processes can share one job.
public struct ObjectLease: Sendable, Equatable {
    public var url: String
    public var worker: String
    /// Seconds since the epoch.
    public var expiresAt: Double
    public init(url: String, worker: String, expiresAt: Double) {
        self.url = url
        self.worker = worker
        self.expiresAt = expiresAt
    }
}
