/// Rows of one column waiting to be written: dense non-null values plus, for OPTIONAL columns, one validity
/// flag per row.
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
    /// One flag per buffered row for OPTIONAL columns; nil for REQUIRED ones.
    private(set) var validity: [Bool]?

    init(column: ResolvedColumn) {
        self.column = column
        self.fixed = FixedByteArrays(width: column.width)
        self.validity = column.spec.nullable ? [] : nil
    }

    /// Appends `rows` rows: `data` is already checked (plain, right type, one value per present row).
    mutating func append(_ data: ColumnData, validity rowValidity: [Bool]?, rows: Int) {
        if validity != nil {
            if let rowValidity {
                validity!.append(contentsOf: rowValidity)
            } else {
                validity!.append(contentsOf: repeatElement(true, count: rows))
            }
        }
        switch data {
        case .boolean(let v): bools.append(contentsOf: v)
        case .int32(let v): int32s.append(contentsOf: v)
        case .int64(let v): int64s.append(contentsOf: v)
        case .int96(let v): int96s.append(contentsOf: v)
        case .float(let v): floats.append(contentsOf: v)
        case .double(let v): doubles.append(contentsOf: v)
        case .byteArray(let v):
            if bytes.count == 0 {
                bytes = v
            } else {
                let base = bytes.bytes.count
                bytes.bytes.append(contentsOf: v.bytes)
                bytes.offsets.reserveCapacity(bytes.offsets.count + v.count)
                for i in 1..<v.offsets.count { bytes.offsets.append(base + v.offsets[i]) }
            }
        case .fixedLenByteArray(let v): fixed.bytes.append(contentsOf: v.bytes)
        case .dictionary: preconditionFailure("dictionary data reaches the buffer only materialized")
        }
    }

    /// Number of present values among buffered rows `rows`.
    func valueCount(rows: Range<Int>) -> Int {
        guard let validity else { return rows.count }
        var n = 0
        for r in rows where validity[r] { n += 1 }
        return n
    }

    /// Encodes buffered rows `rows`, whose values are `values`, as one column chunk.
    func encode(rows: Range<Int>, values: Range<Int>, options: ParquetWriterOptions) throws -> EncodedChunk {
        let encoder = ColumnChunkEncoder(column: column, options: options)
        switch column.physical {
        case .boolean:
            return try encoder.encode(BooleanValues(values: bools), values: values, validity: validity, rows: rows)
        case .int32:
            return try encoder.encode(Int32Values(values: int32s, unsigned: column.order == .unsigned), values: values, validity: validity, rows: rows)
        case .int64:
            return try encoder.encode(Int64Values(values: int64s, unsigned: column.order == .unsigned), values: values, validity: validity, rows: rows)
        case .int96:
            return try encoder.encode(Int96Values(values: int96s), values: values, validity: validity, rows: rows)
        case .float:
            return try encoder.encode(FloatValues(values: floats), values: values, validity: validity, rows: rows)
        case .double:
            return try encoder.encode(DoubleValues(values: doubles), values: values, validity: validity, rows: rows)
        case .byteArray:
            return try encoder.encode(ByteArrayValues(values: bytes, decimal: column.order == .signedDecimalBytes), values: values, validity: validity, rows: rows)
        case .fixedLenByteArray:
            return try encoder.encode(FixedBytesValues(values: fixed, order: column.order), values: values, validity: validity, rows: rows)
        }
    }

    /// Drops the first `rows` rows, which hold the first `values` values.
    mutating func removeFirst(rows: Int, values: Int) {
        guard rows > 0 else { return }
        validity?.removeFirst(rows)
        switch column.physical {
        case .boolean: bools.removeFirst(values)
        case .int32: int32s.removeFirst(values)
        case .int64: int64s.removeFirst(values)
        case .int96: int96s.removeFirst(values)
        case .float: floats.removeFirst(values)
        case .double: doubles.removeFirst(values)
        case .byteArray:
            let cut = bytes.offsets[values]
            bytes.bytes.removeFirst(cut)
            bytes.offsets = bytes.offsets[values...].map { $0 - cut }
        case .fixedLenByteArray: fixed.bytes.removeFirst(values * fixed.width)
        }
    }
}
