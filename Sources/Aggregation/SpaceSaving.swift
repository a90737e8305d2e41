/// A Space-Saving heavy-hitters summary (Metwally et al.), mergeable in the manner of
/// Agarwal et al. ("Mergeable summaries").
///
/// Holds at most `capacity` counters `(item, count, error)`. For every monitored item,
/// `count - error <= true count <= count`. While no counter was ever evicted (`truncated` is
/// false) the summary is exact: counts are true counts and errors are 0. Once truncated, an
/// item that is not monitored occurred at most `minCount` times (`unmonitoredBound`).
///
/// Layout: one copy-on-write storage object holding the counters in one buffer, an
/// open-addressing index keyed by the stable `HyperLogLog.hash` of each item (no per-process
/// seeded hashing, no dictionary; summaries of up to 8 counters just scan the hashes), and,
/// once full, a binary heap whose root is the counter to drop next (smallest count; ties by
/// larger stable hash), replaced in O(log capacity). `add` of a monitored item is a hash probe
/// and an increment.
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

    /// The counters, their index and their heap, in raw memory owned by this object: the
    /// per-row paths then pay no reference counting, bounds or exclusivity checks. Entries
    /// `0..<count` are initialized; the index has `tableSize` (a power of two, or 0) slots.
    final class Storage {
        private(set) var entries: UnsafeMutablePointer<Entry>? = nil
        private(set) var count = 0
        private var entryCapacity = 0
        /// Open addressing with linear probing: -1 empty, otherwise an entry index.
        private var table: UnsafeMutablePointer<Int32>? = nil
        private(set) var tableSize = 0
        /// Binary heap of entry indexes (see `heapBefore`), kept only while full: `heapCount`
        /// slots, then the heap position of each entry in the next `heapCount`.
        private var heapData: UnsafeMutablePointer<Int32>? = nil
        private(set) var heapCount = 0

        init() {}

        deinit {
            if let entries {
                entries.deinitialize(count: count)
                entries.deallocate()
            }
            table?.deallocate()
            heapData?.deallocate()
        }

        func copy() -> Storage {
            let s = Storage()
            if let entries, count > 0 {
                s.entries = .allocate(capacity: count)
                s.entries!.initialize(from: entries, count: count)
                s.count = count
                s.entryCapacity = count
            }
            if let table {
                s.table = .allocate(capacity: tableSize)
                s.table!.initialize(from: table, count: tableSize)
                s.tableSize = tableSize
            }
            if let heapData {
                s.heapData = .allocate(capacity: 2 * heapCount)
                s.heapData!.initialize(from: heapData, count: 2 * heapCount)
                s.heapCount = heapCount
            }
            return s
        }

        /// The initialized entries (valid until the next mutation).
        var entryBuffer: UnsafeBufferPointer<Entry> { UnsafeBufferPointer(start: entries, count: count) }

        @inline(__always)
        func entry(_ i: Int) -> Entry { entries.unsafelyUnwrapped[i] }

        var hasHeap: Bool { heapCount > 0 }

        /// Entry index at heap position `i`.
        @inline(__always)
        func heapSlot(_ i: Int) -> Int { Int(heapData.unsafelyUnwrapped[i]) }

        /// Heap position of entry `slot`.
        @inline(__always)
        func heapPosition(_ slot: Int) -> Int { Int(heapData.unsafelyUnwrapped[heapCount + slot]) }

        /// Appends an entry (not yet indexed).
        func append(_ e: Entry) {
            if count == entryCapacity {
                let newCapacity = max(4, entryCapacity * 2)
                let fresh = UnsafeMutablePointer<Entry>.allocate(capacity: newCapacity)
                if let entries {
                    fresh.moveInitialize(from: entries, count: count)
                    entries.deallocate()
                }
                entries = fresh
                entryCapacity = newCapacity
            }
            (entries.unsafelyUnwrapped + count).initialize(to: e)
            count += 1
        }

        /// Replaces all entries (none indexed).
        func setEntries(_ list: [Entry]) {
            precondition(count == 0 && tableSize == 0 && heapCount == 0)
            for e in list { append(e) }
        }

        @inline(__always)
        func find(_ item: ScalarValue, hash: UInt64) -> Int {
            guard let t = table else {
                // Up to `linearLimit` counters: no index, a scan of the hashes.
                guard let e = entries else { return -1 }
                for slot in 0..<count where e[slot].hash == hash && e[slot].item == item { return slot }
                return -1
            }
            let e = entries.unsafelyUnwrapped
            let mask = tableSize - 1
            var i = Int(truncatingIfNeeded: hash) & mask
            while true {
                let slot = Int(t[i])
                if slot < 0 { return -1 }
                if e[slot].hash == hash && e[slot].item == item { return slot }
                i = (i + 1) & mask
            }
        }

        /// Small summaries (most keys) keep no index: a scan of up to this many hashes is as
        /// fast as a probe, and saves an allocation per summary.
        static let linearLimit = 8

        /// Adds entry `slot` to the index, growing it at half load.
        func index(_ slot: Int) {
            if count <= Self.linearLimit { return }
            if count * 2 > tableSize {
                rebuildTable()
                return
            }
            let t = table.unsafelyUnwrapped
            let mask = tableSize - 1
            var i = Int(truncatingIfNeeded: entries.unsafelyUnwrapped[slot].hash) & mask
            while t[i] >= 0 { i = (i + 1) & mask }
            t[i] = Int32(slot)
        }

        /// Rebuilds the index at the smallest power of two (>= 8) that keeps the load <= 1/2.
        func rebuildTable() {
            table?.deallocate()
            table = nil
            tableSize = 0
            guard count > Self.linearLimit, let e = entries else { return }
            var size = 8
            while size < count * 2 { size *= 2 }
            let t = UnsafeMutablePointer<Int32>.allocate(capacity: size)
            t.initialize(repeating: -1, count: size)
            let mask = size - 1
            for slot in 0..<count {
                var i = Int(truncatingIfNeeded: e[slot].hash) & mask
                while t[i] >= 0 { i = (i + 1) & mask }
                t[i] = Int32(slot)
            }
            table = t
            tableSize = size
        }

        /// Number of occupied index slots (for consistency checks).
        func indexedCount() -> Int {
            guard let table else { return count <= Self.linearLimit ? count : -1 }
            return (0..<tableSize).filter { table[$0] >= 0 }.count
        }

        /// Removes entry `slot` from the index (backward-shift deletion keeps probes short).
        func unindex(_ slot: Int) {
            guard let t = table else { return }
            let e = entries.unsafelyUnwrapped
            let mask = tableSize - 1
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

        func buildHeap() {
            heapData?.deallocate()
            let n = count
            let data = UnsafeMutablePointer<Int32>.allocate(capacity: 2 * n)
            for i in 0..<n {
                (data + i).initialize(to: Int32(i))
                (data + n + i).initialize(to: Int32(i))
            }
            heapData = data
            heapCount = n
            var i = n / 2 - 1
            while i >= 0 {
                siftDown(i)
                i -= 1
            }
        }

        /// Heap order: the reverse of `retainedBefore`, so the root is the counter to drop next.
        @inline(__always)
        static func heapBefore(_ e: UnsafeMutablePointer<Entry>, _ a: Int, _ b: Int) -> Bool {
            let ca = e[a].count
            let cb = e[b].count
            if ca != cb { return ca < cb }
            let ha = e[a].hash
            let hb = e[b].hash
            if ha != hb { return ha > hb }
            return ScalarValue.totalOrder(e[a].item, e[b].item) > 0
        }

        /// Restores the heap below position `start` after the counter there moved later in heap
        /// order (its count grew, or it was replaced by a later counter), or on build.
        func siftDown(_ start: Int) {
            guard let data = heapData else { return }
            let e = entries.unsafelyUnwrapped
            let n = heapCount
            var i = start
            let slot = Int(data[i])
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                var child = l
                if l + 1 < n && Self.heapBefore(e, Int(data[l + 1]), Int(data[l])) { child = l + 1 }
                let childSlot = Int(data[child])
                if !Self.heapBefore(e, childSlot, slot) { break }
                data[i] = Int32(childSlot)
                data[n + childSlot] = Int32(i)
                i = child
            }
            data[i] = Int32(slot)
            data[n + slot] = Int32(i)
        }

        /// Adds `delta` to the count and `errorDelta` to the error of entry `slot`, then restores
        /// the heap (`delta` must not be negative).
        @inline(__always)
        func bump(_ slot: Int, count delta: Int64, error errorDelta: Int64 = 0) {
            let e = entries.unsafelyUnwrapped
            e[slot].count = SpaceSaving.saturatingAdd(e[slot].count, delta)
            if errorDelta != 0 { e[slot].error = SpaceSaving.saturatingAdd(e[slot].error, errorDelta) }
            if heapCount > 0 { siftDown(heapPosition(slot)) }
        }

        /// Adds `delta` to every count and error (keeps the heap order).
        func bumpAll(_ delta: Int64) {
            guard let e = entries else { return }
            for i in 0..<count {
                e[i].count = SpaceSaving.saturatingAdd(e[i].count, delta)
                e[i].error = SpaceSaving.saturatingAdd(e[i].error, delta)
            }
        }

        /// Puts `entry` in place of entry `slot` (the heap root) and restores index and heap.
        func replaceRoot(with entry: Entry) {
            let slot = heapSlot(0)
            unindex(slot)
            entries.unsafelyUnwrapped[slot] = entry
            index(slot)
            siftDown(0)
        }

        /// Adds `count` to `item` (canonical, with its stable hash): increments a monitored item,
        /// takes a free counter, or replaces the counter to drop next (returns true then).
        @inline(__always)
        func add(_ item: ScalarValue, hash h: UInt64, count delta: Int64, capacity: Int) -> Bool {
            let found = find(item, hash: h)
            if found >= 0 {
                bump(found, count: delta)
                return false
            }
            if count < capacity {
                append(Entry(item: item, count: delta, error: 0, hash: h))
                index(count - 1)
                if count == capacity { buildHeap() }
                return false
            }
            // Full: the new item takes over the counter to drop, inheriting its count as error.
            let old = entries.unsafelyUnwrapped[heapSlot(0)].count
            replaceRoot(with: Entry(item: item, count: SpaceSaving.saturatingAdd(old, delta), error: old, hash: h))
            return true
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
    /// dropped (in retention order: largest counts kept) and mark it truncated; a repeated item
    /// keeps its first counter.
    public init(capacity: Int, truncated: Bool, counters: [(item: ScalarValue, count: Int64, error: Int64)]) {
        var seen = Set<ScalarValue>()
        var entries: [Entry] = []
        entries.reserveCapacity(counters.count)
        for c in counters {
            let item = Self.canonical(c.item)
            guard seen.insert(item).inserted else { continue }
            entries.append(Entry(item: item, count: c.count, error: c.error, hash: HyperLogLog.hash(item)))
        }
        self.init(capacity: capacity, truncated: truncated, entries: entries)
    }

    /// Builds a summary from distinct, canonical entries, keeping the first `capacity` in
    /// retention order.
    init(capacity: Int, truncated: Bool, entries: [Entry]) {
        self.init(capacity: capacity)
        self.truncated = truncated
        var kept = entries
        if kept.count > self.capacity {
            kept.sort(by: Self.retainedBefore)
            kept.removeLast(kept.count - self.capacity)
            self.truncated = true
        }
        let s = storage
        s.setEntries(kept)
        s.rebuildTable()
        if kept.count == self.capacity { s.buildHeap() }
    }

    /// Number of monitored items.
    public var count: Int { storage.count }

    public var isEmpty: Bool { storage.count == 0 }

    /// The smallest counter (0 when empty).
    public var minCount: Int64 {
        let s = storage
        if s.hasHeap { return s.entry(s.heapSlot(0)).count }
        return s.entryBuffer.lazy.map(\.count).min() ?? 0
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
        let item = Self.canonical(item0)
        if storage.add(item, hash: HyperLogLog.hash(item), count: count, capacity: capacity) { truncated = true }
    }

    /// The counters in canonical order: count descending, ties by item ascending
    /// (`ScalarValue.totalOrder`).
    public var counters: [(item: ScalarValue, count: Int64, error: Int64)] {
        var out = storage.entryBuffer.map { (item: $0.item, count: $0.count, error: $0.error) }
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
        let e = storage.entry(slot)
        return (e.count, e.error)
    }

    /// The merged summary: shared items add counts and errors; an item missing from a
    /// truncated side gets that side's smallest count added to both its count and its error;
    /// then the first `max(capacity)` counters in retention order are kept (largest counts;
    /// ties by smaller stable hash). Commutative; associative while nothing is dropped.
    public func merged(with other: SpaceSaving) -> SpaceSaving {
        var copy = self
        copy.merge(other)
        return copy
    }

    public mutating func merge(_ other: SpaceSaving) {
        let newCapacity = max(capacity, other.capacity)
        if other.isEmpty && !other.truncated && newCapacity == capacity { return }
        // Fast path: both exact and the union fits without eviction, so merging is adding.
        if !truncated && !other.truncated && newCapacity == capacity && count + other.count <= capacity {
            for e in Array(other.storage.entryBuffer) { addUnchecked(e.item, count: e.count) }
            return
        }
        // A small summary (say one lifted row) folds into a big one in place, in O(log capacity)
        // per item instead of a rebuild, with exactly the result of the full merge.
        let small = 16
        if other.count <= small && newCapacity == capacity {
            mergeIncremental(other)
            return
        }
        if count <= small && newCapacity == other.capacity {
            var result = other
            result.mergeIncremental(self)
            self = result
            return
        }
        self = Self.mergeRebuilding(self, other)
    }

    /// The merge by definition: all combined counters, sorted canonically, the first
    /// `max(capacity)` kept.
    static func mergeRebuilding(_ a: SpaceSaving, _ b: SpaceSaving) -> SpaceSaving {
        let boundA = a.unmonitoredBound
        let boundB = b.unmonitoredBound
        let mine = Array(a.storage.entryBuffer)
        let theirs = Array(b.storage.entryBuffer)
        var merged: [Entry] = []
        merged.reserveCapacity(mine.count + theirs.count)
        for var e in mine {
            let j = b.storage.find(e.item, hash: e.hash)
            e.count = saturatingAdd(e.count, j >= 0 ? theirs[j].count : boundB)
            e.error = saturatingAdd(e.error, j >= 0 ? theirs[j].error : boundB)
            merged.append(e)
        }
        for var e in theirs where a.storage.find(e.item, hash: e.hash) < 0 {
            e.count = saturatingAdd(e.count, boundA)
            e.error = saturatingAdd(e.error, boundA)
            merged.append(e)
        }
        return SpaceSaving(
            capacity: max(a.capacity, b.capacity), truncated: a.truncated || b.truncated, entries: merged)
    }

    /// `merge` for `other.capacity <= capacity`, updating this summary in place.
    private mutating func mergeIncremental(_ other: SpaceSaving) {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        let s = storage
        let boundSelf = unmonitoredBound
        let boundOther = other.unmonitoredBound
        let theirs = other.storage.entryBuffer  // a different object from `s`: no aliasing
        // Every counter of ours gets the other side's bound; shared ones then get the rest of
        // the other side's count (>= its bound), which only moves them later in heap order.
        if boundOther > 0 { s.bumpAll(boundOther) }
        var fresh = 0
        for e in theirs {
            let slot = s.find(e.item, hash: e.hash)
            if slot >= 0 {
                s.bump(slot, count: e.count &- boundOther, error: e.error &- boundOther)
            } else {
                fresh += 1
            }
        }
        truncated = truncated || other.truncated
        if fresh == 0 { return }
        // New items enter with our bound; when full, each competes with the counter that comes
        // last in retention order (the heap's root). Keeping the top `capacity` one item at a
        // time gives the same set as sorting everything at once. (Items are looked up before
        // any is added: `other`'s items are distinct, so a new one is never found again.)
        var newItems: [Entry] = []
        newItems.reserveCapacity(fresh)
        for e in theirs where s.find(e.item, hash: e.hash) < 0 { newItems.append(e) }
        for e in newItems {
            let entry = Entry(
                item: e.item, count: Self.saturatingAdd(e.count, boundSelf),
                error: Self.saturatingAdd(e.error, boundSelf), hash: e.hash)
            if s.count < capacity {
                s.append(entry)
                s.index(s.count - 1)
                if s.count == capacity { s.buildHeap() }
                continue
            }
            truncated = true
            if Self.retainedBefore(entry, s.entry(s.heapSlot(0))) { s.replaceRoot(with: entry) }
        }
    }

    public static func == (lhs: SpaceSaving, rhs: SpaceSaving) -> Bool {
        guard lhs.capacity == rhs.capacity, lhs.truncated == rhs.truncated, lhs.count == rhs.count else { return false }
        let r = rhs.storage
        for e in lhs.storage.entryBuffer {
            let j = r.find(e.item, hash: e.hash)
            guard j >= 0, r.entry(j).count == e.count, r.entry(j).error == e.error else { return false }
        }
        return true
    }

    // MARK: - Internals

    /// Checks the internal invariants (for tests): every counter is found through the index,
    /// the index holds exactly the counters, and the heap (when kept) is valid.
    func isConsistent() -> Bool {
        let s = storage
        guard s.indexedCount() == s.count else { return false }
        for (i, e) in s.entryBuffer.enumerated() where s.find(e.item, hash: e.hash) != i { return false }
        if s.count == capacity {
            guard s.heapCount == capacity, let e = s.entries else { return false }
            for pos in 0..<s.heapCount {
                let slot = s.heapSlot(pos)
                guard s.heapPosition(slot) == pos else { return false }
                if pos > 0 && Storage.heapBefore(e, slot, s.heapSlot((pos - 1) / 2)) { return false }
            }
        } else if s.hasHeap {
            return false
        }
        return true
    }

    @inline(__always)
    static func canonicalBefore(
        _ a: (item: ScalarValue, count: Int64, error: Int64),
        _ b: (item: ScalarValue, count: Int64, error: Int64)
    ) -> Bool {
        if a.count != b.count { return a.count > b.count }
        return ScalarValue.totalOrder(a.item, b.item) < 0
    }

    /// Retention order, which decides the counters a full summary drops: larger count first,
    /// then smaller stable hash, then smaller item. (Hashes make ties cheap to break; any
    /// fixed total order keeps merges deterministic and commutative.)
    @inline(__always)
    static func retainedBefore(_ a: Entry, _ b: Entry) -> Bool {
        if a.count != b.count { return a.count > b.count }
        if a.hash != b.hash { return a.hash < b.hash }
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
        return
            "SpaceSaving(capacity: \(capacity), truncated: \(truncated), \(count) counters: [\(shown)\(count > 20 ? ", ..." : "")])"
    }
}
