// Setting a store up (`backfill store init`), the store-wide write rate cap (`backfill throttle`), write pacing and
// write-request metering.
//
// What a write unit is depends on the store (the `--max-write-units` and `backfill throttle` figures count these):
// - DynamoDB: the write capacity units DynamoDB charges for the commit's transactional writes: 2 per item and KB
//   started (each partial update, each chunk-ledger item and each object-ledger item), from an estimate of the
//   item's size. Lease, run and failure items are not paced.
// - SQLite and PostgreSQL: one unit per partial row written, i.e. per (pipeline, window, key, bucket, segment) entry
//   of a commit (SQLite packs a key's buckets into one row, but counts them as PostgreSQL stores them, one by one).

/// Paces a store's writes: before sending writes that cost `units` write units a store awaits `acquire(units)`,
/// which returns when the writes may go (at once when nothing limits them). A paused pacer (rate 0) keeps every
/// caller waiting, even for 0 units. Throws only when the waiting task is cancelled.
public protocol WritePacer: Sendable {
    func acquire(_ units: Int) async throws
}

/// The write rate cap stored in a store, which running jobs on it follow.
public struct WriteRateSetting: Sendable, Equatable {
    /// Write units per second (see above); 0 pauses commits.
    public var unitsPerSecond: Double
    /// When it was set, seconds since the epoch.
    public var setAt: Double
    public init(unitsPerSecond: Double, setAt: Double) {
        self.unitsPerSecond = unitsPerSecond
        self.setAt = setAt
    }

    /// The largest cap accepted (well beyond any store's real throughput, far below where Double loses units).
    public static let maximum: Double = 1e12

    /// Checks a rate from a user or a store: finite, ≥ 0, at most `maximum`.
    public static func validate(_ rate: Double, _ what: String) throws -> Double {
        guard rate.isFinite, rate >= 0, rate <= maximum else {
            throw WriteRateError("\(what): \(rate) is not a write rate (write units per second: a number from 0 to \(Int64(maximum)))")
        }
        return rate
    }
}

public struct WriteRateError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What `StateStore.initialize()` did.
public struct StoreInitReport: Sendable, Equatable {
    /// "sqlite", "postgres" or "dynamodb".
    public var kind: String
    /// The file, the server and database (no password), or the table.
    public var target: String
    /// What this call created (tables), empty when everything was there.
    public var created: [String]
    /// What was already there.
    public var existing: [String]
    public var schemaVersionBefore: Int
    public var schemaVersion: Int
    /// More facts worth printing (key schema, billing mode, table status).
    public var details: [String]

    public init(kind: String, target: String, created: [String], existing: [String], schemaVersionBefore: Int, schemaVersion: Int,
                details: [String] = []) {
        self.kind = kind
        self.target = target
        self.created = created
        self.existing = existing
        self.schemaVersionBefore = schemaVersionBefore
        self.schemaVersion = schemaVersion
        self.details = details
    }
}

/// Stores that count the write requests they send (DynamoDB: every TransactWriteItems, PutItem, UpdateItem,
/// BatchWriteItem and DeleteItem request, retries included).
public protocol WriteRequestCounting: Sendable {
    var writeRequestsSent: Int { get }
    /// The same, by API call ("TransactWriteItems": 12, ...).
    var writeRequestsByOperation: [String: Int] { get }
}
