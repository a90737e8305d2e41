/// A Space-Saving heavy-hitters summary (Metwally et al.), mergeable in the manner of
/// Agarwal et al. ("Mergeable summaries").
///
/// Holds at most `capacity` counters `(item, count, error)`. For every monitored item,
/// `count - error <= true count <= count`. While no counter was ever evicted (`truncated` is
/// false) the summary is exact: counts are true counts and errors are 0. Once truncated, an
/// item that is not monitored occurred at most `minCount` times.
///
/// `add` updates in O(1) (a dictionary lookup) while there is room; once full it keeps a
/// binary min-heap of counters to evict the smallest in O(log capacity).
///
/// Equality is semantic: same capacity, same `truncated` flag, same set of counters
/// (regardless of their internal order).
public struct SpaceSaving: Sendable, Equatable {
    public let capacity: Int
    /// True once some item was evicted (or dropped by a merge): counts may then overestimate.
    public private(set) var truncated: Bool

    private var items: [ScalarValue]
    private var counts: [Int64]
    private var errors: [Int64]
    private var slotOf: [ScalarValue: Int]
    /// Min-heap of slots ordered by count; maintained only while full (empty otherwise).
    private var heap: [Int]
    /// Position in `heap` of each slot (valid only while the heap is maintained).
    private var heapPosition: [Int]

