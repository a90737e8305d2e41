#if canImport(Glibc)
import Glibc
#endif

/// The hot loops behind `ColumnProfile.add`: one pass over each buffer, dictionary columns folded per entry.
enum ProfileAccumulator {
    static func fold(_ data: ColumnData, into p: inout ColumnProfile) {
        switch data {
        case .dictionary(let dict, let codes):
            foldDictionary(dict, codes, into: &p)
        case .boolean(let v):
            var t = false, f = false
            for b in v {
                if b { t = true } else { f = true }
                if t && f { break }
            }
            if f { p.offerMin(.bool(false)) } else if t { p.offerMin(.bool(true)) }
            if t { p.offerMax(.bool(true)) } else if f { p.offerMax(.bool(false)) }
        case .int32(let v):
            let unsigned = p.kind == .unsigned
            v.withUnsafeBufferPointer { buf in
                guard !buf.isEmpty else { return }
                if unsigned {
                    var lo = UInt32.max, hi = UInt32.min
                    var sum: UInt64 = 0
                    for x in buf {
                        let u = UInt32(bitPattern: x)
                        lo = Swift.min(lo, u)
                        hi = Swift.max(hi, u)
                        sum &+= UInt64(u)  // 2^32 values of < 2^32 each cannot overflow 2^64
                    }
                    p.offerMin(.int(Int64(lo)))
                    p.offerMax(.int(Int64(hi)))
                    if p.integerSum != nil { p.integerSum! += Int128(sum) }
                } else {
                    var lo = Int32.max, hi = Int32.min
                    var sum: Int64 = 0
                    for x in buf {
                        lo = Swift.min(lo, x)
                        hi = Swift.max(hi, x)
                        sum &+= Int64(x)
                    }
                    p.offerMin(.int(Int64(lo)))
                    p.offerMax(.int(Int64(hi)))
                    if p.integerSum != nil { p.integerSum! += Int128(sum) }
                }
            }
        case .int64(let v):
            let unsigned = p.kind == .unsigned
            v.withUnsafeBufferPointer { buf in
                guard !buf.isEmpty else { return }
                // Sum the high and low 32-bit halves separately so no partial sum can overflow.
                var low: UInt64 = 0
                var high: Int64 = 0
                if unsigned {
                    var lo = UInt64.max, hi = UInt64.min
                    var uhigh: UInt64 = 0
                    for x in buf {
                        let u = UInt64(bitPattern: x)
                        lo = Swift.min(lo, u)
                        hi = Swift.max(hi, u)
                        low &+= u & 0xFFFF_FFFF
                        uhigh &+= u >> 32
                    }
                    p.offerMin(.int(Int64(bitPattern: lo)))
                    p.offerMax(.int(Int64(bitPattern: hi)))
                    if p.integerSum != nil { p.integerSum! += Int128(uhigh) << 32 + Int128(low) }
                } else {
                    var lo = Int64.max, hi = Int64.min
                    for x in buf {
                        lo = Swift.min(lo, x)
                        hi = Swift.max(hi, x)
                        low &+= UInt64(bitPattern: x) & 0xFFFF_FFFF
                        high &+= x >> 32
                    }
                    p.offerMin(.int(lo))
                    p.offerMax(.int(hi))
                    if p.integerSum != nil { p.integerSum! += Int128(high) << 32 + Int128(low) }
                }
            }
        case .int96(let v):
            for x in v {
                p.offerMin(.int96(x))
                p.offerMax(.int96(x))
            }
        case .float(let v):
            var sum = 0.0
            var lo = Float.infinity, hi = -Float.infinity
            var any = false
            for x in v {
                sum += Double(x)
                if !x.isNaN {
                    any = true
                    lo = Swift.min(lo, x)
                    hi = Swift.max(hi, x)
                }
            }
            if any {
                p.offerMin(.double(Double(lo)))
                p.offerMax(.double(Double(hi)))
            }
            if p.floatSum != nil { p.floatSum! += sum }
        case .double(let v):
            var sum = 0.0
            var lo = Double.infinity, hi = -Double.infinity
            var any = false
            for x in v {
                sum += x
                if !x.isNaN {
                    any = true
                    lo = Swift.min(lo, x)
                    hi = Swift.max(hi, x)
                }
            }
            if any {
                p.offerMin(.double(lo))
                p.offerMax(.double(hi))
            }
            if p.floatSum != nil { p.floatSum! += sum }
        case .byteArray(let v):
            guard v.count > 0 else { return }
            if p.bytes != nil { p.bytes! += v.offsets[v.count] - v.offsets[0] }
            foldBytes(count: v.count, bytes: v.bytes, range: v.range, into: &p)
        case .fixedLenByteArray(let v):
            guard v.count > 0 else { return }
            if p.bytes != nil { p.bytes! += v.bytes.count }
            let w = v.width
            foldBytes(count: v.count, bytes: v.bytes, range: { ($0 * w)..<(($0 + 1) * w) }, into: &p)
        }
    }

