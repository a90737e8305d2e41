/// A 12-byte INT96 value as stored in Parquet: 8 bytes of nanoseconds-of-day (little endian)
/// followed by a 4-byte Julian day number.
public struct Int96: Sendable, Hashable {
    public var nanosOfDay: UInt64
    public var julianDay: UInt32
    public init(nanosOfDay: UInt64, julianDay: UInt32) {
        self.nanosOfDay = nanosOfDay
        self.julianDay = julianDay
    }
    /// Microseconds since the Unix epoch, computed the way Spark does, in wrapping 64-bit arithmetic.
    public var sparkMicros: Int64 {
        (Int64(Int32(bitPattern: julianDay)) &- 2_440_588) &* 86_400_000_000 &+ Int64(bitPattern: nanosOfDay) / 1000
    }
}

/// Variable-length byte strings packed into one buffer: value `i` is `bytes[offsets[i]..<offsets[i+1]]`.
/// `offsets.count == count + 1` and `offsets[0] == 0`.
public struct ByteArrays: Sendable {
    public var offsets: [Int]
    public var bytes: [UInt8]
    public init() {
        offsets = [0]
        bytes = []
    }
    public init(offsets: [Int], bytes: [UInt8]) {
        self.offsets = offsets
        self.bytes = bytes
    }
    public var count: Int { offsets.count - 1 }
    @inlinable public func range(_ i: Int) -> Range<Int> { offsets[i]..<offsets[i + 1] }
    @inlinable public subscript(i: Int) -> ArraySlice<UInt8> { bytes[offsets[i]..<offsets[i + 1]] }
    public mutating func append<C: Collection>(_ value: C) where C.Element == UInt8 {
        bytes.append(contentsOf: value)
        offsets.append(bytes.count)
    }
    public mutating func reserve(values: Int, bytes byteCount: Int) {
        offsets.reserveCapacity(offsets.count + values)
        bytes.reserveCapacity(bytes.count + byteCount)
    }
}

/// Fixed-width byte strings: value `i` is `bytes[i*width ..< (i+1)*width]`.
public struct FixedByteArrays: Sendable {
    public var width: Int
    public var bytes: [UInt8]
    public init(width: Int, bytes: [UInt8] = []) {
        self.width = width
        self.bytes = bytes
    }
    public var count: Int { width == 0 ? 0 : bytes.count / width }
    @inlinable public subscript(i: Int) -> ArraySlice<UInt8> { bytes[(i * width)..<((i + 1) * width)] }
}

/// Decoded values of one column: only non-null values, densely packed, in the physical type.
public enum ColumnData: Sendable {
    case boolean([Bool])
    case int32([Int32])
    case int64([Int64])
    case int96([Int96])
    case float([Float])
    case double([Double])
    case byteArray(ByteArrays)
    case fixedLenByteArray(FixedByteArrays)
    /// Dictionary-encoded values: `codes[i]` indexes into `dictionary` (which is never itself a dictionary).
    indirect case dictionary(dictionary: ColumnData, codes: [Int32])

    /// Number of (non-null) values held.
    public var count: Int {
        switch self {
        case .boolean(let v): return v.count
        case .int32(let v): return v.count
        case .int64(let v): return v.count
        case .int96(let v): return v.count
        case .float(let v): return v.count
        case .double(let v): return v.count
        case .byteArray(let v): return v.count
        case .fixedLenByteArray(let v): return v.count
        case .dictionary(_, let codes): return codes.count
        }
    }
}