    /// The default capacity for a top-k query: `max(k * 10, 100)`.
    public static func defaultCapacity(k: Int) -> Int {
        let (tenK, overflow) = max(k, 1).multipliedReportingOverflow(by: 10)
        return overflow ? Int.max : max(tenK, 100)
    }

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        truncated = false
        items = []
        counts = []
        errors = []
        slotOf = [:]
        heap = []
        heapPosition = []
    }

    /// A summary sized for top-`k` queries (capacity `max(k * 10, 100)`).
    public init(k: Int) {
        self.init(capacity: Self.defaultCapacity(k: k))
    }

    /// Builds a summary from explicit counters (as decoded). Counters beyond `capacity` are
    /// dropped (largest counts kept) and mark it truncated.
    public init(capacity: Int, truncated: Bool, counters: [(item: ScalarValue, count: Int64, error: Int64)]) {
        self.init(capacity: capacity)
        self.truncated = truncated
        var sorted = counters
        sorted.sort(by: Self.canonicalBefore)
        if sorted.count > self.capacity {
            sorted.removeLast(sorted.count - self.capacity)
            self.truncated = true
        }
        for c in sorted where slotOf[c.item] == nil {
            let item = Self.canonical(c.item)
            slotOf[item] = items.count
            items.append(item)
            counts.append(c.count)
            errors.append(c.error)
        }
        if items.count == self.capacity { buildHeap() }
    }

    /// Number of monitored items.
    public var count: Int { items.count }

    public var isEmpty: Bool { items.isEmpty }

    /// The smallest counter (0 when empty).
    public var minCount: Int64 {
        if !heap.isEmpty { return counts[heap[0]] }
        return counts.min() ?? 0
    }

    /// Upper bound of the true count of an item that is not monitored.
    public var unmonitoredBound: Int64 { truncated ? minCount : 0 }

    /// Counts one occurrence (or `count` occurrences) of `item`. Non-positive counts are ignored.
    public mutating func add(_ item: ScalarValue, count: Int64 = 1) {
        guard count > 0 else { return }
        addUnchecked(item, count: count)
    }

    private mutating func addUnchecked(_ item0: ScalarValue, count: Int64) {
        let item = Self.canonical(item0)
        if let slot = slotOf[item] {
            counts[slot] = Self.saturatingAdd(counts[slot], count)
            if !heap.isEmpty { siftDown(heapPosition[slot]) }
            return
        }
        if items.count < capacity {
            slotOf[item] = items.count
            items.append(item)
            counts.append(count)
            errors.append(0)
            if items.count == capacity { buildHeap() }
            return
        }
        // Full: the new item takes over the smallest counter, inheriting its count as error.
        let slot = heap[0]
        slotOf.removeValue(forKey: items[slot])
        slotOf[item] = slot
        items[slot] = item
        errors[slot] = counts[slot]
        counts[slot] = Self.saturatingAdd(counts[slot], count)
        truncated = true
        siftDown(0)
    }

    /// The counters in canonical order: count descending, ties by item ascending
    /// (`ScalarValue.totalOrder`).
    public var counters: [(item: ScalarValue, count: Int64, error: Int64)] {
        var out: [(item: ScalarValue, count: Int64, error: Int64)] = []
        out.reserveCapacity(items.count)
        for i in items.indices { out.append((items[i], counts[i], errors[i])) }
        out.sort(by: Self.canonicalBefore)
        return out
    }

    /// The `k` items with the largest counts, by descending count (ties by item ascending).
    public func top(_ k: Int) -> [(item: ScalarValue, count: Int64)] {
        guard k > 0 else { return [] }
        return counters.prefix(k).map { ($0.item, $0.count) }
    }

    /// The guaranteed count (count − error) and the estimate of one item, if monitored.
    public func counter(for item: ScalarValue) -> (count: Int64, error: Int64)? {
        guard let slot = slotOf[item] else { return nil }
        return (counts[slot], errors[slot])
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
        // Fast path: both exact and the union fits without eviction, so merging is adding.
        if !truncated && !other.truncated && newCapacity == capacity && items.count + other.items.count <= capacity {
            for i in other.items.indices { addUnchecked(other.items[i], count: other.counts[i]) }
            return
        }
        let boundSelf = unmonitoredBound
        let boundOther = other.unmonitoredBound
        var merged: [(item: ScalarValue, count: Int64, error: Int64)] = []
        merged.reserveCapacity(items.count + other.items.count)
        for i in items.indices {
            let item = items[i]
            if let j = other.slotOf[item] {
                merged.append((item, Self.saturatingAdd(counts[i], other.counts[j]),
                               Self.saturatingAdd(errors[i], other.errors[j])))
            } else {
                merged.append((item, Self.saturatingAdd(counts[i], boundOther),
                               Self.saturatingAdd(errors[i], boundOther)))
            }
        }
        for j in other.items.indices where slotOf[other.items[j]] == nil {
            merged.append((other.items[j], Self.saturatingAdd(other.counts[j], boundSelf),
                           Self.saturatingAdd(other.errors[j], boundSelf)))
        }
        self = SpaceSaving(capacity: newCapacity, truncated: truncated || other.truncated, counters: merged)
    }

    public static func == (lhs: SpaceSaving, rhs: SpaceSaving) -> Bool {
        guard lhs.capacity == rhs.capacity, lhs.truncated == rhs.truncated,
              lhs.items.count == rhs.items.count else { return false }
        for i in lhs.items.indices {
            guard let j = rhs.slotOf[lhs.items[i]], rhs.counts[j] == lhs.counts[i],
                  rhs.errors[j] == lhs.errors[i] else { return false }
        }
        return true
    }

    // MARK: - Internals

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

    private mutating func buildHeap() {
        heap = Array(items.indices)
        heapPosition = Array(items.indices)
        var i = heap.count / 2 - 1
        while i >= 0 {
            siftDown(i)
            i -= 1
        }
    }

    /// Restores the heap below position `i` after the counter there grew (or on build).
    private mutating func siftDown(_ start: Int) {
        let n = heap.count
        var i = start
        let slot = heap[i]
        let c = counts[slot]
        while true {
            let l = 2 * i + 1
            if l >= n { break }
            var child = l
            if l + 1 < n && counts[heap[l + 1]] < counts[heap[l]] { child = l + 1 }
            let childSlot = heap[child]
            if counts[childSlot] >= c { break }
            heap[i] = childSlot
            heapPosition[childSlot] = i
            i = child
        }
        heap[i] = slot
        heapPosition[slot] = i
    }
}
