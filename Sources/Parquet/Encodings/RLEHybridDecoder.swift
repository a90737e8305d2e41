/// Decoder for the RLE / bit-packed hybrid encoding (without the optional 4-byte length prefix).
///
/// The stream is a sequence of runs, each introduced by a ULEB128 header: an even header `n << 1`
/// is an RLE run of `n` copies of one value stored in `ceil(bitWidth / 8)` little-endian bytes; an
/// odd header `g << 1 | 1` is a bit-packed run of `g` groups of 8 values, `g * bitWidth` bytes.
/// The final bit-packed run may be cut short in the data; values are only required to be present
/// when they are actually requested.
///
/// The decoder borrows `data`: the memory must stay valid while the decoder is used.
public struct RLEHybridDecoder {
    @usableFromInline let data: UnsafeRawBufferPointer
    public let bitWidth: Int
    /// Offset of the next run header.
    @usableFromInline var pos: Int = 0
    // Current RLE run.
    @usableFromInline var rleRemaining: Int = 0
    @usableFromInline var rleValue: UInt32 = 0
    // Current bit-packed run.
    @usableFromInline var packedStart: Int = 0
    @usableFromInline var packedAvailBytes: Int = 0
    @usableFromInline var packedTotal: Int = 0
    @usableFromInline var packedIndex: Int = 0
    /// Total values handed out so far.
    public private(set) var valuesDecoded: Int = 0

    /// Bytes of `data` covered by the runs started so far (headers, RLE values and bit-packed run bodies).
    public var bytesConsumed: Int { pos }

    public init(_ data: UnsafeRawBufferPointer, bitWidth: Int) throws {
        guard bitWidth >= 0 && bitWidth <= 32 else {
            throw EncodingError("bit width \(bitWidth) is invalid (max 32)")
        }
        self.data = data
        self.bitWidth = bitWidth
    }

    /// Decodes the next `count` values into `dst`. Throws if the data ends first, or if a value
    /// does not fit in `T`.
    public mutating func decode<T: FixedWidthInteger>(count: Int, into dst: UnsafeMutablePointer<T>) throws {
        _ = try decodeCore(count: count, into: dst, trackMax: false)
    }

    /// Like `decode`, also returning the largest value decoded (0 if `count == 0`).
    mutating func decodeReturningMax<T: FixedWidthInteger>(count: Int, into dst: UnsafeMutablePointer<T>) throws -> UInt64 {
        try decodeCore(count: count, into: dst, trackMax: true)
    }

    @inline(__always)
    static func chunkMax<T: FixedWidthInteger>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> T {
        var m: T = 0
        for i in 0..<n { m = max(m, p[i]) }
        return m
    }

