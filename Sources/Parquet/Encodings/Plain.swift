/// PLAIN decoding. Every function takes the encoded bytes and the number of values expected, and
/// returns the values plus the number of bytes consumed. Sizes are validated against the data
/// before anything is allocated.
public enum PlainDecoder {
    @inline(__always)
    static func checkCount(_ count: Int, _ what: StaticString) throws {
        guard count >= 0 else { throw EncodingError("PLAIN \(what): negative value count \(count)") }
    }

    /// Fixed-width little-endian values (INT32, INT64, FLOAT, DOUBLE) copied straight into `dst`.
    /// - Returns: bytes consumed (`count * MemoryLayout<T>.size`).
    @discardableResult
    public static func decodeFixedWidth<T: BitwiseCopyable>(_ data: UnsafeRawBufferPointer, count: Int,
                                                            into dst: UnsafeMutablePointer<T>) throws -> Int {
        try checkCount(count, "values")
        let size = MemoryLayout<T>.size
        guard count <= data.count / size else {
            throw EncodingError("PLAIN \(T.self): \(count) values need \(count.multipliedReportingOverflow(by: size).partialValue) bytes, \(data.count) available")
        }
        let bytes = count * size
        if bytes > 0 {
            UnsafeMutableRawPointer(dst).copyMemory(from: data.baseAddress!, byteCount: bytes)
        }
        return bytes
    }

    static func decodeFixedWidthArray<T: BitwiseCopyable>(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: [T], bytesConsumed: Int) {
        try checkCount(count, "values")
        let size = MemoryLayout<T>.size
        guard count <= data.count / size else {
            throw EncodingError("PLAIN \(T.self): \(count) values need \(count.multipliedReportingOverflow(by: size).partialValue) bytes, \(data.count) available")
        }
        let values = [T](unsafeUninitializedCapacity: count) { buf, n in
            if count > 0 {
                UnsafeMutableRawPointer(buf.baseAddress!).copyMemory(from: data.baseAddress!, byteCount: count * size)
            }
            n = count
        }
        return (values, count * size)
    }

    public static func decodeInt32(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: [Int32], bytesConsumed: Int) {
        try decodeFixedWidthArray(data, count: count)
    }

    public static func decodeInt64(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: [Int64], bytesConsumed: Int) {
        try decodeFixedWidthArray(data, count: count)
    }

    public static func decodeFloat(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: [Float], bytesConsumed: Int) {
        try decodeFixedWidthArray(data, count: count)
    }

    public static func decodeDouble(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: [Double], bytesConsumed: Int) {
        try decodeFixedWidthArray(data, count: count)
    }

    /// INT96: 12 bytes each, 8 little-endian bytes of nanoseconds then 4 of Julian day.
    public static func decodeInt96(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: [Int96], bytesConsumed: Int) {
        try checkCount(count, "INT96")
        guard count <= data.count / 12 else {
            throw EncodingError("PLAIN INT96: \(count) values need \(count.multipliedReportingOverflow(by: 12).partialValue) bytes, \(data.count) available")
        }
        let values = [Int96](unsafeUninitializedCapacity: count) { buf, n in
            guard count > 0 else { n = 0; return }
            let src = data.baseAddress!
            let dst = buf.baseAddress!
            for i in 0..<count {
                let nanos = UInt64(littleEndian: src.loadUnaligned(fromByteOffset: i &* 12, as: UInt64.self))
                let day = UInt32(littleEndian: src.loadUnaligned(fromByteOffset: i &* 12 &+ 8, as: UInt32.self))
                (dst + i).initialize(to: Int96(nanosOfDay: nanos, julianDay: day))
            }
            n = count
        }
        return (values, count * 12)
    }

