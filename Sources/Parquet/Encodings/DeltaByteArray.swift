/// DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY.
public enum DeltaByteArrayDecoder {
    /// Default cap on the total decoded bytes of a DELTA_BYTE_ARRAY page (prefix sharing lets a small
    /// input describe a very large output).
    public static let defaultMaxOutputBytes = 1 << 31

    /// DELTA_LENGTH_BYTE_ARRAY: DELTA_BINARY_PACKED lengths, then all value bytes concatenated.
    public static func decodeDeltaLength(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: ByteArrays, bytesConsumed: Int) {
        guard count >= 0 else { throw EncodingError("DELTA_LENGTH_BYTE_ARRAY: negative value count \(count)") }
        let lengths: [Int32]
        let r: DeltaBinaryPackedDecoder.Result
        do {
            (lengths, r) = try DeltaBinaryPackedDecoder.decodeExactArray(data, count: count)
        } catch let e as EncodingError {
            throw EncodingError("DELTA_LENGTH_BYTE_ARRAY lengths: \(e.message)")
        }
        var total = 0
        let offsets = try [Int](unsafeUninitializedCapacity: count + 1) { offs, n in
            offs[0] = 0
            n = 1
            try lengths.withUnsafeBufferPointer { lens in
                var acc = 0
                var bad = -1
                for i in 0..<count {
                    let l = lens[i]
                    if l < 0 { bad = i; break }
                    acc &+= Int(l)  // at most count * 2^31: cannot overflow Int
                    offs[i &+ 1] = acc
                }
                if bad >= 0 {
                    throw EncodingError("DELTA_LENGTH_BYTE_ARRAY: value \(bad) has negative length \(lens[bad])")
                }
                total = acc
            }
            n = count + 1
        }
        var start = r.consumed
        if total != data.count - start, let p = r.paddedConsumed, p != start, total == data.count - p {
            start = p  // the writer padded the unused miniblocks of the last length block
        }
        guard total <= data.count - start else {
            throw EncodingError("DELTA_LENGTH_BYTE_ARRAY: lengths total \(total) bytes, but only \(data.count - start) remain after the lengths at byte \(start)")
        }
        let bytes = [UInt8](UnsafeRawBufferPointer(rebasing: data[start..<(start + total)]))
        return (ByteArrays(offsets: offsets, bytes: bytes), start + total)
    }

    /// Prefix lengths and suffixes of DELTA_BYTE_ARRAY, with validated lengths.
    static func decodeParts(_ data: UnsafeRawBufferPointer, count: Int) throws -> (prefixes: [Int32], suffixes: ByteArrays, consumed: Int) {
        guard count >= 0 else { throw EncodingError("DELTA_BYTE_ARRAY: negative value count \(count)") }
        let prefixes: [Int32]
        let r: DeltaBinaryPackedDecoder.Result
        do {
            (prefixes, r) = try DeltaBinaryPackedDecoder.decodeExactArray(data, count: count)
        } catch let e as EncodingError {
            throw EncodingError("DELTA_BYTE_ARRAY prefix lengths: \(e.message)")
        }
        func suffixes(at start: Int) throws -> (ByteArrays, Int) {
            do {
                let (s, c) = try decodeDeltaLength(UnsafeRawBufferPointer(rebasing: data[start...]), count: count)
                return (s, start + c)
            } catch let e as EncodingError {
                throw EncodingError("DELTA_BYTE_ARRAY suffixes at byte \(start): \(e.message)")
            }
        }
        let s: ByteArrays
        let consumed: Int
        do {
            (s, consumed) = try suffixes(at: r.consumed)
        } catch {
            // Some writers pad the unused miniblocks of the last block: retry after the padding.
            guard let p = r.paddedConsumed, p != r.consumed, let retry = try? suffixes(at: p) else { throw error }
            (s, consumed) = retry
        }
        return (prefixes, s, consumed)
    }

    /// Checks prefix lengths and returns the total output bytes.
    static func checkedTotal(_ prefixes: [Int32], _ suffixes: ByteArrays, maxOutputBytes: Int, fixedWidth: Int?) throws -> Int {
        var total = 0
        var prevLen = 0
        let count = prefixes.count
        try prefixes.withUnsafeBufferPointer { pre in
            try suffixes.offsets.withUnsafeBufferPointer { offs in
                for i in 0..<count {
                    let p = Int(pre[i])
                    guard p >= 0 && p <= prevLen else {
                        throw EncodingError("DELTA_BYTE_ARRAY: value \(i) has prefix length \(p), but the previous value has \(prevLen) bytes")
                    }
                    let len = p + (offs[i + 1] - offs[i])
                    if let fw = fixedWidth, len != fw {
                        throw EncodingError("DELTA_BYTE_ARRAY: value \(i) has \(len) bytes, expected fixed width \(fw)")
                    }
                    total += len
                    guard total <= maxOutputBytes else {
                        throw EncodingError("DELTA_BYTE_ARRAY: decoded values exceed \(maxOutputBytes) bytes at value \(i)")
                    }
                    prevLen = len
                }
            }
        }
        return total
    }

