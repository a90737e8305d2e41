import Aggregation
import CHints
import Parquet
import StateStores

#if canImport(Glibc)
import Glibc
#endif

/// Interns keys to dense ids for one pipeline, by their UTF-8 bytes: a Parquet dictionary entry is looked up
/// without building a String, and a String is made once per distinct key.
///
/// Open addressing over 8-byte slots (32-bit hash fingerprint | id + 1; 0 is empty); key bytes are compared only
/// when the fingerprint matches. A whole dictionary is looked up in chunks: the slots, offsets and key bytes a chunk
/// will read are prefetched first, so their cache misses overlap.
final class KeyInterner {
    private(set) var keys: [String] = []
    /// Key bytes, back to back; key i is bytes[starts[i]..<starts[i+1]].
    private var bytes: UnsafeMutablePointer<UInt8>
    private var byteCapacity = 1 << 16
    private var byteCount = 0
    private var starts: UnsafeMutablePointer<Int>
    private var startCapacity = 1 << 10
    private var table: UnsafeMutablePointer<UInt64>
    private var mask = (1 << 10) - 1

    init() {
        bytes = .allocate(capacity: byteCapacity)
        bytes.initialize(repeating: 0, count: byteCapacity)
        starts = .allocate(capacity: startCapacity)
        starts[0] = 0
        table = .allocate(capacity: mask + 1)
        table.initialize(repeating: 0, count: mask + 1)
    }

    deinit {
        bytes.deallocate()
        starts.deallocate()
        table.deallocate()
    }

    func id(_ key: String) -> Int32 {
        var k = key
        return k.withUTF8 { id(bytes: UnsafeRawBufferPointer($0)) }
    }

    func id(bytes key: UnsafeRawBufferPointer) -> Int32 {
        lookup(key, HyperLogLog.hash(bytes: key))
    }

    /// Ids of every entry of a dictionary.
    func ids(_ entries: ByteArrays) -> [Int32] {
        let d = entries.count
        var out = [Int32](repeating: 0, count: d)
        if d == 0 { return out }
        let chunk = 64
        var hashes = [UInt64](repeating: 0, count: chunk)
        entries.bytes.withUnsafeBytes { raw in
            entries.offsets.withUnsafeBufferPointer { off in
                hashes.withUnsafeMutableBufferPointer { hs in
                    out.withUnsafeMutableBufferPointer { o in
                        var c = 0
                        while c < d {
                            let m = min(chunk, d - c)
                            for j in 0..<m {
                                let e = c + j
                                let h = HyperLogLog.hash(bytes: UnsafeRawBufferPointer(rebasing: raw[off[e]..<off[e + 1]]))
                                hs[j] = h
                                backfill_prefetch(table + (Int(truncatingIfNeeded: h) & mask))
                            }
                            for j in 0..<m {
                                let slot = table[Int(truncatingIfNeeded: hs[j]) & mask]
                                if slot != 0 { backfill_prefetch(starts + (Int(UInt32(truncatingIfNeeded: slot)) - 1)) }
                            }
                            for j in 0..<m {
                                let slot = table[Int(truncatingIfNeeded: hs[j]) & mask]
                                if slot != 0 { backfill_prefetch(bytes + starts[Int(UInt32(truncatingIfNeeded: slot)) - 1]) }
                            }
                            for j in 0..<m {
                                let e = c + j
                                o[e] = lookup(UnsafeRawBufferPointer(rebasing: raw[off[e]..<off[e + 1]]), hs[j])
                            }
                            c += m
                        }
                    }
                }
            }
        }
        return out
    }

