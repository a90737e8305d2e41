/// Encoder for the RLE / bit-packed hybrid (no length prefix).
///
/// Runs of at least 8 equal values become RLE runs; everything else is bit-packed in groups of 8
/// (up to 63 groups per bit-packed run, so each run header is one byte, patched when the run ends).
/// The final group is padded with zeros; decoders take the value count from elsewhere.
public struct RLEHybridEncoder {
    public let bitWidth: Int
    @usableFromInline var out: [UInt8] = []
    @usableFromInline var buffer: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0, 0)
    @usableFromInline var numBuffered = 0
    @usableFromInline var previous: UInt32 = 0
    @usableFromInline var repeatCount = 0
    @usableFromInline var packedHeaderIndex = -1
    @usableFromInline var packedGroups = 0
    @usableFromInline let valueBytes: Int
    @usableFromInline let maxValue: UInt32

    public init(bitWidth: Int) {
        precondition(bitWidth >= 0 && bitWidth <= 32, "bit width \(bitWidth) is invalid (max 32)")
        self.bitWidth = bitWidth
        self.valueBytes = (bitWidth + 7) / 8
        self.maxValue = bitWidth == 32 ? .max : (1 << UInt32(bitWidth)) - 1
    }

    public mutating func reserveCapacity(_ bytes: Int) { out.reserveCapacity(bytes) }

    /// Appends one value; it must fit in `bitWidth` bits.
    @inlinable
    public mutating func append(_ value: UInt32) {
        precondition(value <= maxValue, "value \(value) does not fit in bit width \(bitWidth)")
        if value == previous {
            repeatCount &+= 1
            if repeatCount >= 8 { return } // in an RLE run: the 7 buffered copies belong to it
        } else {
            if repeatCount >= 8 { writeRLERun() }
            repeatCount = 1
            previous = value
        }
        withUnsafeMutableBytes(of: &buffer) { $0.storeBytes(of: value, toByteOffset: numBuffered &* 4, as: UInt32.self) }
        numBuffered &+= 1
        if numBuffered == 8 { writeGroup() }
    }

    public mutating func append<S: Sequence>(contentsOf values: S) where S.Element == UInt32 {
        for v in values { append(v) }
    }

    /// Ends the stream and returns the encoded bytes; the encoder is reset to empty.
    public mutating func finish() -> [UInt8] {
        if repeatCount >= 8 {
            writeRLERun()
        } else if numBuffered > 0 {
            withUnsafeMutableBytes(of: &buffer) { b in
                for i in numBuffered..<8 { b.storeBytes(of: 0, toByteOffset: i * 4, as: UInt32.self) }
            }
            numBuffered = 8
            writeGroup()
        }
        endPackedRun()
        let result = out
        out = []
        numBuffered = 0
        previous = 0
        repeatCount = 0
        return result
    }

    @usableFromInline
    mutating func writeGroup() {
        if packedGroups == 63 { endPackedRun() }
        if packedHeaderIndex < 0 {
            packedHeaderIndex = out.count
            out.append(0)
        }
        // Pack the 8 buffered values (8 * bitWidth bits = bitWidth bytes) into words, append once.
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        let w = bitWidth
        withUnsafeBytes(of: &buffer) { b in
            withUnsafeMutableBytes(of: &words) { wb in
                let wp = wb.baseAddress!.assumingMemoryBound(to: UInt64.self)
                for j in 0..<8 {
                    let v = UInt64(b.load(fromByteOffset: j &* 4, as: UInt32.self))
                    let bit = j &* w
                    let idx = bit &>> 6
                    let shift = UInt64(bit & 63)
                    wp[idx] |= v &<< shift
                    if shift != 0 { wp[idx &+ 1] |= v &>> (64 &- shift) }
                }
                #if _endian(big)
                for k in 0..<5 { wp[k] = wp[k].littleEndian }
                #endif
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: wb[0..<w]))
            }
        }
        packedGroups += 1
        numBuffered = 0
        // Values already bit-packed cannot start an RLE run.
        repeatCount = 0
    }

    @usableFromInline
    mutating func endPackedRun() {
        if packedHeaderIndex >= 0 {
            out[packedHeaderIndex] = UInt8(packedGroups << 1 | 1)
            packedHeaderIndex = -1
            packedGroups = 0
        }
    }

    @usableFromInline
    mutating func writeRLERun() {
        endPackedRun()
        Varint.appendULEB(UInt64(repeatCount) << 1, to: &out)
        var v = previous
        for _ in 0..<valueBytes {
            out.append(UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
        repeatCount = 0
        numBuffered = 0
    }
}
