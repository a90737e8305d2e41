/// Per-column statistics computed by decoding every value: what `backfill profile` prints.
public struct ColumnProfile: Sendable {
    public var name: String
    public var kind: ValueKind
    public var physicalType: PhysicalType
    /// Level entries without a value (nulls; for repeated columns also empty lists).
    public var nulls: Int = 0
    /// Non-null values.
    public var values: Int = 0
    /// Smallest and largest value as shown by `cat`.
    public var min: RowValue?
    public var max: RowValue?
    /// Sum of integer and decimal columns (unscaled for decimals).
    public var integerSum: Int128?
    /// Sum of floating-point columns.
    public var floatSum: Double?
    /// Total bytes of string and binary values.
    public var bytes: Int?

    // Physical extremes, compared by the column's ordering.
    var minKey: ProfileKey?
    var maxKey: ProfileKey?

    public init(descriptor: ColumnDescriptor) {
        name = descriptor.dottedPath
        kind = ValueKind(descriptor)
        physicalType = descriptor.physicalType
        switch kind {
        case .signed, .unsigned, .decimal: integerSum = 0
        case .float, .double, .float16: floatSum = 0
        case .string, .binary: bytes = 0
        default: break
        }
        if physicalType == .boolean || physicalType == .int96 { integerSum = nil }
    }

    /// Folds one decoded column chunk into the profile.
    public mutating func add(_ column: Column) {
        nulls += column.nullCount
        values += column.values.count
        ProfileAccumulator.fold(column.values, into: &self)
    }

    /// Combines the profile of another part of the same column.
    public mutating func merge(_ other: ColumnProfile) {
        nulls += other.nulls
        values += other.values
        if let s = other.integerSum { integerSum = (integerSum ?? 0) + s }
        if let s = other.floatSum { floatSum = (floatSum ?? 0) + s }
        if let b = other.bytes { bytes = (bytes ?? 0) + b }
        if let k = other.minKey { offerMin(k) }
        if let k = other.maxKey { offerMax(k) }
    }

    mutating func offerMin(_ k: ProfileKey) {
        if let cur = minKey, !k.less(than: cur, kind: kind) { return }
        minKey = k
        min = k.rowValue(kind)
    }

    mutating func offerMax(_ k: ProfileKey) {
        if let cur = maxKey, !cur.less(than: k, kind: kind) { return }
        maxKey = k
        max = k.rowValue(kind)
    }

    /// The sum as a row value (decimals scaled), or nil when the column has none.
    public var sum: RowValue? {
        if let s = integerSum {
            if case .decimal(let scale) = kind { return .string(DecimalText.format(s, scale: scale)) }
            if let v = Int64(exactly: s) { return .int(v) }
            if let v = UInt64(exactly: s) { return .uint(v) }
            return .string(String(s))
        }
        if let f = floatSum { return .double(f) }
        return nil
    }

    /// `{"name": ..., "nulls": ..., "min": ..., "max": ..., "sum" or "bytes": ...}`
    public var json: String {
        var out = "{\"name\": "
        RowValue.writeJSONString(name, to: &out)
        out += ", \"type\": \"\(physicalType)\", \"values\": \(values), \"nulls\": \(nulls), \"min\": "
        (min ?? .null).writeJSON(to: &out)
        out += ", \"max\": "
        (max ?? .null).writeJSON(to: &out)
        if let s = integerSum, sum != nil, !(kind == .signed || kind == .unsigned) || (Int64(exactly: s) != nil || UInt64(exactly: s) != nil) {
            out += ", \"sum\": "
            sum!.writeJSON(to: &out)
        } else if let s = integerSum {
            out += ", \"sum\": \(s)"  // beyond 64 bits: still a JSON integer
        } else if let f = floatSum {
            out += ", \"sum\": "
            RowValue.double(f).writeJSON(to: &out)
        }
        if let b = bytes { out += ", \"bytes\": \(b)" }
        out += "}"
        return out
    }
}

/// A physical value kept for min/max.
enum ProfileKey: Sendable {
    case bool(Bool)
    case int(Int64)
    case int96(Int96)
    case double(Double)
    case bytes([UInt8])

    func less(than other: ProfileKey, kind: ValueKind) -> Bool {
        switch (self, other) {
        case (.bool(let a), .bool(let b)): return !a && b
        case (.int(let a), .int(let b)):
            if kind == .unsigned { return UInt64(bitPattern: a) < UInt64(bitPattern: b) }
            return a < b
        case (.int96(let a), .int96(let b)): return a.sparkMicros < b.sparkMicros
        case (.double(let a), .double(let b)): return a < b
        case (.bytes(let a), .bytes(let b)):
            if case .decimal = kind { return ProfileKey.signedBigEndianLess(a, b) }
            return a.lexicographicallyPrecedes(b)
        default: return false
        }
    }

    static func signedBigEndianLess(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let n = Swift.max(a.count, b.count)
        func extended(_ x: [UInt8]) -> [UInt8] {
            let fill: UInt8 = (x.first ?? 0) & 0x80 != 0 ? 0xFF : 0
            return [UInt8](repeating: fill, count: n - x.count) + x
        }
        let x = extended(a), y = extended(b)
        let xNeg = (x.first ?? 0) & 0x80 != 0, yNeg = (y.first ?? 0) & 0x80 != 0
        if xNeg != yNeg { return xNeg }
        return x.lexicographicallyPrecedes(y)
    }

    func rowValue(_ kind: ValueKind) -> RowValue {
        switch self {
        case .bool(let b): return .bool(b)
        case .int(let v):
            if case .int32 = physicalFor(kind) { return ValueFormatter.format(.int32([Int32(truncatingIfNeeded: v)]), 0, kind) }
            return ValueFormatter.format(.int64([v]), 0, kind)
        case .int96(let v): return ValueFormatter.format(.int96([v]), 0, kind)
        case .double(let d):
            if kind == .float || kind == .float16 { return .float(Float(d)) }
            return .double(d)
        case .bytes(let b): return ValueFormatter.formatBytes(b, 0..<b.count, kind)
        }
    }

    private enum Width { case int32, int64 }
    private func physicalFor(_ kind: ValueKind) -> Width {
        switch kind {
        case .date: return .int32
        default: return .int64
        }
    }
}