    /// BOOLEAN: one bit per value, LSB first; consumes `(count + 7) / 8` bytes.
    public static func decodeBooleans(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: [Bool], bytesConsumed: Int) {
        try checkCount(count, "BOOLEAN")
        let needed = count / 8 + (count % 8 == 0 ? 0 : 1)
        guard needed <= data.count else {
            throw EncodingError("PLAIN BOOLEAN: \(count) values need \(needed) bytes, \(data.count) available")
        }
        let values = [Bool](unsafeUninitializedCapacity: count) { buf, n in
            guard count > 0 else { n = 0; return }
            let src = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let dst = UnsafeMutableRawPointer(buf.baseAddress!)
            let full = count / 8
            for i in 0..<full {
                // Spread 8 bits into 8 bytes of 0/1.
                let y = (UInt64(src[i]) &* 0x0101_0101_0101_0101) & 0x8040_2010_0804_0201
                let spread = ((y &+ 0x0040_6070_787C_7E7F) >> 7) & 0x0101_0101_0101_0101
                dst.storeBytes(of: spread.littleEndian, toByteOffset: i &* 8, as: UInt64.self)
            }
            for i in (full * 8)..<count {
                dst.storeBytes(of: (src[i >> 3] >> UInt8(i & 7)) & 1, toByteOffset: i, as: UInt8.self)
            }
            n = count
        }
        return (values, needed)
    }

    /// BYTE_ARRAY: each value is a 4-byte little-endian length followed by that many bytes.
    ///
    /// One pass: the value bytes go into a buffer sized by the upper bound `data.count - 4 * count`
    /// (so the allocation is bounded by the input), lengths are validated as they are read.
    public static func decodeByteArrays(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: ByteArrays, bytesConsumed: Int) {
        try checkCount(count, "BYTE_ARRAY")
        guard count <= data.count / 4 else {
            throw EncodingError("PLAIN BYTE_ARRAY: \(count) values need at least \(count.multipliedReportingOverflow(by: 4).partialValue) bytes, \(data.count) available")
        }
        guard count > 0 else { return (ByteArrays(), 0) }
        let end = data.count
        // Value bytes never exceed this; 16 bytes of slack let short values be copied in whole words.
        let capacity = end - count * 4 + 16
        var consumed = 0
        var failure: EncodingError? = nil
        var offsets: [Int] = []
        let bytes = [UInt8](unsafeUninitializedCapacity: capacity) { bbuf, bn in
            bn = 0
            let dst = UnsafeMutableRawPointer(bbuf.baseAddress!)
            offsets = [Int](unsafeUninitializedCapacity: count + 1) { offs, n in
                offs[0] = 0
                n = 1
                let src = data.baseAddress!
                var p = 0
                var o = 0
                for i in 0..<count {
                    guard end &- p >= 4 else {
                        failure = EncodingError("PLAIN BYTE_ARRAY: value \(i) length prefix at byte \(p) needs 4 bytes, \(end - p) remain")
                        return
                    }
                    let len = Int(UInt32(littleEndian: src.loadUnaligned(fromByteOffset: p, as: UInt32.self)))
                    p &+= 4
                    // The value plus the length prefixes of the values after it must fit; this also
                    // keeps o + len <= end - 4 * count, within `capacity - 16`.
                    let avail = end &- p &- 4 &* (count &- 1 &- i)
                    guard len <= avail else {
                        failure = EncodingError("PLAIN BYTE_ARRAY: value \(i) at byte \(p - 4) has length \(len), only \(max(0, avail)) bytes remain (\(end - p) less 4 for each of the \(count - 1 - i) values after it)")
                        return
                    }
                    if len <= 16 && end &- p >= 16 {
                        // o + 16 <= capacity: o <= end - 4 * count by the check above.
                        let a = src.loadUnaligned(fromByteOffset: p, as: UInt64.self)
                        let b = src.loadUnaligned(fromByteOffset: p &+ 8, as: UInt64.self)
                        dst.storeBytes(of: a, toByteOffset: o, as: UInt64.self)
                        dst.storeBytes(of: b, toByteOffset: o &+ 8, as: UInt64.self)
                    } else if len > 0 {
                        (dst + o).copyMemory(from: src + p, byteCount: len)
                    }
                    p &+= len
                    o &+= len
                    offs[i &+ 1] = o
                }
                n = count + 1
                consumed = p
                bn = o
            }
        }
        if let failure { throw failure }
        return (ByteArrays(offsets: offsets, bytes: bytes), consumed)
    }