    /// Min, max and (for decimals and float16) sums over byte values.
    static func foldBytes(count: Int, bytes: [UInt8], range: (Int) -> Range<Int>, into p: inout ColumnProfile) {
        var minIndex = 0, maxIndex = 0
        let kind = p.kind
        bytes.withUnsafeBufferPointer { all in
            func slice(_ i: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: all[range(i)]) }
            func less(_ a: Int, _ b: Int) -> Bool {
                if case .decimal = kind { return ProfileKey.signedBigEndianLess(Array(slice(a)), Array(slice(b))) }
                if kind == .float16 {
                    return floatOf(slice(a)) < floatOf(slice(b))
                }
                return slice(a).lexicographicallyPrecedes(slice(b))
            }
            // Float16 NaN is unordered: skip it for min and max, as FLOAT and DOUBLE do.
            func isNaN(_ i: Int) -> Bool { kind == .float16 && floatOf(slice(i)).isNaN }
            var first = 0
            while first < count && isNaN(first) { first += 1 }
            guard first < count else { return }
            minIndex = first
            maxIndex = first
            for i in (first + 1)..<max(first + 1, count) where !isNaN(i) {
                if less(i, minIndex) { minIndex = i }
                if less(maxIndex, i) { maxIndex = i }
            }
            if case .decimal = kind, p.integerSum != nil {
                var sum: Int128 = 0
                for i in 0..<count { sum &+= int128(slice(i)) }
                p.integerSum! += sum
            }
            if kind == .float16, p.floatSum != nil {
                var sum = 0.0
                for i in 0..<count { sum += Double(floatOf(slice(i))) }
                p.floatSum! += sum
            }
        }
        if kind == .float16 {
            let allNaN = bytes.withUnsafeBufferPointer { all in
                (0..<count).allSatisfy { floatOf(UnsafeBufferPointer(rebasing: all[range($0)])).isNaN }
            }
            if allNaN { return }
        }
        let r1 = range(minIndex), r2 = range(maxIndex)
        p.offerMin(.bytes(Array(bytes[r1])))
        p.offerMax(.bytes(Array(bytes[r2])))
    }

    static func floatOf(_ b: UnsafeBufferPointer<UInt8>) -> Float {
        guard b.count == 2 else { return 0 }
        return ValueFormatter.halfToFloat(UInt16(b[0]) | UInt16(b[1]) << 8)
    }

    /// A big-endian two's-complement integer of up to 16 bytes (longer values keep their low 128 bits).
    static func int128(_ b: UnsafeBufferPointer<UInt8>) -> Int128 {
        guard let first = b.first else { return 0 }
        var v: Int128 = first & 0x80 != 0 ? -1 : 0
        for byte in b { v = v << 8 | Int128(byte) }
        return v
    }

    /// Counts codes per dictionary entry, then folds each used entry once, weighted by its count.
    static func foldDictionary(_ dict: ColumnData, _ codes: [Int32], into p: inout ColumnProfile) {
        let n = dict.count
        guard n > 0, !codes.isEmpty else { return }
        var counts = [Int](repeating: 0, count: n)
        counts.withUnsafeMutableBufferPointer { c in
            codes.withUnsafeBufferPointer { k in
                // Safe: every code was checked against the dictionary size when the page was decoded.
                for code in k { c[Int(code)] += 1 }
            }
        }
        switch dict {
        case .byteArray(let d):
            var total = 0
            var minIndex = -1, maxIndex = -1
            let decimal: Bool
            if case .decimal = p.kind { decimal = true } else { decimal = false }
            d.bytes.withUnsafeBufferPointer { all in
                d.offsets.withUnsafeBufferPointer { offsets in
                    counts.withUnsafeBufferPointer { counts in
                        // Safe: offsets has n + 1 entries within `all`, counts has n entries (checked when decoded).
                        let base = all.baseAddress ?? UnsafePointer(bitPattern: 1)!
                        @inline(__always) func less(_ a: Int, _ b: Int) -> Bool {
                            let aStart = offsets[a], aLength = offsets[a + 1] - aStart
                            let bStart = offsets[b], bLength = offsets[b + 1] - bStart
                            if decimal {
                                return ProfileKey.signedBigEndianLess(Array(all[aStart..<(aStart + aLength)]), Array(all[bStart..<(bStart + bLength)]))
                            }
                            let c = memcmp(base + aStart, base + bStart, Swift.min(aLength, bLength))
                            return c < 0 || (c == 0 && aLength < bLength)
                        }
                        for i in 0..<n {
                            let k = counts[i]
                            if k == 0 { continue }
                            total &+= k &* (offsets[i + 1] &- offsets[i])
                            if minIndex < 0 {
                                minIndex = i
                                maxIndex = i
                                continue
                            }
                            if less(i, minIndex) { minIndex = i }
                            if less(maxIndex, i) { maxIndex = i }
                        }
                        if decimal, p.integerSum != nil {
                            var sum: Int128 = 0
                            for i in 0..<n where counts[i] > 0 {
                                sum &+= int128(UnsafeBufferPointer(rebasing: all[offsets[i]..<offsets[i + 1]])) * Int128(counts[i])
                            }
                            p.integerSum! += sum
                        }
                    }
                }
            }
            if p.bytes != nil { p.bytes! += total }
            p.offerMin(.bytes(Array(d[minIndex])))
            p.offerMax(.bytes(Array(d[maxIndex])))
        default:
            // Other types: expand the used entries with their multiplicity through the plain path.
            var used: [Int32] = []
            var weights: [Int] = []
            for i in 0..<n where counts[i] > 0 {
                used.append(Int32(i))
                weights.append(counts[i])
            }
            var once = ColumnProfile(descriptorLike: p)
            fold(ColumnData.dictionary(dictionary: dict, codes: used).materialized, into: &once)
            // Min and max come from the used entries; sums need each entry times its count.
            if let k = once.minKey { p.offerMin(k) }
            if let k = once.maxKey { p.offerMax(k) }
            let unsigned = p.kind == .unsigned
            switch dict {
            case .int32(let d) where p.integerSum != nil:
                var sum: Int128 = 0
                for (e, w) in zip(used, weights) {
                    let x = d[Int(e)]
                    sum += (unsigned ? Int128(UInt32(bitPattern: x)) : Int128(x)) * Int128(w)
                }
                p.integerSum! += sum
            case .int64(let d) where p.integerSum != nil:
                var sum: Int128 = 0
                for (e, w) in zip(used, weights) {
                    let x = d[Int(e)]
                    sum += (unsigned ? Int128(UInt64(bitPattern: x)) : Int128(x)) * Int128(w)
                }
                p.integerSum! += sum
            case .float(let d) where p.floatSum != nil:
                for (e, w) in zip(used, weights) { p.floatSum! += Double(d[Int(e)]) * Double(w) }
            case .double(let d) where p.floatSum != nil:
                for (e, w) in zip(used, weights) { p.floatSum! += d[Int(e)] * Double(w) }
            case .fixedLenByteArray(let d):
                if p.bytes != nil { p.bytes! += d.width * codes.count }
                if case .decimal = p.kind, p.integerSum != nil {
                    d.bytes.withUnsafeBufferPointer { all in
                        for (e, w) in zip(used, weights) {
                            let r = (Int(e) * d.width)..<((Int(e) + 1) * d.width)
                            p.integerSum! += int128(UnsafeBufferPointer(rebasing: all[r])) * Int128(w)
                        }
                    }
                }
                if p.kind == .float16, p.floatSum != nil {
                    d.bytes.withUnsafeBufferPointer { all in
                        for (e, w) in zip(used, weights) {
                            let r = (Int(e) * d.width)..<((Int(e) + 1) * d.width)
                            p.floatSum! += Double(floatOf(UnsafeBufferPointer(rebasing: all[r]))) * Double(w)
                        }
                    }
                }
            default:
                break
            }
        }
    }
}

