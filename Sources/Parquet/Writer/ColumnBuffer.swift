/// The buffered entries of one leaf column: repetition and definition levels (only those the column has) and the
/// dense non-null values, until the row group is written.
struct ColumnBuffer {
    let column: ResolvedColumn
    private(set) var bools: [Bool] = []
    private(set) var int32s: [Int32] = []
    private(set) var int64s: [Int64] = []
    private(set) var int96s: [Int96] = []
    private(set) var floats: [Float] = []
    private(set) var doubles: [Double] = []
    private(set) var bytes = ByteArrays()
    private(set) var fixed: FixedByteArrays
    /// One per entry when `maxDefinitionLevel > 0`, else empty.
    private(set) var definitionLevels: [UInt16] = []
    /// One per entry when `maxRepetitionLevel > 0`, else empty.
    private(set) var repetitionLevels: [UInt16] = []
    private(set) var levelCount = 0
    private(set) var rowCount = 0
    /// PLAIN size of the buffered values plus two bytes per stored level: the measure of `rowGroupSize`.
    private(set) var byteSize = 0

    private let maxDefinition: UInt16
    private let hasDefinition: Bool
    private let hasRepetition: Bool

    init(column: ResolvedColumn) {
        self.column = column
        self.fixed = FixedByteArrays(width: column.width)
        maxDefinition = UInt16(column.maxDefinitionLevel)
        hasDefinition = column.maxDefinitionLevel > 0
        hasRepetition = column.maxRepetitionLevel > 0
    }

    var valueCount: Int {
        switch column.physical {
        case .boolean: return bools.count
        case .int32: return int32s.count
        case .int64: return int64s.count
        case .int96: return int96s.count
        case .float: return floats.count
        case .double: return doubles.count
        case .byteArray: return bytes.count
        case .fixedLenByteArray: return fixed.count
        }
    }

    // MARK: Appending

    @inline(__always)
    private mutating func appendLevels(repetition: Int, definition: Int) {
        if hasDefinition { definitionLevels.append(UInt16(definition)) }
        if hasRepetition { repetitionLevels.append(UInt16(repetition)) }
        if repetition == 0 { rowCount += 1 }
        levelCount += 1
        byteSize += (hasDefinition ? 2 : 0) + (hasRepetition ? 2 : 0)
    }

    /// An entry without a value: a null, or an empty list, at `definition` < max.
    mutating func appendNull(repetition: Int, definition: Int) {
        appendLevels(repetition: repetition, definition: definition)
    }

    /// An entry with a value (at the maximum definition level). Throws a message (without position) when the
    /// value does not fit the column; nothing is appended then.
    mutating func append(_ value: ParquetValue, repetition: Int) throws(ValueMismatch) {
        switch (column.physical, value) {
        case (.boolean, .boolean(let v)): bools.append(v); byteSize += 1
        case (.int32, .int32(let v)):
            if let range = column.int32Range, !range.contains(Int64(v)) { throw ValueMismatch(outOfRange: Int64(v), range, column) }
            int32s.append(v); byteSize += 4
        case (.int64, .int64(let v)):
            if let range = column.int64Range, !range.contains(v) { throw ValueMismatch(outOfRange: v, range, column) }
            int64s.append(v); byteSize += 8
        case (.int96, .int96(let v)): int96s.append(v); byteSize += 12
        case (.float, .float(let v)): floats.append(v); byteSize += 4
        case (.double, .double(let v)): doubles.append(v); byteSize += 8
        case (.byteArray, .bytes(let v)):
            if v.isEmpty && column.order == .signedDecimalBytes { throw ValueMismatch("an empty DECIMAL; it needs at least one byte") }
            bytes.append(v); byteSize += 4 + v.count
        case (.byteArray, .string(let s)):
            bytes.append(s.utf8); byteSize += 4 + s.utf8.count
        case (.fixedLenByteArray, .bytes(let v)):
            guard v.count == column.width else {
                throw ValueMismatch("\(v.count) bytes for FIXED_LEN_BYTE_ARRAY(\(column.width))")
            }
            fixed.bytes.append(contentsOf: v); byteSize += v.count
        default:
            let expected = column.physical == .fixedLenByteArray ? "FIXED_LEN_BYTE_ARRAY(\(column.width)) (.bytes)" : "\(column.physical)"
            throw ValueMismatch("expected a \(expected) value, got .\(value.kindName)")
        }
        appendLevels(repetition: repetition, definition: column.maxDefinitionLevel)
    }