    /// FIXED_LEN_BYTE_ARRAY: `count * width` bytes.
    public static func decodeFixedByteArrays(_ data: UnsafeRawBufferPointer, count: Int, width: Int) throws -> (values: FixedByteArrays, bytesConsumed: Int) {
        try checkCount(count, "FIXED_LEN_BYTE_ARRAY")
        guard width > 0 else {
            throw EncodingError("PLAIN FIXED_LEN_BYTE_ARRAY: width \(width) is invalid (must be positive)")
        }
        guard count <= data.count / width else {
            throw EncodingError("PLAIN FIXED_LEN_BYTE_ARRAY(\(width)): \(count) values need \(count.multipliedReportingOverflow(by: width).partialValue) bytes, \(data.count) available")
        }
        let n = count * width
        let bytes = [UInt8](UnsafeRawBufferPointer(rebasing: data[0..<n]))
        return (FixedByteArrays(width: width, bytes: bytes), n)
    }
}

/// PLAIN encoding. `encode(_:into:)` appends to a buffer; `encode(_:)` returns a new one.
public enum PlainEncoder {
    static func appendRaw<T: BitwiseCopyable>(_ values: UnsafeBufferPointer<T>, into out: inout [UInt8]) {
        let raw = UnsafeRawBufferPointer(values)
        out.append(contentsOf: raw)
    }

    public static func encode(_ values: [Int32], into out: inout [UInt8]) { values.withUnsafeBufferPointer { appendRaw($0, into: &out) } }
    public static func encode(_ values: [Int64], into out: inout [UInt8]) { values.withUnsafeBufferPointer { appendRaw($0, into: &out) } }
    public static func encode(_ values: [Float], into out: inout [UInt8]) { values.withUnsafeBufferPointer { appendRaw($0, into: &out) } }
    public static func encode(_ values: [Double], into out: inout [UInt8]) { values.withUnsafeBufferPointer { appendRaw($0, into: &out) } }

    public static func encode(_ values: [Int96], into out: inout [UInt8]) {
        out.reserveCapacity(out.count + values.count * 12)
        for v in values {
            withUnsafeBytes(of: v.nanosOfDay.littleEndian) { out.append(contentsOf: $0) }
            withUnsafeBytes(of: v.julianDay.littleEndian) { out.append(contentsOf: $0) }
        }
    }

    public static func encode(_ values: [Bool], into out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: (values.count + 7) / 8))
        for (i, v) in values.enumerated() where v {
            out[start + (i >> 3)] |= 1 << UInt8(i & 7)
        }
    }

    public static func encode(_ values: ByteArrays, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + values.bytes.count + values.count * 4)
        values.bytes.withUnsafeBufferPointer { bytes in
            for i in 0..<values.count {
                let r = values.range(i)
                let len = UInt32(r.count)
                withUnsafeBytes(of: len.littleEndian) { out.append(contentsOf: $0) }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[r]))
            }
        }
    }

    public static func encode(_ values: FixedByteArrays, into out: inout [UInt8]) {
        out.append(contentsOf: values.bytes)
    }

    public static func encode(_ values: [Int32]) -> [UInt8] { var o = [UInt8](); encode(values, into: &o); return o }
    public static func encode(_ values: [Int64]) -> [UInt8] { var o = [UInt8](); encode(values, into: &o); return o }
    public static func encode(_ values: [Float]) -> [UInt8] { var o = [UInt8](); encode(values, into: &o); return o }
    public static func encode(_ values: [Double]) -> [UInt8] { var o = [UInt8](); encode(values, into: &o); return o }
    public static func encode(_ values: [Int96]) -> [UInt8] { var o = [UInt8](); encode(values, into: &o); return o }
    public static func encode(_ values: [Bool]) -> [UInt8] { var o = [UInt8](); encode(values, into: &o); return o }
    public static func encode(_ values: ByteArrays) -> [UInt8] { var o = [UInt8](); encode(values, into: &o); return o }
    public static func encode(_ values: FixedByteArrays) -> [UInt8] { var o = [UInt8](); encode(values, into: &o); return o }
}
