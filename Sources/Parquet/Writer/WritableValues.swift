/// The non-null values of one column as the chunk encoder sees them: indexable, hashable (for the dictionary),
/// measurable and PLAIN-encodable, and ordered the way the column's statistics must be.
protocol WritableValues {
    /// Identifies equal values for dictionary encoding. Floats use their bit pattern, so the dictionary keeps
    /// -0.0 and +0.0 (and differing NaNs) apart and every value reads back bit for bit.
    associatedtype Key: Hashable
    var count: Int { get }
    func key(_ i: Int) -> Key
    /// Bytes value `i` takes when PLAIN-encoded.
    func plainSize(_ i: Int) -> Int
    /// Appends the PLAIN encoding of the values in `range`.
    func appendPlain(_ range: Range<Int>, to out: inout [UInt8])
    /// Appends the PLAIN encoding of the values at `indices`, in that order (the dictionary page).
    func appendPlain(indices: [Int], to out: inout [UInt8])
    /// Appends the values in `range` in `encoding`, one of `ColumnSettings.allowedEncodings` of the type.
    func appendEncoded(_ range: Range<Int>, _ encoding: Encoding, to out: inout [UInt8])
    /// Whether value `i` takes part in min/max (false for NaN, and for every value of an unordered type).
    func isOrdered(_ i: Int) -> Bool
    /// Whether value `a` sorts before value `b` in the column's statistics order.
    func isLess(_ a: Int, _ b: Int) -> Bool
    /// The statistics encoding of value `i` (PLAIN, without BYTE_ARRAY's length prefix) when it is the minimum
    /// (`asMin`) or the maximum. Floats write a zero as -0.0 when it is the minimum and +0.0 when the maximum.
    func statisticsBytes(_ i: Int, asMin: Bool) -> [UInt8]
}

@inline(__always)
private func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
}

private func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

/// Appends `array[range]` as BYTE_STREAM_SPLIT.
private func appendSplit<T: BitwiseCopyable>(_ array: [T], _ range: Range<Int>, to out: inout [UInt8]) {
    guard !range.isEmpty else { return }
    array.withUnsafeBufferPointer { buf in
        ByteStreamSplit.encode(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buf[range])), width: MemoryLayout<T>.size, into: &out)
    }
}

/// Appends `array[range]` as DELTA_BINARY_PACKED.
private func appendDelta<T: FixedWidthInteger & SignedInteger>(_ array: [T], _ range: Range<Int>, to out: inout [UInt8]) {
    array.withUnsafeBufferPointer { buf in DeltaBinaryPackedEncoder.encode(UnsafeBufferPointer(rebasing: buf[range]), into: &out) }
}

/// Appends the raw (little-endian) bytes of `array[range]`.
private func appendRaw<T: BitwiseCopyable>(_ array: [T], _ range: Range<Int>, to out: inout [UInt8]) {
    guard !range.isEmpty else { return }
    array.withUnsafeBufferPointer { buf in
        out.append(contentsOf: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buf[range])))
    }
}

struct BooleanValues: WritableValues {
    let values: [Bool]
    var count: Int { values.count }
    func key(_ i: Int) -> Bool { values[i] }
    func plainSize(_ i: Int) -> Int { 1 }  // an upper bound: 1 bit
    func appendPlain(_ range: Range<Int>, to out: inout [UInt8]) {
        Self.pack(range.lazy.map { values[$0] }, count: range.count, to: &out)
    }
    func appendPlain(indices: [Int], to out: inout [UInt8]) {
        Self.pack(indices.lazy.map { values[$0] }, count: indices.count, to: &out)
    }
    static func pack<S: Sequence>(_ bits: S, count: Int, to out: inout [UInt8]) where S.Element == Bool {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: (count + 7) / 8))
        for (k, bit) in bits.enumerated() where bit {
            out[start + (k >> 3)] |= 1 << UInt8(k & 7)
        }
    }
    /// RLE encoding of booleans (DATA_PAGE_V2): 4-byte little-endian length, then the RLE/bit-packed hybrid of width 1.
    func appendRLE(_ range: Range<Int>, to out: inout [UInt8]) {
        var encoder = RLEHybridEncoder(bitWidth: 1)
        for i in range { encoder.append(values[i] ? 1 : 0) }
        let body = encoder.finish()
        appendLittleEndian(UInt32(body.count), to: &out)
        out.append(contentsOf: body)
    }
    func appendEncoded(_ range: Range<Int>, _ encoding: Encoding, to out: inout [UInt8]) {
        if encoding == .rle { appendRLE(range, to: &out) } else { appendPlain(range, to: &out) }
    }
    func isOrdered(_ i: Int) -> Bool { true }
    func isLess(_ a: Int, _ b: Int) -> Bool { !values[a] && values[b] }
    func statisticsBytes(_ i: Int, asMin: Bool) -> [UInt8] { [values[i] ? 1 : 0] }
}

