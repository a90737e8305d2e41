/// A Space-Saving heavy-hitters summary (Metwally et al.), mergeable in the manner of
/// Agarwal et al. ("Mergeable summaries").
///
/// Holds at most `capacity` counters `(item, count, error)`. For every monitored item,
/// `count - error <= true count <= count`. While no counter was ever evicted (`truncated` is
/// false) the summary is exact: counts are true counts and errors are 0. Once truncated, an
/// item that is not monitored occurred at most `minCount` times (`unmonitoredBound`).
///
/// Layout: one copy-on-write storage object holding the counters in one array, an
/// open-addressing index keyed by the stable `HyperLogLog.hash` of each item (no per-process
/// seeded hashing, no dictionary), and, once full, a binary min-heap of counters so the
/// smallest is evicted in O(log capacity). `add` of a monitored item is a hash probe and an
/// increment.
///
/// Equality is semantic: same capacity, same `truncated` flag, same set of counters
/// (regardless of their internal order). Items are kept in one representation per equal value
/// (`-0.0` as `0.0`, every NaN as one NaN), so merge results do not depend on argument order.
///
/// `@unchecked Sendable`: the storage object is never mutated while shared (copy on write).
public struct SpaceSaving: @unchecked Sendable, Equatable {
    public let capacity: Int
    /// True once some item was evicted (or dropped by a merge): counts may then overestimate.
    public private(set) var truncated: Bool
    private var storage: Storage

    struct Entry {
        var item: ScalarValue
        var count: Int64
        var error: Int64
        var hash: UInt64
    }

    final class Storage {
        @exclusivity(unchecked) var entries: [Entry] = []
        /// Open addressing with linear probing: -1 empty, otherwise an index into `entries`.
        @exclusivity(unchecked) var table: [Int32] = []
        /// Min-heap of entry indexes by count; maintained only while full (empty otherwise).
        @exclusivity(unchecked) var heap: [Int32] = []
        /// Position in `heap` of each entry (valid only while the heap is maintained).
        @exclusivity(unchecked) var heapPosition: [Int32] = []

        init() {}

        func copy() -> Storage {
            let s = Storage()
            s.entries = entries
            s.table = table
            s.heap = heap
            s.heapPosition = heapPosition
            return s
        }

        @inline(__always)
        func find(_ item: ScalarValue, hash: UInt64) -> Int {
            if table.isEmpty { return -1 }
            return table.withUnsafeBufferPointer { t in
                entries.withUnsafeBufferPointer { e in
                    let mask = t.count - 1
                    var i = Int(truncatingIfNeeded: hash) & mask
                    while true {
                        let slot = Int(t[i])
                        if slot < 0 { return -1 }
                        if e[slot].hash == hash && e[slot].item == item { return slot }
                        i = (i + 1) & mask
                    }
                }
            }
        }

        /// Adds entry `slot` (already in `entries`) to the index, growing it at half load.
        func index(_ slot: Int) {
            if entries.count * 2 > table.count {
                rebuildTable()
                return
            }
            let h = entries[slot].hash
            table.withUnsafeMutableBufferPointer { t in
                let mask = t.count - 1
                var i = Int(truncatingIfNeeded: h) & mask
                while t[i] >= 0 { i = (i + 1) & mask }
                t[i] = Int32(slot)
            }
        }

        /// Rebuilds the index at the smallest power of two (>= 8) that keeps the load <= 1/2.
        func rebuildTable() {
            var size = 8
            while size < entries.count * 2 { size *= 2 }
            var t = [Int32](repeating: -1, count: size)
            let mask = size - 1
            for slot in entries.indices {
                var i = Int(truncatingIfNeeded: entries[slot].hash) & mask
                while t[i] >= 0 { i = (i + 1) & mask }
                t[i] = Int32(slot)
            }
            table = t
        }

        /// Removes entry `slot` from the index (backward-shift deletion keeps probes short).
        func unindex(_ slot: Int) {
            // The hot paths below bind each array once: element-wise access to a class's
            // stored arrays would pay a dynamic exclusivity check per access.
            entries.withUnsafeBufferPointer { e in
                table.withUnsafeMutableBufferPointer { t in
                    let mask = t.count - 1
                    var i = Int(truncatingIfNeeded: e[slot].hash) & mask
                    while Int(t[i]) != slot { i = (i + 1) & mask }
                    var j = i
                    while true {
                        j = (j + 1) & mask
                        let s = Int(t[j])
                        if s < 0 { break }
                        let home = Int(truncatingIfNeeded: e[s].hash) & mask
                        // Move s back into the hole at i unless its home lies cyclically in (i, j].
                        let inRange = i <= j ? (home > i && home <= j) : (home > i || home <= j)
                        if !inRange {
                            t[i] = t[j]
                            i = j
                        }
                    }
                    t[i] = -1
                }
            }
        }