    /// Writes the values (previous value's prefix + suffix) into `dst`, recording end offsets via `offsetSink`.
    @inline(__always)
    static func assemble(_ prefixes: [Int32], _ suffixes: ByteArrays, into dst: UnsafeMutableRawPointer, offsets: UnsafeMutablePointer<Int>?) {
        prefixes.withUnsafeBufferPointer { pre in
            suffixes.offsets.withUnsafeBufferPointer { soffs in
                suffixes.bytes.withUnsafeBytes { sbytes in
                    var o = 0
                    var prevStart = 0
                    for i in 0..<pre.count {
                        let p = Int(pre[i])
                        let start = o
                        if p > 0 { (dst + o).copyMemory(from: dst + prevStart, byteCount: p) }
                        o += p
                        let sl = soffs[i + 1] - soffs[i]
                        if sl > 0 { (dst + o).copyMemory(from: sbytes.baseAddress! + soffs[i], byteCount: sl) }
                        o += sl
                        offsets?[i + 1] = o
                        prevStart = start
                    }
                }
            }
        }
    }

    /// DELTA_BYTE_ARRAY: DELTA_BINARY_PACKED prefix lengths, then the suffixes as DELTA_LENGTH_BYTE_ARRAY.
    /// Value `i` is the first `prefix[i]` bytes of value `i - 1` followed by suffix `i`.
    public static func decodeDelta(_ data: UnsafeRawBufferPointer, count: Int,
                                   maxOutputBytes: Int = defaultMaxOutputBytes) throws -> (values: ByteArrays, bytesConsumed: Int) {
        let (prefixes, suffixes, consumed) = try decodeParts(data, count: count)
        let total = try checkedTotal(prefixes, suffixes, maxOutputBytes: maxOutputBytes, fixedWidth: nil)
        var offsets = [Int](repeating: 0, count: count + 1)
        let bytes = [UInt8](unsafeUninitializedCapacity: total) { buf, n in
            offsets.withUnsafeMutableBufferPointer { offs in
                assemble(prefixes, suffixes, into: UnsafeMutableRawPointer(buf.baseAddress ?? UnsafeMutablePointer(bitPattern: 1)!), offsets: offs.baseAddress!)
            }
            n = total
        }
        return (ByteArrays(offsets: offsets, bytes: bytes), consumed)
    }

    /// FIXED_LEN_BYTE_ARRAY through DELTA_BYTE_ARRAY: every value must have `width` bytes.
    public static func decodeDeltaFixed(_ data: UnsafeRawBufferPointer, count: Int, width: Int) throws -> (values: FixedByteArrays, bytesConsumed: Int) {
        guard width > 0 else { throw EncodingError("DELTA_BYTE_ARRAY: fixed width \(width) is invalid (must be positive)") }
        let (prefixes, suffixes, consumed) = try decodeParts(data, count: count)
        let total = try checkedTotal(prefixes, suffixes, maxOutputBytes: Int.max, fixedWidth: width)
        let bytes = [UInt8](unsafeUninitializedCapacity: total) { buf, n in
            assemble(prefixes, suffixes, into: UnsafeMutableRawPointer(buf.baseAddress ?? UnsafeMutablePointer(bitPattern: 1)!), offsets: nil)
            n = total
        }
        return (FixedByteArrays(width: width, bytes: bytes), consumed)
    }
}

public enum DeltaByteArrayEncoder {
    /// DELTA_LENGTH_BYTE_ARRAY.
    public static func encodeDeltaLength(_ values: ByteArrays, into out: inout [UInt8]) {
        let n = values.count
        let lengths = [Int32](unsafeUninitializedCapacity: n) { buf, k in
            values.offsets.withUnsafeBufferPointer { offs in
                for i in 0..<n { buf[i] = Int32(offs[i + 1] - offs[i]) }
            }
            k = n
        }
        lengths.withUnsafeBufferPointer { DeltaBinaryPackedEncoder.encode($0, into: &out) }
        let start = values.offsets[0]
        out.append(contentsOf: values.bytes[start..<values.offsets[n]])
    }

    public static func encodeDeltaLength(_ values: ByteArrays) -> [UInt8] {
        var out = [UInt8]()
        encodeDeltaLength(values, into: &out)
        return out
    }

    /// DELTA_BYTE_ARRAY (prefix lengths against the previous value, then suffixes as DELTA_LENGTH_BYTE_ARRAY).
    public static func encodeDelta(_ values: ByteArrays, into out: inout [UInt8]) {
        let n = values.count
        var prefixes = [Int32](repeating: 0, count: n)
        var suffixes = ByteArrays()
        suffixes.reserve(values: n, bytes: values.bytes.count)
        values.bytes.withUnsafeBufferPointer { bytes in
            var prev = 0..<0
            for i in 0..<n {
                let r = values.range(i)
                var p = 0
                let limit = min(prev.count, r.count)
                while p < limit && bytes[prev.lowerBound + p] == bytes[r.lowerBound + p] { p += 1 }
                prefixes[i] = Int32(p)
                suffixes.append(UnsafeBufferPointer(rebasing: bytes[(r.lowerBound + p)..<r.upperBound]))
                prev = r
            }
        }
        prefixes.withUnsafeBufferPointer { DeltaBinaryPackedEncoder.encode($0, into: &out) }
        encodeDeltaLength(suffixes, into: &out)
    }

    public static func encodeDelta(_ values: ByteArrays) -> [UInt8] {
        var out = [UInt8]()
        encodeDelta(values, into: &out)
        return out
    }

    public static func encodeDelta(_ values: FixedByteArrays) -> [UInt8] {
        var b = ByteArrays()
        b.reserve(values: values.count, bytes: values.bytes.count)
        for i in 0..<values.count { b.append(values[i]) }
        return encodeDelta(b)
    }
}
