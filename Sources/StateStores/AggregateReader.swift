import Aggregation

/// What an aggregate read asks for: one pipeline and window, optionally one key, bucket starts in [from, to), and
/// the partials of either every segment in its active generation plus the live generation (`query`), or of the
/// segments in a range, active generations only (`segmentAggregates`, for `verify`).
public struct AggregateSelection: Sendable, Equatable {
    public var pipeline: String
    public var window: WindowKind
    public var key: String?
    public var from: Int64?
    public var to: Int64?
    /// Segment starts read: all when nil.
    public var segments: Range<Int64>?
    /// Whether the live generation (`liveGeneration`) is read too.
    public var includesLive: Bool

    /// The selection of `query`.
    public static func query(pipeline: String, window: WindowKind, key: String?, from: Int64?, to: Int64?) -> AggregateSelection {
        AggregateSelection(pipeline: pipeline, window: window, key: key, from: from, to: to, segments: nil, includesLive: true)
    }

    /// The selection of `segmentAggregates`.
    public static func segments(pipeline: String, window: WindowKind, from: Int64, to: Int64) -> AggregateSelection {
        AggregateSelection(pipeline: pipeline, window: window, key: nil, from: nil, to: nil, segments: from..<max(from, to), includesLive: false)
    }

    /// Whether a stored partial of `generation` is read, given its segment's active generation.
    @inline(__always) public func reads(generation: Int64, active: Int64) -> Bool {
        generation == active || (includesLive && generation == liveGeneration)
    }
}

/// A store that yields raw partial rows for a selection: the rows of the selected pipeline, window, key and
/// segments, in the generations the selection reads, in any order, possibly several per (key, bucket). Its `query` and
/// `segmentAggregates` are then the one `AggregateReader` read.
public protocol PartialRowSource: PartialsStore {
    /// Calls `rows.add` for every stored partial of `selection`.
    func readPartialRows(_ selection: AggregateSelection, into rows: inout AggregateCombiner) async throws
    /// The monoid of a registered pipeline (an error naming the pipeline when it is not registered).
    func monoid(ofPipeline name: String) async throws -> Monoid
}

extension PartialRowSource {
    public func query(pipeline: String, window: WindowKind, key: String?, from: Int64?, to: Int64?) async throws -> [AggregateRow] {
        try await AggregateReader.read(.query(pipeline: pipeline, window: window, key: key, from: from, to: to), from: self)
    }

    public func segmentAggregates(pipeline: String, window: WindowKind, segmentFrom: Int64, segmentTo: Int64) async throws -> [AggregateRow] {
        try await AggregateReader.read(.segments(pipeline: pipeline, window: window, from: segmentFrom, to: segmentTo), from: self)
    }
}

/// Combines raw rows into aggregates: partials of equal (key, bucket) combined with the pipeline's monoid, buckets
/// outside [from, to) and keys other than the selected one left out.
public struct AggregateCombiner {
    public let selection: AggregateSelection
    public let monoid: Monoid
    private var combined: [AggregateKey: PartialValue] = [:]

    init(_ selection: AggregateSelection, monoid: Monoid) {
        self.selection = selection
        self.monoid = monoid
    }

    @inline(__always) public mutating func add(key: String, bucket: Int64, _ value: PartialValue) throws {
        if let from = selection.from, bucket < from { return }
        if let to = selection.to, bucket >= to { return }
        if let only = selection.key, key != only { return }
        let k = AggregateKey(key: key, bucket: bucket)
        if let old = combined[k] { combined[k] = try monoid.combine(old, value) } else { combined[k] = value }
    }

    /// The aggregates, sorted by key (UTF-8 bytes) then bucket.
    func rows() -> [AggregateRow] {
        combined.map { AggregateRow(key: $0.key.key, bucket: $0.key.bucket, value: $0.value) }.sorted { a, b in
            if a.key != b.key { return a.key.utf8.lexicographicallyPrecedes(b.key.utf8) }
            return a.bucket < b.bucket
        }
    }
}

struct AggregateKey: Hashable {
    var key: String
    var bucket: Int64
}

/// The one aggregate read every store's `query` and `segmentAggregates` are: the backend yields raw rows, this
/// combines and sorts them.
enum AggregateReader {
    static func read(_ selection: AggregateSelection, from source: some PartialRowSource) async throws -> [AggregateRow] {
        var rows = AggregateCombiner(selection, monoid: try await source.monoid(ofPipeline: selection.pipeline))
        try await source.readPartialRows(selection, into: &rows)
        return rows.rows()
    }
}
