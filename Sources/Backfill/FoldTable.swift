import Aggregation
import StateStores

/// Interns key strings to dense ids for one pipeline.
struct KeyInterner {
    private(set) var keys: [String] = []
    private var ids: [String: Int32] = [:]

    mutating func id(_ key: String) -> Int32 {
        if let id = ids[key] { return id }
        let id = Int32(keys.count)
        keys.append(key)
        ids[key] = id
        return id
    }
}

/// In-memory partial aggregates of one pipeline: (window, key, bucket, segment) → value.
///
/// Open addressing over two parallel 64-bit key words, so an upsert hashes two integers and touches no
/// strings. Integer sums and counts live in a flat `[Int64]`; other monoids in `[PartialValue]`.
struct FoldTable {
    let pipeline: PipelineDefinition
    /// Values are plain integers (sum/count of integers); switches to general partials when a non-integer arrives.
    private(set) var fastIntegers: Bool
    var interner = KeyInterner()
    /// hi = window code (4 bits) | segment index + 2^27 (28 bits) | key id (32 bits); lo = bucket start.
    private var hi: [UInt64]
    private var lo: [Int64]
    private var slots: [Int32]      // hash slot → entry index, -1 empty
    private var mask: Int
    private(set) var count = 0
    var ints: [Int64] = []
    var values: [PartialValue] = []
    let segmentMillis: Int64

    init(pipeline: PipelineDefinition, segmentMillis: Int64) {
        self.pipeline = pipeline
        switch pipeline.monoid.kind {
        case .sum, .count: fastIntegers = true
        default: fastIntegers = false
        }
        self.segmentMillis = segmentMillis
        hi = []
        lo = []
        slots = [Int32](repeating: -1, count: 1 << 16)
        mask = (1 << 16) - 1
    }

    @inline(__always) static func pack(window: WindowKind, segmentIndex: Int64, key: Int32) -> UInt64 {
        UInt64(window.code) << 60 | (UInt64(truncatingIfNeeded: segmentIndex &+ (1 << 27)) & 0xFFF_FFFF) << 32 | UInt64(UInt32(bitPattern: key))
    }

    @inline(__always) private func hash(_ h: UInt64, _ l: Int64) -> Int {
        var x = h &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(bitPattern: l) &* 0xC2B2_AE3D_27D4_EB4F
        x ^= x >> 29
        return Int(truncatingIfNeeded: x) & mask
    }

    /// The entry index for a key, inserting it (value unset) when new. `isNew` tells the caller to initialize.
    @inline(__always) mutating func entry(_ h: UInt64, _ l: Int64) -> (index: Int, isNew: Bool) {
        var s = hash(h, l)
        while true {
            let e = Int(slots[s])
            if e < 0 {
                if (count + 1) * 10 > (mask + 1) * 7 {
                    grow()
                    return entry(h, l)
                }
                slots[s] = Int32(count)
                hi.append(h)
                lo.append(l)
                count += 1
                return (count - 1, true)
            }
            if hi[e] == h && lo[e] == l { return (e, false) }
            s = (s + 1) & mask
        }
    }

    private mutating func grow() {
        let size = (mask + 1) * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for e in 0..<count {
            var s = hash(hi[e], lo[e])
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(e)
        }
    }

    /// Adds an integer to a sum/count entry; throws on overflow.
    @inline(__always) mutating func addInt(_ h: UInt64, _ l: Int64, _ v: Int64) throws {
        let (i, isNew) = entry(h, l)
        if isNew {
            ints.append(v)
        } else {
            let (r, o) = ints[i].addingReportingOverflow(v)
            if o { throw AggregationError("sum overflows 64-bit integers (\(ints[i]) + \(v))") }
            ints[i] = r
        }
    }

    /// Moves integer entries to general partials (a double arrived in a sum).
    mutating func switchToGeneral() {
        guard fastIntegers else { return }
        values = ints.map { PartialValue.int($0) }
        ints = []
        fastIntegers = false
    }

    /// Combines a partial into an entry.
    mutating func combine(_ h: UInt64, _ l: Int64, _ p: PartialValue) throws {
        let (i, isNew) = entry(h, l)
        if isNew {
            values.append(p)
        } else {
            values[i] = try pipeline.monoid.combine(values[i], p)
        }
    }

    var isEmpty: Bool { count == 0 }

    /// The table as store rows; the table is emptied (keys stay interned).
    mutating func drain() -> PipelinePartials {
        var out = PipelinePartials(pipeline: pipeline, keys: interner.keys)
        out.window.reserveCapacity(count)
        out.keyIndex.reserveCapacity(count)
        out.bucket = lo
        out.segment.reserveCapacity(count)
        for e in 0..<count {
            let h = hi[e]
            out.window.append(WindowKind.fromCode(Int(h >> 60)))
            out.keyIndex.append(Int32(bitPattern: UInt32(truncatingIfNeeded: h)))
            let segmentIndex = Int64((h >> 32) & 0xFFF_FFFF) - (1 << 27)
            out.segment.append(segmentIndex * segmentMillis)
        }
        if fastIntegers { out.intValues = ints } else { out.values = values }
        hi.removeAll(keepingCapacity: true)
        lo.removeAll(keepingCapacity: true)
        ints.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        for i in slots.indices { slots[i] = -1 }
        count = 0
        return out
    }
}

extension WindowKind {
    static func fromCode(_ code: Int) -> WindowKind {
        switch code {
        case 1: return .minute
        case 2: return .hourly
        case 3: return .daily
        case 4: return .monthly
        default: return .lifetime
        }
    }
}