extension ColumnProfile {
    /// An empty profile with the same column identity.
    init(descriptorLike p: ColumnProfile) {
        self = p
        nulls = 0
        values = 0
        min = nil
        max = nil
        minKey = nil
        maxKey = nil
        integerSum = p.integerSum == nil ? nil : 0
        floatSum = p.floatSum == nil ? nil : 0
        bytes = p.bytes == nil ? nil : 0
    }
}

extension ColumnData {
    /// Plain values: a dictionary column with each code replaced by its entry (codes were checked against the
    /// dictionary size when the page was decoded); any other column as it is.
    public var materialized: ColumnData {
        guard case .dictionary(let dict, let codes) = self else { return self }
        var buffers = ValueBuffers(physical: dict.physicalType, width: dict.fixedWidth)
        buffers.appendMaterialized(dict, codes)
        buffers.plainMode = true
        return buffers.finish()
    }

    /// The physical type of the values held.
    public var physicalType: PhysicalType {
        switch self {
        case .boolean: return .boolean
        case .int32: return .int32
        case .int64: return .int64
        case .int96: return .int96
        case .float: return .float
        case .double: return .double
        case .byteArray: return .byteArray
        case .fixedLenByteArray: return .fixedLenByteArray
        case .dictionary(let d, _): return d.physicalType
        }
    }

    var fixedWidth: Int {
        switch self {
        case .fixedLenByteArray(let f): return f.width
        case .dictionary(let d, _): return d.fixedWidth
        default: return 0
        }
    }
}