    @inline(__always)
    mutating func decodeCore<T: FixedWidthInteger>(count: Int, into dst: UnsafeMutablePointer<T>, trackMax: Bool) throws -> UInt64 {
        guard count >= 0 else { throw EncodingError("negative value count \(count)") }
        let w = bitWidth
        let tMax = UInt64(truncatingIfNeeded: T.max)
        let fitsDirect = w <= T.bitWidth - (T.isSigned ? 1 : 0)
        var done = 0
        var maxv: UInt64 = 0
        defer { valuesDecoded &+= done }
        while done < count {
            if rleRemaining > 0 {
                let n = min(rleRemaining, count &- done)
                let v = UInt64(rleValue)
                guard v <= tMax else {
                    throw EncodingError("RLE value \(v) does not fit in \(T.self) (decoded \(valuesDecoded + done) values)")
                }
                (dst + done).update(repeating: T(truncatingIfNeeded: v), count: n)
                if trackMax && v > maxv { maxv = v }
                rleRemaining &-= n
                done &+= n
            } else if packedIndex < packedTotal {
                let n = min(packedTotal &- packedIndex, count &- done)
                let neededBytes = ((packedIndex &+ n) &* w &+ 7) &>> 3
                if neededBytes > packedAvailBytes {
                    let availValues = w == 0 ? packedTotal : packedAvailBytes &* 8 / w
                    let usable = max(0, availValues &- packedIndex)
                    throw EncodingError("bit-packed run at byte \(packedStart) is truncated: it has \(packedAvailBytes) bytes, holding \(availValues) values of width \(w); needed \(packedIndex + n) (decoded \(valuesDecoded + done + usable) of \(valuesDecoded + count) values)")
                }
                let src = data.baseAddress! + packedStart
                let readable = data.count &- packedStart
                if fitsDirect {
                    if trackMax {
                        var k = 0
                        var m: T = 0
                        while k < n {
                            let c = min(1024, n &- k)
                            BitPacking.unpackRange32(src, readable: readable, bitWidth: w, start: packedIndex &+ k, count: c, into: dst + done + k)
                            m = max(m, Self.chunkMax(dst + done + k, c))
                            k &+= c
                        }
                        maxv = max(maxv, UInt64(truncatingIfNeeded: m))
                    } else {
                        BitPacking.unpackRange32(src, readable: readable, bitWidth: w, start: packedIndex, count: n, into: dst + done)
                    }
                } else {
                    // Values may not fit in T: go through a UInt32 buffer and check each.
                    var k = 0
                    var tmp = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                               UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
                    while k < n {
                        let c = min(32, n &- k)
                        let bad: Int = withUnsafeMutableBytes(of: &tmp) { t in
                            let tp = t.baseAddress!.assumingMemoryBound(to: UInt32.self)
                            BitPacking.unpackRange32(src, readable: readable, bitWidth: w, start: packedIndex &+ k, count: c, into: tp)
                            for i in 0..<c {
                                let v = UInt64(tp[i])
                                if v > tMax { return i }
                                if trackMax && v > maxv { maxv = v }
                                dst[done &+ k &+ i] = T(truncatingIfNeeded: v)
                            }
                            return -1
                        }
                        if bad >= 0 {
                            throw EncodingError("bit-packed value at index \(valuesDecoded + done + k + bad) does not fit in \(T.self)")
                        }
                        k &+= c
                    }
                }
                packedIndex &+= n
                done &+= n
            } else {
                try readRunHeader(decodedSoFar: valuesDecoded &+ done, wanted: valuesDecoded &+ count)
            }
        }
        return maxv
    }

    @usableFromInline
    mutating func readRunHeader(decodedSoFar: Int, wanted: Int) throws {
        guard pos < data.count else {
            throw EncodingError("RLE/bit-packed data ends at byte \(pos) after \(decodedSoFar) of \(wanted) values")
        }
        let headerPos = pos
        let h = try Varint.readULEB32(data, &pos, "RLE/bit-packed run header")
        let w = bitWidth
        if h & 1 == 0 {
            let valueBytes = (w &+ 7) &>> 3
            let remain = data.count &- pos
            guard remain >= valueBytes else {
                throw EncodingError("RLE run at byte \(headerPos) needs \(valueBytes) value bytes, \(remain) remain (decoded \(decodedSoFar) of \(wanted) values)")
            }
            var v: UInt32 = 0
            for i in 0..<valueBytes {
                v |= UInt32(data[pos &+ i]) &<< UInt32(8 &* i)
            }
            guard w == 32 || v &>> UInt32(w) == 0 else {
                throw EncodingError("RLE run at byte \(headerPos) has value \(v), wider than bit width \(w)")
            }
            pos &+= valueBytes
            rleValue = v
            rleRemaining = Int(h &>> 1)
        } else {
            let groups = Int(h &>> 1)
            let bytes = groups &* w
            packedStart = pos
            packedAvailBytes = min(bytes, data.count &- pos)
            packedTotal = groups &* 8
            packedIndex = 0
            pos &+= packedAvailBytes
        }
    }
}