    /// Appends checked entries: levels (nil when the column has none of that kind) and their plain values.
    mutating func append(definitionLevels def: [UInt16]?, repetitionLevels rep: [UInt16]?, values data: ColumnData, entries: Int) {
        if hasDefinition { definitionLevels.append(contentsOf: def ?? Array(repeating: maxDefinition, count: entries)) }
        if hasRepetition, let rep {
            repetitionLevels.append(contentsOf: rep)
            rowCount += rep.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
        } else {
            rowCount += entries
        }
        levelCount += entries
        byteSize += entries * ((hasDefinition ? 2 : 0) + (hasRepetition ? 2 : 0))
        switch data {
        case .boolean(let v): bools.append(contentsOf: v); byteSize += v.count
        case .int32(let v): int32s.append(contentsOf: v); byteSize += 4 * v.count
        case .int64(let v): int64s.append(contentsOf: v); byteSize += 8 * v.count
        case .int96(let v): int96s.append(contentsOf: v); byteSize += 12 * v.count
        case .float(let v): floats.append(contentsOf: v); byteSize += 4 * v.count
        case .double(let v): doubles.append(contentsOf: v); byteSize += 8 * v.count
        case .byteArray(let v):
            let base = bytes.bytes.count
            bytes.bytes.append(contentsOf: v.bytes[v.offsets[0]..<v.offsets[v.count]])
            bytes.offsets.reserveCapacity(bytes.offsets.count + v.count)
            for i in 1..<v.offsets.count { bytes.offsets.append(base + v.offsets[i] - v.offsets[0]) }
            byteSize += 4 * v.count + v.offsets[v.count] - v.offsets[0]
        case .fixedLenByteArray(let v): fixed.bytes.append(contentsOf: v.bytes); byteSize += v.bytes.count
        case .dictionary: preconditionFailure("dictionary data reaches the buffer only materialized")
        }
    }

    // MARK: Undo

    /// Where the buffer stood, to undo a partly shredded `write` call.
    struct Mark {
        var levels: Int, rows: Int, values: Int, valueBytes: Int, byteSize: Int
    }

    func mark() -> Mark {
        Mark(levels: levelCount, rows: rowCount, values: valueCount, valueBytes: bytes.bytes.count, byteSize: byteSize)
    }

    mutating func rollback(to m: Mark) {
        if hasDefinition { definitionLevels.removeLast(definitionLevels.count - m.levels) }
        if hasRepetition { repetitionLevels.removeLast(repetitionLevels.count - m.levels) }
        levelCount = m.levels
        rowCount = m.rows
        byteSize = m.byteSize
        let extra = valueCount - m.values
        switch column.physical {
        case .boolean: bools.removeLast(extra)
        case .int32: int32s.removeLast(extra)
        case .int64: int64s.removeLast(extra)
        case .int96: int96s.removeLast(extra)
        case .float: floats.removeLast(extra)
        case .double: doubles.removeLast(extra)
        case .byteArray:
            bytes.offsets.removeLast(extra)
            bytes.bytes.removeLast(bytes.bytes.count - m.valueBytes)
        case .fixedLenByteArray: fixed.bytes.removeLast(extra * fixed.width)
        }
    }

    // MARK: Row groups