        func buildHeap() {
            heap = (0..<entries.count).map { Int32($0) }
            heapPosition = heap
            var i = heap.count / 2 - 1
            while i >= 0 {
                siftDown(i)
                i -= 1
            }
        }

        /// Restores the heap below position `start` after the count there grew (or on build).
        func siftDown(_ start: Int) {
            entries.withUnsafeBufferPointer { e in
                heap.withUnsafeMutableBufferPointer { h in
                    heapPosition.withUnsafeMutableBufferPointer { p in
                        let n = h.count
                        var i = start
                        let slot = h[i]
                        let c = e[Int(slot)].count
                        while true {
                            let l = 2 * i + 1
                            if l >= n { break }
                            var child = l
                            if l + 1 < n && e[Int(h[l + 1])].count < e[Int(h[l])].count { child = l + 1 }
                            let childSlot = h[child]
                            if e[Int(childSlot)].count >= c { break }
                            h[i] = childSlot
                            p[Int(childSlot)] = Int32(i)
                            i = child
                        }
                        h[i] = slot
                        p[Int(slot)] = Int32(i)
                    }
                }
            }
        }
    }

    /// The default capacity for a top-k query: `max(k * 10, 100)`.
    public static func defaultCapacity(k: Int) -> Int {
        let (tenK, overflow) = max(k, 1).multipliedReportingOverflow(by: 10)
        return overflow ? Int.max : max(tenK, 100)
    }

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        truncated = false
        storage = Storage()
    }

    /// A summary sized for top-`k` queries (capacity `max(k * 10, 100)`).
    public init(k: Int) {
        self.init(capacity: Self.defaultCapacity(k: k))
    }

    /// Builds a summary from explicit counters (as decoded). Counters beyond `capacity` are
    /// dropped (largest counts kept) and mark it truncated; a repeated item keeps its first
    /// counter.
    public init(capacity: Int, truncated: Bool, counters: [(item: ScalarValue, count: Int64, error: Int64)]) {
        self.init(capacity: capacity)
        self.truncated = truncated
        var sorted = counters.map { (item: Self.canonical($0.item), count: $0.count, error: $0.error) }
        sorted.sort(by: Self.canonicalBefore)
        if sorted.count > self.capacity {
            sorted.removeLast(sorted.count - self.capacity)
            self.truncated = true
        }
        let s = storage
        s.entries.reserveCapacity(sorted.count)
        for c in sorted {
            let h = HyperLogLog.hash(c.item)
            if s.find(c.item, hash: h) >= 0 { continue }
            s.entries.append(Entry(item: c.item, count: c.count, error: c.error, hash: h))
            s.index(s.entries.count - 1)
        }
        if s.entries.count == self.capacity { s.buildHeap() }
    }

    /// Number of monitored items.
    public var count: Int { storage.entries.count }

    public var isEmpty: Bool { storage.entries.isEmpty }

    /// The smallest counter (0 when empty).
    public var minCount: Int64 {
        let s = storage
        if !s.heap.isEmpty { return s.entries[Int(s.heap[0])].count }
        return s.entries.lazy.map(\.count).min() ?? 0
    }

    /// Upper bound of the true count of an item that is not monitored.
    public var unmonitoredBound: Int64 { truncated ? minCount : 0 }

    /// Counts one occurrence (or `count` occurrences) of `item`. Non-positive counts are ignored.
    public mutating func add(_ item: ScalarValue, count: Int64 = 1) {
        guard count > 0 else { return }
        addUnchecked(item, count: count)
    }

    private mutating func addUnchecked(_ item0: ScalarValue, count: Int64) {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        let s = storage
        let item = Self.canonical(item0)
        let h = HyperLogLog.hash(item)
        let found = s.find(item, hash: h)
        if found >= 0 {
            s.entries[found].count = Self.saturatingAdd(s.entries[found].count, count)
            if !s.heap.isEmpty { s.siftDown(Int(s.heapPosition[found])) }
            return
        }
        if s.entries.count < capacity {
            s.entries.append(Entry(item: item, count: count, error: 0, hash: h))
            s.index(s.entries.count - 1)
            if s.entries.count == capacity { s.buildHeap() }
            return
        }
        // Full: the new item takes over the smallest counter, inheriting its count as error.
        let slot = Int(s.heap[0])
        s.unindex(slot)
        let old = s.entries[slot].count
        s.entries[slot] = Entry(item: item, count: Self.saturatingAdd(old, count), error: old, hash: h)
        s.index(slot)
        truncated = true
        s.siftDown(0)
    }

    /// The counters in canonical order: count descending, ties by item ascending
    /// (`ScalarValue.totalOrder`).
    public var counters: [(item: ScalarValue, count: Int64, error: Int64)] {
        var out = storage.entries.map { (item: $0.item, count: $0.count, error: $0.error) }
        out.sort(by: Self.canonicalBefore)
        return out
    }

    /// The `k` items with the largest counts, by descending count (ties by item ascending).
    public func top(_ k: Int) -> [(item: ScalarValue, count: Int64)] {
        guard k > 0 else { return [] }
        return counters.prefix(k).map { ($0.item, $0.count) }
    }

    /// The counter of one item (count and error), if it is monitored.
    public func counter(for item: ScalarValue) -> (count: Int64, error: Int64)? {
        let canonicalItem = Self.canonical(item)
        let slot = storage.find(canonicalItem, hash: HyperLogLog.hash(canonicalItem))
        guard slot >= 0 else { return nil }
        let e = storage.entries[slot]
        return (e.count, e.error)
    }

    /// The merged summary: shared items add counts and errors; an item missing from a
    /// truncated side gets that side's smallest count added to both its count and its error;
    /// then the largest `max(capacity)` counters are kept (ties by item ascending).
    public func merged(with other: SpaceSaving) -> SpaceSaving {
        var copy = self
        copy.merge(other)
        return copy
    }

    public mutating func merge(_ other: SpaceSaving) {
        let newCapacity = max(capacity, other.capacity)
        if other.isEmpty && !other.truncated && newCapacity == capacity { return }
        let mine = storage.entries
        let theirs = other.storage.entries
        // Fast path: both exact and the union fits without eviction, so merging is adding.
        if !truncated && !other.truncated && newCapacity == capacity && mine.count + theirs.count <= capacity {
            for e in theirs { addUnchecked(e.item, count: e.count) }
            return
        }
        let boundSelf = unmonitoredBound
        let boundOther = other.unmonitoredBound
        var merged: [(item: ScalarValue, count: Int64, error: Int64)] = []
        merged.reserveCapacity(mine.count + theirs.count)
        for e in mine {
            let j = other.storage.find(e.item, hash: e.hash)
            if j >= 0 {
                merged.append((e.item, Self.saturatingAdd(e.count, theirs[j].count), Self.saturatingAdd(e.error, theirs[j].error)))
            } else {
                merged.append((e.item, Self.saturatingAdd(e.count, boundOther), Self.saturatingAdd(e.error, boundOther)))
            }
        }
        for e in theirs where storage.find(e.item, hash: e.hash) < 0 {
            merged.append((e.item, Self.saturatingAdd(e.count, boundSelf), Self.saturatingAdd(e.error, boundSelf)))
        }
        self = SpaceSaving(capacity: newCapacity, truncated: truncated || other.truncated, counters: merged)
    }

    public static func == (lhs: SpaceSaving, rhs: SpaceSaving) -> Bool {
        guard lhs.capacity == rhs.capacity, lhs.truncated == rhs.truncated, lhs.count == rhs.count else { return false }
        let r = rhs.storage
        for e in lhs.storage.entries {
            let j = r.find(e.item, hash: e.hash)
            guard j >= 0, r.entries[j].count == e.count, r.entries[j].error == e.error else { return false }
        }
        return true
    }

    // MARK: - Internals

    /// Checks the internal invariants (for tests): every counter is found through the index,
    /// the index holds exactly the counters, and the heap (when kept) is a valid min-heap.
    func isConsistent() -> Bool {
        let s = storage
        guard s.table.filter({ $0 >= 0 }).count == s.entries.count else { return false }
        for (i, e) in s.entries.enumerated() where s.find(e.item, hash: e.hash) != i { return false }
        if s.entries.count == capacity {
            guard s.heap.count == capacity else { return false }
            for (pos, slot) in s.heap.enumerated() {
                guard Int(s.heapPosition[Int(slot)]) == pos else { return false }
                if pos > 0 && s.entries[Int(s.heap[(pos - 1) / 2])].count > s.entries[Int(slot)].count { return false }
            }
        }
        return true
    }

    @inline(__always)
    static func canonicalBefore(_ a: (item: ScalarValue, count: Int64, error: Int64),
                                _ b: (item: ScalarValue, count: Int64, error: Int64)) -> Bool {
        if a.count != b.count { return a.count > b.count }
        return ScalarValue.totalOrder(a.item, b.item) < 0
    }

    /// One representation per equal value (`-0.0` → `0.0`, every NaN → one NaN), so that merge
    /// results do not depend on which side an item came from.
    @inline(__always)
    static func canonical(_ item: ScalarValue) -> ScalarValue {
        if case .double(let d) = item, d == 0 || d.isNaN {
            return .double(Double(bitPattern: normalizedDoubleBits(d)))
        }
        return item
    }

    @inline(__always)
    static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (s, o) = a.addingReportingOverflow(b)
        return o ? (b > 0 ? Int64.max : Int64.min) : s
    }
}

extension SpaceSaving: CustomStringConvertible {
    public var description: String {
        let shown = counters.prefix(20).map { "\($0.item)=\($0.count)±\($0.error)" }.joined(separator: ", ")
        return "SpaceSaving(capacity: \(capacity), truncated: \(truncated), \(count) counters: [\(shown)\(count > 20 ? ", ..." : "")])"
    }
}
