#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A HyperLogLog distinct-count sketch with precision p = 14 (16384 registers, standard error
/// about 0.81%), built for many small keys:
///
/// * **Sparse mode** (the start): a sorted array of `UInt32` entries `index25 << 6 | rank`,
///   one per distinct 25-bit register index seen (p' = 25: the top 25 hash bits), with the
///   largest rank (leading zeros of the remaining 39 bits, plus one, 1...40). Small sets cost
///   4 bytes per distinct value and are counted almost exactly (linear counting over 2^25
///   buckets: about n²/2^26 collisions, under 0.3 at n = 4096).
/// * **Dense mode**: once the sparse array would hold more than 4096 entries (16 KiB, the
///   dense size) the sketch converts to 16384 one-byte registers (p = 14, ranks 1...51). The
///   conversion is exact: a sparse entry's index's top 14 bits are the dense index, and its
///   dense rank follows from the next 11 index bits and the sparse rank.
///
/// Both modes live in one `[UInt32]` (dense: 4096 words read as 16384 bytes), so the sketch is
/// a single reference, which keeps per-row folds through `PartialValue` cheap.
///
/// The representation is a function of the set of inserted hashes only (not of insertion or
/// merge order), so equal sets give equal sketches. Dense estimates use Ertl's improved raw
/// estimator (register histogram, no bias tables), accurate from 0 to far beyond 10^9.
public struct HyperLogLog: Sendable, Equatable {
    public static let precision = 14
    public static let registerCount = 1 << 14
    static let sparsePrecision = 25
    /// Largest sparse entry count; one more converts to dense (4 bytes × 4096 = 16 KiB).
    public static let sparseLimit = 4096
    static let denseWords = registerCount / 4

    /// Sparse: sorted entries `index25 << 6 | rank`. Dense: the registers, 4 per word, register
    /// i at byte offset i of the array's memory.
    private var words: [UInt32]
    public private(set) var isDense: Bool

    public init() {
        words = []
        isDense = false
    }

    /// A sparse sketch from sorted, distinct-index entries (as decoded).
    init(sparse: [UInt32]) {
        words = sparse
        isDense = false
    }

    /// A dense sketch from 16384 registers (as decoded).
    init(registers: [UInt8]) {
        precondition(registers.count == Self.registerCount)
        var w = [UInt32](repeating: 0, count: Self.denseWords)
        w.withUnsafeMutableBytes { dst in
            registers.withUnsafeBytes { dst.copyMemory(from: $0) }
        }
        words = w
        isDense = true
    }

    /// True when nothing was inserted.
    public var isEmpty: Bool { words.isEmpty }

    /// Number of sparse entries (0 in dense mode).
    public var sparseCount: Int { isDense ? 0 : words.count }

    /// Bytes of payload held (4 per sparse entry, or 16384 dense).
    public var byteSize: Int { words.count * 4 }

    /// The sparse entries (empty in dense mode).
    var sparse: [UInt32] { isDense ? [] : words }

    /// The dense registers (empty in sparse mode).
    var registers: [UInt8] {
        guard isDense else { return [] }
        return words.withUnsafeBytes { Array($0) }
    }

