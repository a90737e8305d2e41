import Aggregation
import StateStores

#if canImport(Glibc)
import Glibc
#endif

/// Interns keys to dense ids for one pipeline, by their UTF-8 bytes: a Parquet dictionary entry is looked up
/// without building a String, and a String is made once per distinct key.
struct KeyInterner {
    private(set) var keys: [String] = []
    /// Key bytes, back to back; key i is bytes[offsets[i]..<offsets[i+1]].
    private var bytes: [UInt8] = []
    private var offsets: [Int] = [0]
    /// Open addressing: (hash, id + 1); 0 is empty.
    private var table = [(UInt64, Int32)](repeating: (0, 0), count: 1 << 10)
    private var mask = (1 << 10) - 1

    mutating func id(_ key: String) -> Int32 {
        var k = key
        return k.withUTF8 { id(bytes: UnsafeRawBufferPointer($0)) }
    }

    mutating func id(bytes key: UnsafeRawBufferPointer) -> Int32 {
        let h = HyperLogLog.hash(bytes: key)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let (th, tid) = table[s]
            if tid == 0 { break }
            if th == h {
                let i = Int(tid - 1)
                let start = offsets[i], length = offsets[i + 1] - start
                if length == key.count && bytes.withUnsafeBytes({ length == 0 || memcmp($0.baseAddress! + start, key.baseAddress!, length) == 0 }) {
                    return tid - 1
                }
            }
            s = (s + 1) & mask
        }
        let id = Int32(keys.count)
        keys.append(String(decoding: key, as: UTF8.self))
        bytes.append(contentsOf: key)
        offsets.append(bytes.count)
        table[s] = (h, id + 1)
        if keys.count * 2 > mask + 1 { grow() }
        return id
    }

    private mutating func grow() {
        let size = (mask + 1) * 2
        var next = [(UInt64, Int32)](repeating: (0, 0), count: size)
        let m = size - 1
        for entry in table where entry.1 != 0 {
            var s = Int(truncatingIfNeeded: entry.0) & m
            while next[s].1 != 0 { s = (s + 1) & m }
            next[s] = entry
        }
        table = next
        mask = m
    }
}

/// One slot of the open-addressing table: the packed key and the value (or an index into `values`).
struct FoldSlot {
    /// window code (4 bits) | key id (32 bits) | segment index + 2^27 (28 bits); 0 marks an empty slot.
    var hi: UInt64
    /// Bucket start (epoch ms).
    var lo: Int64
    /// The integer value (fast path) or the index of the value in `values`.
    var value: Int64
}

/// In-memory partial aggregates of one pipeline: (window, key, bucket, segment) → value.
///
/// Linear probing over one flat buffer of 24-byte slots, so an upsert usually touches one cache line and no
/// strings. Integer sums and counts are kept in the slot; other monoids in `values`.
final class FoldTable {
    let pipeline: PipelineDefinition
    /// Values are plain integers (sum/count of integers); switches to general partials when a non-integer arrives.
    private(set) var fastIntegers: Bool
    var interner = KeyInterner()
    private var slots: UnsafeMutablePointer<FoldSlot>
    private var capacity: Int
    private(set) var count = 0
    var values: [PartialValue] = []
    let segmentMillis: Int64
    /// The windows the fold writes. With a rollup, only the finest window; the others are derived by `drain`.
    let foldWindows: [WindowKind]
    /// Windows derived from the finest one when the table is drained, in window-code order, with their unit
    /// (0 for lifetime).
    private let derived: [(WindowKind, Int64)]