    /// Index of the first entry of buffered row `row` (`levelCount` for `row == rowCount`).
    func levelIndex(ofRow row: Int) -> Int {
        guard hasRepetition else { return row }
        if row >= rowCount { return levelCount }
        var seen = -1
        for (i, r) in repetitionLevels.enumerated() where r == 0 {
            seen += 1
            if seen == row { return i }
        }
        return levelCount
    }

    /// Number of values among the first `levels` entries.
    func valueIndex(ofLevel levels: Int) -> Int {
        guard hasDefinition else { return levels }
        var n = 0
        for i in 0..<levels where definitionLevels[i] == maxDefinition { n += 1 }
        return n
    }

    /// Encodes entries `levels` (whole rows, `rows` of them), whose values are `values`, as one column chunk.
    func encode(levels: Range<Int>, values: Range<Int>, rows: Int, settings: ColumnSettings, options: ParquetWriterOptions) throws -> EncodedChunk {
        let encoder = ColumnChunkEncoder(column: column, settings: settings, options: options,
                                         definitionLevels: definitionLevels, repetitionLevels: repetitionLevels)
        switch column.physical {
        case .boolean:
            return try encoder.encode(BooleanValues(values: bools), levels: levels, values: values, rows: rows)
        case .int32:
            return try encoder.encode(Int32Values(values: int32s, unsigned: column.order == .unsigned), levels: levels, values: values, rows: rows)
        case .int64:
            return try encoder.encode(Int64Values(values: int64s, unsigned: column.order == .unsigned), levels: levels, values: values, rows: rows)
        case .int96:
            return try encoder.encode(Int96Values(values: int96s), levels: levels, values: values, rows: rows)
        case .float:
            return try encoder.encode(FloatValues(values: floats), levels: levels, values: values, rows: rows)
        case .double:
            return try encoder.encode(DoubleValues(values: doubles), levels: levels, values: values, rows: rows)
        case .byteArray:
            return try encoder.encode(ByteArrayValues(values: bytes, decimal: column.order == .signedDecimalBytes), levels: levels, values: values, rows: rows)
        case .fixedLenByteArray:
            return try encoder.encode(FixedBytesValues(values: fixed, order: column.order), levels: levels, values: values, rows: rows)
        }
    }

    /// Drops the first `rows` rows, which are the first `levels` entries holding the first `values` values.
    mutating func removeFirst(rows: Int, levels: Int, values: Int) {
        guard levels > 0 else { return }
        if hasDefinition { definitionLevels.removeFirst(levels) }
        if hasRepetition { repetitionLevels.removeFirst(levels) }
        levelCount -= levels
        rowCount -= rows
        byteSize -= levels * ((hasDefinition ? 2 : 0) + (hasRepetition ? 2 : 0))
        switch column.physical {
        case .boolean: bools.removeFirst(values); byteSize -= values
        case .int32: int32s.removeFirst(values); byteSize -= 4 * values
        case .int64: int64s.removeFirst(values); byteSize -= 8 * values
        case .int96: int96s.removeFirst(values); byteSize -= 12 * values
        case .float: floats.removeFirst(values); byteSize -= 4 * values
        case .double: doubles.removeFirst(values); byteSize -= 8 * values
        case .byteArray:
            let cut = bytes.offsets[values]
            bytes.bytes.removeFirst(cut)
            bytes.offsets = bytes.offsets[values...].map { $0 - cut }
            byteSize -= 4 * values + cut
        case .fixedLenByteArray:
            fixed.bytes.removeFirst(values * fixed.width)
            byteSize -= values * fixed.width
        }
    }
}

/// Why one value does not fit its column (the caller adds the row and path).
struct ValueMismatch: Error {
    let message: String
    init(_ message: String) { self.message = message }
    init(outOfRange v: Int64, _ range: ClosedRange<Int64>, _ column: ResolvedColumn) {
        let what: String = column.spec.logicalType.map { "\($0)" } ?? "\(column.physical)"
        message = "value \(v) is out of range \(range.lowerBound)...\(range.upperBound) for \(what)"
    }
}