struct Int32Values: WritableValues {
    let values: [Int32]
    let unsigned: Bool
    var count: Int { values.count }
    func appendEncoded(_ range: Range<Int>, _ encoding: Encoding, to out: inout [UInt8]) {
        switch encoding {
        case .deltaBinaryPacked: appendDelta(values, range, to: &out)
        case .byteStreamSplit: appendSplit(values, range, to: &out)
        default: appendPlain(range, to: &out)
        }
    }
    func key(_ i: Int) -> Int32 { values[i] }
    func plainSize(_ i: Int) -> Int { 4 }
    func appendPlain(_ range: Range<Int>, to out: inout [UInt8]) { appendRaw(values, range, to: &out) }
    func appendPlain(indices: [Int], to out: inout [UInt8]) {
        out.reserveCapacity(out.count + indices.count * 4)
        for i in indices { appendLittleEndian(values[i], to: &out) }
    }
    func isOrdered(_ i: Int) -> Bool { true }
    func isLess(_ a: Int, _ b: Int) -> Bool {
        unsigned ? UInt32(bitPattern: values[a]) < UInt32(bitPattern: values[b]) : values[a] < values[b]
    }
    func statisticsBytes(_ i: Int, asMin: Bool) -> [UInt8] { littleEndianBytes(values[i]) }
}

struct Int64Values: WritableValues {
    let values: [Int64]
    let unsigned: Bool
    var count: Int { values.count }
    func appendEncoded(_ range: Range<Int>, _ encoding: Encoding, to out: inout [UInt8]) {
        switch encoding {
        case .deltaBinaryPacked: appendDelta(values, range, to: &out)
        case .byteStreamSplit: appendSplit(values, range, to: &out)
        default: appendPlain(range, to: &out)
        }
    }
    func key(_ i: Int) -> Int64 { values[i] }
    func plainSize(_ i: Int) -> Int { 8 }
    func appendPlain(_ range: Range<Int>, to out: inout [UInt8]) { appendRaw(values, range, to: &out) }
    func appendPlain(indices: [Int], to out: inout [UInt8]) {
        out.reserveCapacity(out.count + indices.count * 8)
        for i in indices { appendLittleEndian(values[i], to: &out) }
    }
    func isOrdered(_ i: Int) -> Bool { true }
    func isLess(_ a: Int, _ b: Int) -> Bool {
        unsigned ? UInt64(bitPattern: values[a]) < UInt64(bitPattern: values[b]) : values[a] < values[b]
    }
    func statisticsBytes(_ i: Int, asMin: Bool) -> [UInt8] { littleEndianBytes(values[i]) }
}

struct Int96Values: WritableValues {
    let values: [Int96]
    var count: Int { values.count }
    func appendEncoded(_ range: Range<Int>, _ encoding: Encoding, to out: inout [UInt8]) { appendPlain(range, to: &out) }
    func key(_ i: Int) -> Int96 { values[i] }
    func plainSize(_ i: Int) -> Int { 12 }
    func appendPlain(_ range: Range<Int>, to out: inout [UInt8]) {
        out.reserveCapacity(out.count + range.count * 12)
        for i in range {
            appendLittleEndian(values[i].nanosOfDay, to: &out)
            appendLittleEndian(values[i].julianDay, to: &out)
        }
    }
    func appendPlain(indices: [Int], to out: inout [UInt8]) {
        for i in indices { appendPlain(i..<(i + 1), to: &out) }
    }
    // INT96 has no defined sort order: no min/max (as parquet-mr and Arrow).
    func isOrdered(_ i: Int) -> Bool { false }
    func isLess(_ a: Int, _ b: Int) -> Bool { false }
    func statisticsBytes(_ i: Int, asMin: Bool) -> [UInt8] {
        var out: [UInt8] = []
        appendPlain(i..<(i + 1), to: &out)
        return out
    }
}