    /// `rollup`: derive coarser windows from the finest one when that is exact (the caller checks UTC buckets and
    /// no retention; here: sum or count, every window a minute, hour, day or lifetime, no repeats).
    init(pipeline: PipelineDefinition, segmentMillis: Int64, windows: [WindowKind], rollup: Bool) {
        self.pipeline = pipeline
        var fold = windows
        var derived: [(WindowKind, Int64)] = []
        var additive = false
        switch pipeline.monoid.kind {
        case .sum, .count: additive = true
        default: additive = false
        }
        if rollup, additive, windows.count > 1, Set(windows).count == windows.count {
            let units = windows.compactMap(FoldTable.fixedUnit)
            if units.count == windows.count, let finest = units.filter({ $0 > 0 }).min(), units.allSatisfy({ $0 % finest == 0 }) {
                fold = [windows[units.firstIndex(of: finest)!]]
                derived = zip(windows, units).filter { $0.1 != finest }.sorted { $0.0.code < $1.0.code }
            }
        }
        foldWindows = fold
        self.derived = derived
        switch pipeline.monoid.kind {
        case .sum, .count: fastIntegers = true
        default: fastIntegers = false
        }
        self.segmentMillis = segmentMillis
        capacity = 1 << 12
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: FoldSlot(hi: 0, lo: 0, value: 0), count: capacity)
    }

    deinit { slots.deallocate() }

    /// The unit of a window whose UTC buckets are integer floors (0 for lifetime), nil otherwise.
    static func fixedUnit(_ w: WindowKind) -> Int64? {
        switch w {
        case .minute: return 60_000
        case .hourly: return 3_600_000
        case .daily: return 86_400_000
        case .lifetime: return 0
        case .monthly: return nil
        }
    }

    @inline(__always) static func pack(window: WindowKind, segmentIndex: Int64, key: Int32) -> UInt64 {
        UInt64(window.code) << 60 | UInt64(UInt32(bitPattern: key)) << 28 | (UInt64(truncatingIfNeeded: segmentIndex &+ (1 << 27)) & 0xFFF_FFFF)
    }

    @inline(__always) private func home(_ h: UInt64, _ l: Int64) -> Int {
        var x = (h ^ UInt64(bitPattern: l) &* 0xC2B2_AE3D_27D4_EB4F) &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 32
        // Multiply-shift maps the hash onto [0, capacity) without a power-of-two size.
        return Int(truncatingIfNeeded: x.multipliedFullWidth(by: UInt64(capacity)).high)
    }

    /// The slot for a key, inserting it when new (`isNew`; the caller sets the value).
    @inline(__always) private func slot(_ h: UInt64, _ l: Int64) -> (UnsafeMutablePointer<FoldSlot>, isNew: Bool) {
        if (count + 1) * 10 > capacity * 7 { grow() }
        var s = home(h, l)
        while true {
            let p = slots + s
            if p.pointee.hi == h && p.pointee.lo == l { return (p, false) }
            if p.pointee.hi == 0 {
                p.pointee.hi = h
                p.pointee.lo = l
                count += 1
                return (p, true)
            }
            s += 1
            if s == capacity { s = 0 }
        }
    }

    private func grow() {
        let old = slots, oldCapacity = capacity
        capacity = capacity * 2
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: FoldSlot(hi: 0, lo: 0, value: 0), count: capacity)
        for i in 0..<oldCapacity where old[i].hi != 0 {
            var s = home(old[i].hi, old[i].lo)
            while slots[s].hi != 0 {
                s += 1
                if s == capacity { s = 0 }
            }
            slots[s] = old[i]
        }
        old.deallocate()
    }

    /// Adds an integer to a sum/count entry; throws on overflow.
    @inline(__always) func addInt(_ h: UInt64, _ l: Int64, _ v: Int64) throws {
        let (p, isNew) = slot(h, l)
        if isNew {
            p.pointee.value = v
        } else {
            let (r, o) = p.pointee.value.addingReportingOverflow(v)
            if o { throw AggregationError("sum overflows 64-bit integers (\(p.pointee.value) + \(v))") }
            p.pointee.value = r
        }
    }

    /// Moves integer entries to general partials (a double arrived in a sum).
    func switchToGeneral() {
        guard fastIntegers else { return }
        values.reserveCapacity(count)
        for i in 0..<capacity where slots[i].hi != 0 {
            values.append(.int(slots[i].value))
            slots[i].value = Int64(values.count - 1)
        }
        fastIntegers = false
    }

    /// Combines a partial into an entry.
    func combine(_ h: UInt64, _ l: Int64, _ partial: PartialValue) throws {
        let (p, isNew) = slot(h, l)
        if isNew {
            p.pointee.value = Int64(values.count)
            values.append(partial)
        } else {
            try pipeline.monoid.combine(into: &values[Int(p.pointee.value)], partial)
        }
    }

    var isEmpty: Bool { count == 0 }

    /// The table as store rows sorted by (window, key, segment, bucket), the order of the store's primary key for
    /// new keys, so inserts append to the B-tree. The table is emptied (keys stay interned).
    func drain() throws -> PipelinePartials {
        var order: [(UInt64, Int64, Int64)] = []
        order.reserveCapacity(count)
        for i in 0..<capacity where slots[i].hi != 0 { order.append((slots[i].hi, slots[i].lo, slots[i].value)) }
        order.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var out = PipelinePartials(pipeline: pipeline, keys: interner.keys)
        out.window.reserveCapacity(count)
        out.keyIndex.reserveCapacity(count)
        out.bucket.reserveCapacity(count)
        out.segment.reserveCapacity(count)
        var ints: [Int64] = []
        var general: [PartialValue] = []
        if fastIntegers { ints.reserveCapacity(count) } else { general.reserveCapacity(count) }
        for (h, l, v) in order {
            out.window.append(WindowKind.fromCode(Int(h >> 60)))
            out.keyIndex.append(Int32(bitPattern: UInt32(truncatingIfNeeded: h >> 28)))
            out.bucket.append(l)
            out.segment.append((Int64(h & 0xFFF_FFFF) - (1 << 27)) * segmentMillis)
            if fastIntegers { ints.append(v) } else { general.append(values[Int(v)]) }
        }
        // Derived windows: the finest window's entries are sorted by (key, segment, bucket), so the entries of one
        // coarser bucket are adjacent.
        let monoid = pipeline.monoid
        for (w, unit) in derived {
            var started = false
            var base: UInt64 = 0, bucket: Int64 = 0
            var accInt: Int64 = 0
            var accValue = PartialValue.int(0)
            func flush() {
                out.window.append(w)
                out.keyIndex.append(Int32(bitPattern: UInt32(truncatingIfNeeded: base >> 28)))
                out.bucket.append(bucket)
                out.segment.append((Int64(base & 0xFFF_FFFF) - (1 << 27)) * segmentMillis)
                if fastIntegers { ints.append(accInt) } else { general.append(accValue) }
            }
            for (h, l, v) in order {
                let b = unit == 0 ? BucketCalendar.lifetimeBucket : floorDiv(l, unit) &* unit
                let hb = h & ((1 << 60) - 1)
                if started && hb == base && b == bucket {
                    if fastIntegers {
                        let (r, o) = accInt.addingReportingOverflow(v)
                        if o { throw AggregationError("sum overflows 64-bit integers (\(accInt) + \(v))") }
                        accInt = r
                    } else {
                        try monoid.combine(into: &accValue, values[Int(v)])
                    }
                    continue
                }
                if started { flush() }
                started = true
                base = hb
                bucket = b
                if fastIntegers { accInt = v } else { accValue = values[Int(v)] }
            }
            if started { flush() }
        }
        if fastIntegers { out.intValues = ints } else { out.values = general }
        slots.update(repeating: FoldSlot(hi: 0, lo: 0, value: 0), count: capacity)
        values.removeAll(keepingCapacity: true)
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