    /// Runs `body` on the 16384 dense register bytes (dense mode only).
    func withRegisterBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(isDense)
        return try words.withUnsafeBytes(body)
    }

    @inline(__always)
    static func sparseEntry(_ hash: UInt64) -> UInt32 {
        let index = UInt32(truncatingIfNeeded: hash >> 39)
        let rest = hash << 25
        let rank = UInt32(min(rest.leadingZeroBitCount, 39) + 1)
        return index << 6 | rank
    }

    @inline(__always)
    static func denseIndexRank(_ hash: UInt64) -> (Int, UInt8) {
        let index = Int(truncatingIfNeeded: hash >> 50)
        let rest = hash << 14
        return (index, UInt8(min(rest.leadingZeroBitCount, 50) + 1))
    }

    /// The dense register index and rank that a sparse entry stands for.
    @inline(__always)
    static func denseFromSparse(_ entry: UInt32) -> (Int, UInt8) {
        let index25 = entry >> 6
        let rank25 = UInt8(entry & 63)
        let low = index25 & 0x7FF  // the 11 index bits below the top 14
        let rank: UInt8
        if low != 0 {
            // leading zeros of `low` within 11 bits, plus one
            rank = UInt8(low.leadingZeroBitCount - 21 + 1)
        } else {
            rank = 11 + rank25
        }
        return (Int(index25 >> 11), rank)
    }

    /// Adds one hashed value (use `HyperLogLog.hash(_:)` or `hash(bytes:)`).
    public mutating func insert(hash: UInt64) {
        if isDense {
            let (i, r) = Self.denseIndexRank(hash)
            words.withUnsafeMutableBytes { regs in
                if regs[i] < r { regs[i] = r }
            }
            return
        }
        insertSparse(Self.sparseEntry(hash))
    }

    /// Adds one sparse entry (in either mode).
    @inline(__always)
    mutating func insertEntry(_ entry: UInt32) {
        if isDense {
            let (i, r) = Self.denseFromSparse(entry)
            words.withUnsafeMutableBytes { regs in
                if regs[i] < r { regs[i] = r }
            }
        } else {
            insertSparse(entry)
        }
    }

    @inline(__always)
    private mutating func insertSparse(_ entry: UInt32) {
        let key = entry >> 6
        // Position = number of entries whose index is below key. Binary search narrows the
        // range to at most 64 entries; then a branch-free count finishes (it vectorizes, and
        // unlike the search's last steps it has no unpredictable branches).
        let position: Int = words.withUnsafeBufferPointer { s in
            var lo = 0
            var hi = s.count
            while hi - lo > 64 {
                let mid = (lo &+ hi) >> 1
                if s[mid] >> 6 < key { lo = mid &+ 1 } else { hi = mid }
            }
            guard lo < hi, let p = s.baseAddress else { return lo }
            // (index - key) wraps to a value with the top bit set exactly when index < key
            // (both are below 2^25).
            var below: UInt32 = 0
            var i = lo
            while i < hi {
                below &+= ((p[i] >> 6) &- key) >> 31
                i &+= 1
            }
            return lo &+ Int(below)
        }
        if position < words.count && words[position] >> 6 == key {
            if words[position] & 63 < entry & 63 { words[position] = entry }
            return
        }
        words.insert(entry, at: position)
        if words.count > Self.sparseLimit { convertToDense() }
    }

    /// Adds one value by its stable hash.
    @inline(__always)
    public mutating func insert(_ value: ScalarValue) {
        insert(hash: Self.hash(value))
    }

    mutating func convertToDense() {
        words = Self.denseWords(fromSparse: words)
        isDense = true
    }

    static func denseWords(fromSparse sparse: [UInt32]) -> [UInt32] {
        var w = [UInt32](repeating: 0, count: denseWords)
        w.withUnsafeMutableBytes { r in
            for e in sparse {
                let (i, rank) = denseFromSparse(e)
                if r[i] < rank { r[i] = rank }
            }
        }
        return w
    }

    /// The union of two sketches (as if every value of both had been inserted into one).
    public func merged(with other: HyperLogLog) -> HyperLogLog {
        var copy = self
        copy.merge(other)
        return copy
    }

    /// In-place union.
    public mutating func merge(_ other: HyperLogLog) {
        if other.isEmpty { return }
        if isEmpty {
            self = other
            return
        }
        switch (isDense, other.isDense) {
        case (true, true):
            words.withUnsafeMutableBytes { a in
                other.words.withUnsafeBytes { b in
                    for i in 0..<Self.registerCount { a[i] = max(a[i], b[i]) }
                }
            }
        case (true, false):
            words.withUnsafeMutableBytes { r in
                for e in other.words {
                    let (i, rank) = Self.denseFromSparse(e)
                    if r[i] < rank { r[i] = rank }
                }
            }
        case (false, true):
            var w = other.words
            w.withUnsafeMutableBytes { r in
                for e in words {
                    let (i, rank) = Self.denseFromSparse(e)
                    if r[i] < rank { r[i] = rank }
                }
            }
            words = w
            isDense = true
        case (false, false):
            // One lifted row (or a few) goes in place; larger sketches merge in one pass.
            if other.words.count <= 8 {
                for e in other.words { insertEntry(e) }
                return
            }
            if words.count <= 8 {
                var result = other
                for e in words { result.insertEntry(e) }
                self = result
                return
            }
            let merged = Self.mergeSparse(words, other.words)
            if merged.count > Self.sparseLimit {
                words = Self.denseWords(fromSparse: merged)
                isDense = true
            } else {
                words = merged
            }
        }
    }

    /// Merges two sorted sparse lists, keeping the larger rank for equal indexes.
    static func mergeSparse(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var out = [UInt32]()
        out.reserveCapacity(a.count + b.count)
        var i = 0
        var j = 0
        while i < a.count && j < b.count {
            let ka = a[i] >> 6
            let kb = b[j] >> 6
            if ka < kb {
                out.append(a[i])
                i += 1
            } else if kb < ka {
                out.append(b[j])
                j += 1
            } else {
                out.append(max(a[i], b[j]))
                i += 1
                j += 1
            }
        }
        if i < a.count { out.append(contentsOf: a[i...]) }
        if j < b.count { out.append(contentsOf: b[j...]) }
        return out
    }

    /// The estimated number of distinct values inserted.
    public var estimate: Int64 {
        if isEmpty { return 0 }
        if !isDense {
            // Linear counting over the 2^25 sparse buckets.
            let m = Double(1 << Self.sparsePrecision)
            let n = Double(words.count)
            return Int64((m * log(m / (m - n))).rounded())
        }
        return Int64(words.withUnsafeBytes { Self.ertlEstimate($0) }.rounded())
    }

    /// Ertl (2017), "New cardinality estimation algorithms for HyperLogLog sketches":
    /// the improved raw estimator over the register-value histogram.
    static func ertlEstimate(_ regs: UnsafeRawBufferPointer) -> Double {
        let q = 64 - precision  // 50; register values are 0...q+1
        var histogram = [Int](repeating: 0, count: q + 2)
        for v in regs { histogram[Int(v)] += 1 }
        let m = Double(registerCount)
        var z = m * tau(1 - Double(histogram[q + 1]) / m)
        var k = q
        while k >= 1 {
            z = 0.5 * (z + Double(histogram[k]))
            k -= 1
        }
        z += m * sigma(Double(histogram[0]) / m)
        let alphaInf = 1 / (2 * log(2.0))
        return alphaInf * m * m / z
    }

    static func sigma(_ x0: Double) -> Double {
        if x0 == 1 { return .infinity }
        var x = x0
        var y = 1.0
        var z = x0
        while true {
            x *= x
            let previous = z
            z += x * y
            y += y
            if z == previous { return z }
        }
    }

    static func tau(_ x0: Double) -> Double {
        if x0 == 0 || x0 == 1 { return 0 }
        var x = x0
        var y = 1.0
        var z = 1 - x0
        while true {
            x = x.squareRoot()
            let previous = z
            y *= 0.5
            z -= (1 - x) * (1 - x) * y
            if z == previous { return z / 3 }
        }
    }

    public static func == (lhs: HyperLogLog, rhs: HyperLogLog) -> Bool {
        switch (lhs.isDense, rhs.isDense) {
        case (false, false), (true, true): return lhs.words == rhs.words
        case (true, false): return lhs.words == denseWords(fromSparse: rhs.words)
        case (false, true): return denseWords(fromSparse: lhs.words) == rhs.words
        }
    }
}