struct FloatValues: WritableValues {
    let values: [Float]
    var count: Int { values.count }
    func appendEncoded(_ range: Range<Int>, _ encoding: Encoding, to out: inout [UInt8]) {
        if encoding == .byteStreamSplit { appendSplit(values, range, to: &out) } else { appendPlain(range, to: &out) }
    }
    func key(_ i: Int) -> UInt32 { values[i].bitPattern }
    func plainSize(_ i: Int) -> Int { 4 }
    func appendPlain(_ range: Range<Int>, to out: inout [UInt8]) { appendRaw(values, range, to: &out) }
    func appendPlain(indices: [Int], to out: inout [UInt8]) {
        for i in indices { appendLittleEndian(values[i].bitPattern, to: &out) }
    }
    func isOrdered(_ i: Int) -> Bool { !values[i].isNaN }
    func isLess(_ a: Int, _ b: Int) -> Bool { values[a] < values[b] }
    func statisticsBytes(_ i: Int, asMin: Bool) -> [UInt8] {
        let v = values[i] == 0 ? (asMin ? -Float(0) : Float(0)) : values[i]
        return littleEndianBytes(v.bitPattern)
    }
}

struct DoubleValues: WritableValues {
    let values: [Double]
    var count: Int { values.count }
    func appendEncoded(_ range: Range<Int>, _ encoding: Encoding, to out: inout [UInt8]) {
        if encoding == .byteStreamSplit { appendSplit(values, range, to: &out) } else { appendPlain(range, to: &out) }
    }
    func key(_ i: Int) -> UInt64 { values[i].bitPattern }
    func plainSize(_ i: Int) -> Int { 8 }
    func appendPlain(_ range: Range<Int>, to out: inout [UInt8]) { appendRaw(values, range, to: &out) }
    func appendPlain(indices: [Int], to out: inout [UInt8]) {
        for i in indices { appendLittleEndian(values[i].bitPattern, to: &out) }
    }
    func isOrdered(_ i: Int) -> Bool { !values[i].isNaN }
    func isLess(_ a: Int, _ b: Int) -> Bool { values[a] < values[b] }
    func statisticsBytes(_ i: Int, asMin: Bool) -> [UInt8] {
        let v = values[i] == 0 ? (asMin ? -Double(0) : Double(0)) : values[i]
        return littleEndianBytes(v.bitPattern)
    }
}

/// Byte-string orderings shared by BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY.
enum ByteOrdering {
    /// Unsigned lexicographic comparison; a proper prefix sorts first.
    static func unsignedLess(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let n = min(a.count, b.count)
        for k in 0..<n where a[k] != b[k] { return a[k] < b[k] }
        return a.count < b.count
    }

    /// Big-endian two's-complement integers of any widths (an empty one is zero).
    static func signedDecimalLess(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let negA = !a.isEmpty && a[0] & 0x80 != 0
        let negB = !b.isEmpty && b[0] & 0x80 != 0
        if negA != negB { return negA }
        // Same sign: sign-extend to a common width, then compare unsigned.
        let n = max(a.count, b.count)
        let pad: UInt8 = negA ? 0xFF : 0
        for k in 0..<n {
            let x = k < n - a.count ? pad : a[k - (n - a.count)]
            let y = k < n - b.count ? pad : b[k - (n - b.count)]
            if x != y { return x < y }
        }
        return false
    }
}