    @inline(__always) private func lookup(_ key: UnsafeRawBufferPointer, _ h: UInt64) -> Int32 {
        let fp = h >> 32
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let slot = table[s]
            if slot == 0 { break }
            if slot >> 32 == fp {
                let i = Int(UInt32(truncatingIfNeeded: slot)) - 1
                let start = starts[i], length = starts[i + 1] - start
                if length == key.count && (length == 0 || memcmp(bytes + start, key.baseAddress!, length) == 0) {
                    return Int32(i)
                }
            }
            s = (s + 1) & mask
        }
        return insert(key, h, slot: s)
    }

    private func insert(_ key: UnsafeRawBufferPointer, _ h: UInt64, slot s: Int) -> Int32 {
        let id = keys.count
        precondition(id < Int(Int32.max) - 1, "more than 2^31 distinct keys in one pipeline")
        keys.append(String(decoding: key, as: UTF8.self))
        if byteCount + key.count > byteCapacity {
            var capacity = byteCapacity * 2
            while byteCount + key.count > capacity { capacity *= 2 }
            let next = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            next.initialize(repeating: 0, count: capacity)
            next.update(from: bytes, count: byteCount)
            bytes.deallocate()
            bytes = next
            byteCapacity = capacity
        }
        if key.count > 0 { (bytes + byteCount).update(from: key.baseAddress!.assumingMemoryBound(to: UInt8.self), count: key.count) }
        byteCount += key.count
        if id + 2 > startCapacity {
            let next = UnsafeMutablePointer<Int>.allocate(capacity: startCapacity * 2)
            next.update(from: starts, count: id + 1)
            starts.deallocate()
            starts = next
            startCapacity *= 2
        }
        starts[id + 1] = byteCount
        table[s] = (h >> 32) << 32 | UInt64(id + 1)
        if keys.count * 2 > mask + 1 { grow() }
        return Int32(id)
    }

    private func grow() {
        let size = (mask + 1) * 2
        let next = UnsafeMutablePointer<UInt64>.allocate(capacity: size)
        next.initialize(repeating: 0, count: size)
        let m = size - 1
        // Re-derive each home from the key's hash (the slot keeps only the high half).
        for i in 0..<keys.count {
            let h = HyperLogLog.hash(bytes: UnsafeRawBufferPointer(start: bytes + starts[i], count: starts[i + 1] - starts[i]))
            var s = Int(truncatingIfNeeded: h) & m
            while next[s] != 0 { s = (s + 1) & m }
            next[s] = (h >> 32) << 32 | UInt64(i + 1)
        }
        table.deallocate()
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
    let interner = KeyInterner()
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


    /// `addInt` for many keys of one bucket. The slots of each chunk are prefetched first, so
    /// their cache misses overlap.
    func addInts(_ keys: UnsafeBufferPointer<UInt64>, bucket: Int64, _ values: UnsafeBufferPointer<Int64>) throws {
        let n = keys.count
        let chunk = 32
        var c = 0
        while c < n {
            let m = min(chunk, n - c)
            for j in c..<(c + m) { backfill_prefetch(slots + home(keys[j], bucket)) }
            for j in c..<(c + m) { try addInt(keys[j], bucket, values[j]) }
            c += m
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
        order = FoldTable.sorted(order, keyCount: interner.keys.count)
        var out = PipelinePartials(pipeline: pipeline, keys: interner.keys)
        out.window.reserveCapacity(count)
        out.keyIndex.reserveCapacity(count)
        out.bucket.reserveCapacity(count)
        out.segment.reserveCapacity(count)
        var ints: [Int64] = []
        var general: [PartialValue] = []
        if fastIntegers { ints.reserveCapacity(count) } else { general.reserveCapacity(count) }
        for (h, l, v) in order {
            out.window.append(try WindowKind(code: Int(h >> 60)))
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

extension FoldTable {
    /// Entries sorted by (hi, lo): a counting sort by (window, key id) (the high bits of `hi`), then each small group
    /// by (segment, bucket). Falls back to a comparison sort when there are far more (window, key) groups than entries.
    static func sorted(_ entries: [(UInt64, Int64, Int64)], keyCount: Int) -> [(UInt64, Int64, Int64)] {
        let n = entries.count
        let windows = 16
        let groups = windows * max(keyCount, 1)
        @inline(__always) func less(_ a: (UInt64, Int64, Int64), _ b: (UInt64, Int64, Int64)) -> Bool {
            a.0 != b.0 ? a.0 < b.0 : a.1 < b.1
        }
        guard n > 1024, groups <= 4 * n, keyCount < Int(UInt32.max) else { return entries.sorted(by: less) }
        @inline(__always) func group(_ h: UInt64) -> Int {
            Int(h >> 60) * keyCount + Int(UInt32(truncatingIfNeeded: h >> 28))
        }
        var starts = [Int](repeating: 0, count: groups + 1)
        var out = [(UInt64, Int64, Int64)](repeating: (0, 0, 0), count: n)
        entries.withUnsafeBufferPointer { e in
            starts.withUnsafeMutableBufferPointer { st in
                for x in e { st[group(x.0) + 1] += 1 }
                for g in 0..<groups { st[g + 1] += st[g] }
                out.withUnsafeMutableBufferPointer { o in
                    var next = Array(st[0..<groups])
                    next.withUnsafeMutableBufferPointer { nx in
                        for x in e {
                            let g = group(x.0)
                            o[nx[g]] = x
                            nx[g] += 1
                        }
                    }
                    // Each group by (segment, bucket).
                    for g in 0..<groups {
                        let lo = st[g], hi = st[g + 1]
                        if hi - lo < 2 { continue }
                        if hi - lo <= 32 {
                            var i = lo + 1
                            while i < hi {
                                let x = o[i]
                                var j = i - 1
                                while j >= lo && less(x, o[j]) {
                                    o[j + 1] = o[j]
                                    j -= 1
                                }
                                o[j + 1] = x
                                i += 1
                            }
                        } else {
                            var part = UnsafeMutableBufferPointer(rebasing: o[lo..<hi])
                            part.sort(by: less)
                        }
                    }
                }
            }
        }
        return out
    }
}
