import Aggregation

/// What every store does to a commit before its I/O: one pipeline's entries sorted by (window code, key index,
/// segment, bucket) with the entries of one (window, key, bucket, segment) combined into one (a transaction cannot
/// touch a row twice), and each entry's generation chosen by `GenerationRoute`.
public enum CommitNormalizer {
    /// `part` sorted and free of duplicates. Input already so (what the fold tables drain) is returned as it is,
    /// without a copy. Combining duplicates may overflow (integer sums): a `.commitRefused` error, nothing written.
    public static func normalized(_ part: PipelinePartials) throws -> PipelinePartials {
        let n = part.count
        guard n > 1 else { return part }
        @inline(__always) func compare(_ a: Int, _ b: Int) -> Int {
            let wa = part.window[a].code, wb = part.window[b].code
            if wa != wb { return wa < wb ? -1 : 1 }
            if part.keyIndex[a] != part.keyIndex[b] { return part.keyIndex[a] < part.keyIndex[b] ? -1 : 1 }
            if part.segment[a] != part.segment[b] { return part.segment[a] < part.segment[b] ? -1 : 1 }
            if part.bucket[a] != part.bucket[b] { return part.bucket[a] < part.bucket[b] ? -1 : 1 }
            return 0
        }
        var strictlyIncreasing = true
        for i in 1..<n where compare(i - 1, i) >= 0 {
            strictlyIncreasing = false
            break
        }
        if strictlyIncreasing { return part }
        let order = Array(0..<n).sorted { compare($0, $1) < 0 }
        let monoid = part.pipeline.monoid
        var out = PipelinePartials(pipeline: part.pipeline, keys: part.keys)
        out.window.reserveCapacity(n)
        out.keyIndex.reserveCapacity(n)
        out.bucket.reserveCapacity(n)
        out.segment.reserveCapacity(n)
        var ints: [Int64] = []
        var values: [PartialValue] = []
        var last = -1
        for i in order {
            if last >= 0, compare(last, i) == 0 {
                do {
                    if part.intValues != nil {
                        guard case .int(let x) = try monoid.combine(.int(ints[ints.count - 1]), part.value(i)) else {
                            throw StoreError(.commitRefused, "\(monoid.kind.storedText): integers combined to a non-integer")
                        }
                        ints[ints.count - 1] = x
                    } else {
                        try monoid.combine(into: &values[values.count - 1], part.value(i))
                    }
                } catch let e as AggregationError {
                    throw StoreError(.commitRefused, "commit refused: pipeline '\(part.pipeline.name)' (\(monoid.kind.name)): \(e); nothing of the batch was written")
                }
                continue
            }
            out.window.append(part.window[i])
            out.keyIndex.append(part.keyIndex[i])
            out.bucket.append(part.bucket[i])
            out.segment.append(part.segment[i])
            if let pi = part.intValues { ints.append(pi[i]) } else { values.append(part.values![i]) }
            last = i
        }
        if part.intValues != nil { out.intValues = ints } else { out.values = values }
        return out
    }
}

/// The generation a commit writes each segment's entries to: a commit of generation 0 (an ordinary run) writes into
/// each segment's ACTIVE generation (its lineage, else 0), so new objects that land in a replaced segment stay
/// visible; a replacement's generation (> 0) and the live generation take every entry as they are. Ledger rows always
/// go to the commit's own generation.
public struct GenerationRoute: Sendable {
    /// The commit's generation.
    public let written: Int64
    /// Active generations by segment (read by the store in the commit's transaction); empty unless `written == 0`.
    public let active: [Int64: Int64]

    public init(written: Int64, active: [Int64: Int64] = [:]) {
        self.written = written
        self.active = written == 0 ? active : [:]
    }

    /// Whether the store must read the lineage of the commit's segments for this route.
    public static func needsLineage(_ generation: Int64) -> Bool { generation == 0 }

    /// The generation of entries of `segment`.
    @inline(__always) public func generation(_ segment: Int64) -> Int64 {
        written == 0 ? active[segment] ?? 0 : written
    }
}