struct ByteArrayValues: WritableValues {
    let values: ByteArrays
    /// DECIMAL on BYTE_ARRAY: signed big-endian order instead of unsigned bytes.
    let decimal: Bool
    var count: Int { values.count }
    /// The values in `range`, sharing this buffer's bytes.
    func slice(_ range: Range<Int>) -> ByteArrays {
        ByteArrays(offsets: Array(values.offsets[range.lowerBound...range.upperBound]), bytes: values.bytes)
    }
    func appendEncoded(_ range: Range<Int>, _ encoding: Encoding, to out: inout [UInt8]) {
        switch encoding {
        case .deltaLengthByteArray: DeltaByteArrayEncoder.encodeDeltaLength(slice(range), into: &out)
        case .deltaByteArray: DeltaByteArrayEncoder.encodeDelta(slice(range), into: &out)
        default: appendPlain(range, to: &out)
        }
    }
    func key(_ i: Int) -> ArraySlice<UInt8> { values[i] }
    func plainSize(_ i: Int) -> Int { 4 + values.offsets[i + 1] - values.offsets[i] }
    func appendPlain(_ range: Range<Int>, to out: inout [UInt8]) {
        guard !range.isEmpty else { return }
        out.reserveCapacity(out.count + 4 * range.count + values.offsets[range.upperBound] - values.offsets[range.lowerBound])
        values.bytes.withUnsafeBufferPointer { bytes in
            for i in range {
                let r = values.range(i)
                appendLittleEndian(UInt32(r.count), to: &out)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[r]))
            }
        }
    }
    func appendPlain(indices: [Int], to out: inout [UInt8]) {
        for i in indices { appendPlain(i..<(i + 1), to: &out) }
    }
    func isOrdered(_ i: Int) -> Bool { true }
    func isLess(_ a: Int, _ b: Int) -> Bool {
        values.bytes.withUnsafeBytes { raw in
            let x = UnsafeRawBufferPointer(rebasing: raw[values.range(a)])
            let y = UnsafeRawBufferPointer(rebasing: raw[values.range(b)])
            return decimal ? ByteOrdering.signedDecimalLess(x, y) : ByteOrdering.unsignedLess(x, y)
        }
    }
    func statisticsBytes(_ i: Int, asMin: Bool) -> [UInt8] { Array(values[i]) }
}

struct FixedBytesValues: WritableValues {
    let values: FixedByteArrays
    let order: StatisticsOrder
    var count: Int { values.count }
    func appendEncoded(_ range: Range<Int>, _ encoding: Encoding, to out: inout [UInt8]) {
        let w = values.width
        switch encoding {
        case .byteStreamSplit:
            guard !range.isEmpty else { return }
            values.bytes.withUnsafeBytes { raw in
                ByteStreamSplit.encode(bytes: UnsafeRawBufferPointer(rebasing: raw[(range.lowerBound * w)..<(range.upperBound * w)]), width: w, into: &out)
            }
        case .deltaByteArray:
            var b = ByteArrays()
            b.reserve(values: range.count, bytes: range.count * w)
            for i in range { b.append(values[i]) }
            DeltaByteArrayEncoder.encodeDelta(b, into: &out)
        default: appendPlain(range, to: &out)
        }
    }
    func key(_ i: Int) -> ArraySlice<UInt8> { values[i] }
    func plainSize(_ i: Int) -> Int { values.width }
    func appendPlain(_ range: Range<Int>, to out: inout [UInt8]) {
        out.append(contentsOf: values.bytes[(range.lowerBound * values.width)..<(range.upperBound * values.width)])
    }
    func appendPlain(indices: [Int], to out: inout [UInt8]) {
        out.reserveCapacity(out.count + indices.count * values.width)
        for i in indices { out.append(contentsOf: values[i]) }
    }
    private func half(_ i: Int) -> Float {
        let b = values[i]
        return ValueFormatter.halfToFloat(UInt16(b[b.startIndex]) | UInt16(b[b.startIndex + 1]) << 8)
    }
    func isOrdered(_ i: Int) -> Bool { order == .float16 ? !half(i).isNaN : true }
    func isLess(_ a: Int, _ b: Int) -> Bool {
        if order == .float16 { return half(a) < half(b) }
        let w = values.width
        return values.bytes.withUnsafeBytes { raw in
            let x = UnsafeRawBufferPointer(rebasing: raw[(a * w)..<((a + 1) * w)])
            let y = UnsafeRawBufferPointer(rebasing: raw[(b * w)..<((b + 1) * w)])
            return order == .signedDecimalBytes ? ByteOrdering.signedDecimalLess(x, y) : ByteOrdering.unsignedLess(x, y)
        }
    }
    func statisticsBytes(_ i: Int, asMin: Bool) -> [UInt8] {
        if order == .float16 && half(i) == 0 { return asMin ? [0x00, 0x80] : [0x00, 0x00] }
        return Array(values[i])
    }
}
