import Compression

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `write(2)`, which the writer's own `write` method hides.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}

/// Writes a Parquet file with a flat schema (top-level primitive columns, REQUIRED or OPTIONAL).
///
/// Rows arrive column-wise through `write(columns:validity:rowCount:)` and are buffered until a row group is
/// full (`rowGroupSize` rows); each full row group is then encoded and handed to the output at once, so memory
/// holds at most one row group of input plus one encoded column chunk. The output is either memory (`init(schema:
/// options:)`; `finish()` returns the file) or a file (`init(path:schema:options:)`): pages stream into
/// `path + ".tmp"`, which `finish()` syncs and renames to `path`, so a crash or error never leaves a partial file
/// at `path`. A writer that is dropped without `finish()` removes its temporary file.
///
/// `write` checks its whole input before buffering any of it: a call that throws `ParquetError.invalidArgument`
/// for bad input leaves the writer as it was. An error while encoding or writing (compression, I/O) leaves
/// the writer failed: later calls throw.
///
/// Values are checked against their column: physical type, FIXED_LEN_BYTE_ARRAY width, one value per non-null
/// row, no null in a REQUIRED column, INT(8/16) and UINT(8/16) ranges, DECIMAL precision on INT32/INT64, TIME within
/// a day, non-empty BYTE_ARRAY decimals. Not checked (for speed, like parquet-mr): UTF-8 validity of STRING values
/// and the precision of FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY decimals.
///
/// Output is deterministic: the same schema, options and rows give the same bytes, however the rows are split
/// across `write` calls.
public final class ParquetWriter {
    public let schema: [ParquetColumnSpec]
    public let options: ParquetWriterOptions

    private let columns: [ResolvedColumn]
    private var buffers: [ColumnBuffer]
    private var bufferedRows = 0
    private var rowGroups: [RowGroup] = []
    private var writtenRows: Int64 = 0
    private var output = Output()
    private var state = State.open

    private enum State { case open, finished, failed(String) }

    /// Where the bytes go.
    private struct Output {
        /// The whole file (memory output) or nothing (file output writes straight through).
        var bytes: [UInt8] = []
        var position: Int64 = 0
        var file: (fd: Int32, temporary: String, destination: String)?
    }

    /// A writer that builds the file in memory; `finish()` returns it.
    public init(schema: [ParquetColumnSpec], options: ParquetWriterOptions = .init()) throws {
        try options.validate()
        guard !schema.isEmpty else { throw ParquetError.invalidSchema("the schema has no columns") }
        var names = Set<String>()
        var resolved: [ResolvedColumn] = []
        for (i, spec) in schema.enumerated() {
            guard names.insert(spec.name).inserted else {
                throw ParquetError.invalidSchema("column \(i): the name '\(spec.name)' is used twice")
            }
            resolved.append(try ResolvedColumn(spec, index: i))
        }
        self.schema = schema
        self.options = options
        self.columns = resolved
        self.buffers = resolved.map { ColumnBuffer(column: $0) }
        try emit(ParquetFormat.magic)
    }

    /// A writer that streams the file to `path + ".tmp"` and renames it to `path` in `finish()`.
    public convenience init(path: String, schema: [ParquetColumnSpec], options: ParquetWriterOptions = .init()) throws {
        // Validate before creating anything on disk.
        try self.init(schema: schema, options: options)
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ParquetError.io("\(temporary): cannot create: \(String(cString: strerror(errno)))")
        }
        output.file = (fd, temporary, path)
        let header = output.bytes
        output.bytes = []
        output.position = 0
        try emit(header)
    }

    deinit {
        if let file = output.file {
            close(file.fd)
            unlink(file.temporary)
        }
    }

    /// Rows accepted so far (written or buffered).
    public var rowCount: Int64 { writtenRows + Int64(bufferedRows) }

    /// Appends `rowCount` rows given as columns: `columns[i]` holds the values of schema column `i` in its physical
    /// type (`.dictionary` input is accepted and materialized). For an OPTIONAL column, `validity[i]` says per row
    /// whether it holds a value (nil: every row does) and `columns[i]` holds values only for those rows, densely,
    /// like the reader's `Column`. `validity` may be empty (no nulls anywhere) or have one entry per column.
    public func write(columns data: [ColumnData], validity: [[Bool]?] = [], rowCount: Int) throws {
        try checkOpen()
        let inputs = try checkInput(data, validity: validity, rowCount: rowCount)
        guard rowCount > 0 else { return }
        for (c, input) in inputs.enumerated() {
            buffers[c].append(input.data, validity: input.validity, rows: rowCount)
        }
        bufferedRows += rowCount
        try failing { try flush(final: false) }
    }

    /// Appends a batch as the reader returns it (flat columns, in schema order).
    public func write(_ batch: ColumnBatch) throws {
        if let nested = batch.columns.first(where: { $0.repetitionLevels != nil || $0.descriptor.maxDefinitionLevel > 1 }) {
            throw ParquetError.invalidArgument("write: column '\(nested.descriptor.dottedPath)' is nested or repeated; the writer writes flat columns only")
        }
        try write(columns: batch.columns.map(\.values), validity: batch.columns.map(\.validity), rowCount: batch.rowCount)
    }

    /// Writes any buffered rows and the footer. For a memory writer, returns the complete file; for a file writer,
    /// syncs, closes and renames the file into place and returns an empty array.
    @discardableResult
    public func finish() throws -> [UInt8] {
        try checkOpen()
        try failing {
            try flush(final: true)
            let metadata = FileMetaData(
                version: 1,
                schema: [SchemaElement(name: options.schemaName, numChildren: Int32(columns.count))] + columns.map(\.element),
                numRows: writtenRows, rowGroups: rowGroups,
                keyValueMetadata: options.keyValueMetadata.isEmpty ? nil : options.keyValueMetadata,
                createdBy: options.createdBy,
                columnOrders: Array(repeating: .typeDefined, count: columns.count))
            let footer = metadata.encoded()
            var tail = footer
            let n = UInt32(footer.count)
            tail += [UInt8(truncatingIfNeeded: n), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 24)]
            tail += ParquetFormat.magic
            try emit(tail)
            if let file = output.file {
                guard fsync(file.fd) == 0 else { throw ParquetError.io("\(file.temporary): fsync failed: \(String(cString: strerror(errno)))") }
                guard close(file.fd) == 0 else {
                    output.file = nil
                    unlink(file.temporary)
                    throw ParquetError.io("\(file.temporary): close failed: \(String(cString: strerror(errno)))")
                }
                output.file = nil
                guard rename(file.temporary, file.destination) == 0 else {
                    let message = String(cString: strerror(errno))
                    unlink(file.temporary)
                    throw ParquetError.io("cannot rename \(file.temporary) to \(file.destination): \(message)")
                }
            }
        }
        state = .finished
        let result = output.bytes
        output.bytes = []
        return result
    }

    // MARK: Conveniences

    /// Writes one file in memory from whole columns; see `write(columns:validity:rowCount:)`. `rowCount` defaults to
    /// the length of the first column's validity, or else its value count.
    public static func encode(schema: [ParquetColumnSpec], columns: [ColumnData], validity: [[Bool]?] = [],
                              rowCount: Int? = nil, options: ParquetWriterOptions = .init()) throws -> [UInt8] {
        let writer = try ParquetWriter(schema: schema, options: options)
        try writer.write(columns: columns, validity: validity, rowCount: rowCount ?? inferredRowCount(columns, validity))
        return try writer.finish()
    }

    /// Writes one file at `path` (through `path + ".tmp"` and a rename) from whole columns.
    public static func write(path: String, schema: [ParquetColumnSpec], columns: [ColumnData], validity: [[Bool]?] = [],
                             rowCount: Int? = nil, options: ParquetWriterOptions = .init()) throws {
        let writer = try ParquetWriter(path: path, schema: schema, options: options)
        try writer.write(columns: columns, validity: validity, rowCount: rowCount ?? inferredRowCount(columns, validity))
        try writer.finish()
    }

    private static func inferredRowCount(_ columns: [ColumnData], _ validity: [[Bool]?]) -> Int {
        if let first = validity.first, let v = first { return v.count }
        return columns.first?.count ?? 0
    }

    // MARK: Row groups

    /// Encodes and writes every full row group (and with `final`, the rest), then drops those rows from the buffers.
    private func flush(final: Bool) throws {
        var rowStart = 0
        var valueStarts = [Int](repeating: 0, count: columns.count)
        while bufferedRows - rowStart >= options.rowGroupSize || (final && bufferedRows > rowStart) {
            let rows = min(options.rowGroupSize, bufferedRows - rowStart)
            let groupStart = output.position
            var chunks: [ColumnChunk] = []
            var uncompressed: Int64 = 0
            for c in columns.indices {
                let rowRange = rowStart..<(rowStart + rows)
                let valueCount = buffers[c].valueCount(rows: rowRange)
                let valueRange = valueStarts[c]..<(valueStarts[c] + valueCount)
                valueStarts[c] += valueCount
                let chunk = try buffers[c].encode(rows: rowRange, values: valueRange, options: options)
                let start = output.position
                try emit(chunk.bytes)
                let dataOffset = start + Int64(chunk.dictionaryPageLength ?? 0)
                let meta = ColumnMetaData(
                    type: columns[c].physical, encodings: chunk.encodings, pathInSchema: [columns[c].name],
                    codecRaw: options.codec.rawValue, numValues: Int64(chunk.numValues),
                    totalUncompressedSize: Int64(chunk.totalUncompressedSize), totalCompressedSize: Int64(chunk.bytes.count),
                    dataPageOffset: dataOffset, dictionaryPageOffset: chunk.dictionaryPageLength == nil ? nil : start,
                    statistics: chunk.statistics, encodingStats: chunk.encodingStats)
                chunks.append(ColumnChunk(fileOffset: start, metaData: meta))
                uncompressed += Int64(chunk.totalUncompressedSize)
            }
            rowGroups.append(RowGroup(
                columns: chunks, totalByteSize: uncompressed, numRows: Int64(rows), fileOffset: groupStart,
                totalCompressedSize: output.position - groupStart, ordinal: Int16(exactly: rowGroups.count)))
            writtenRows += Int64(rows)
            rowStart += rows
        }
        if rowStart > 0 {
            for c in columns.indices { buffers[c].removeFirst(rows: rowStart, values: valueStarts[c]) }
            bufferedRows -= rowStart
        }
    }

    private func emit(_ bytes: [UInt8]) throws {
        guard let file = output.file else {
            output.bytes.append(contentsOf: bytes)
            output.position += Int64(bytes.count)
            return
        }
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = posixWrite(file.fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ParquetError.io("\(file.temporary): write failed: \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }
        output.position += Int64(bytes.count)
    }

    // MARK: State

    private func checkOpen() throws {
        switch state {
        case .open: return
        case .finished: throw ParquetError.invalidArgument("the Parquet writer is already finished")
        case .failed(let why): throw ParquetError.invalidArgument("the Parquet writer failed earlier and cannot continue: \(why)")
        }
    }

    /// Runs `body`; if it throws, the writer is failed from then on.
    private func failing(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            state = .failed("\(error)")
            throw error
        }
    }

    // MARK: Input checks

    private struct Input {
        var data: ColumnData
        var validity: [Bool]?
    }

    /// Checks every column of one `write` call and returns the values in plain (materialized) form.
    private func checkInput(_ data: [ColumnData], validity: [[Bool]?], rowCount: Int) throws -> [Input] {
        func bad(_ message: String) -> ParquetError { .invalidArgument("write: \(message)") }
        guard rowCount >= 0 else { throw bad("rowCount \(rowCount) is negative") }
        guard data.count == columns.count else {
            throw bad("got \(data.count) columns but the schema has \(columns.count) (\(columns.map(\.name).joined(separator: ", ")))")
        }
        guard validity.isEmpty || validity.count == columns.count else {
            throw bad("got \(validity.count) validity entries; pass none or one per column (\(columns.count))")
        }
        var inputs: [Input] = []
        inputs.reserveCapacity(columns.count)
        for (c, column) in columns.enumerated() {
            func badColumn(_ message: String) -> ParquetError { bad("column \(c) '\(column.name)': \(message)") }
            let plain = try materialize(data[c], column: column, badColumn)
            var rowValidity = validity.isEmpty ? nil : validity[c]
            var present = rowCount
            if let v = rowValidity {
                guard v.count == rowCount else {
                    throw badColumn("validity has \(v.count) entries but rowCount is \(rowCount)")
                }
                present = v.reduce(0) { $0 + ($1 ? 1 : 0) }
                if !column.spec.nullable {
                    if let r = v.firstIndex(of: false) {
                        throw badColumn("the column is REQUIRED (not nullable) but row \(r) is null")
                    }
                    rowValidity = nil
                } else if present == rowCount {
                    rowValidity = nil
                }
            }
            guard plain.count == present else {
                throw badColumn("got \(plain.count) values for \(present) \(present == rowCount ? "rows" : "non-null rows (of \(rowCount))")")
            }
            try checkValues(plain, column: column, badColumn)
            inputs.append(Input(data: plain, validity: rowValidity))
        }
        return inputs
    }

    private static func caseName(_ data: ColumnData) -> String {
        switch data {
        case .boolean: return "boolean"
        case .int32: return "int32"
        case .int64: return "int64"
        case .int96: return "int96"
        case .float: return "float"
        case .double: return "double"
        case .byteArray: return "byteArray"
        case .fixedLenByteArray: return "fixedLenByteArray"
        case .dictionary: return "dictionary"
        }
    }

    /// Checks the data's type (and layout) against the column and resolves `.dictionary` input to plain values.
    private func materialize(_ data: ColumnData, column: ResolvedColumn, _ bad: (String) -> ParquetError) throws -> ColumnData {
        switch (column.physical, data) {
        case (.boolean, .boolean), (.int32, .int32), (.int64, .int64), (.int96, .int96), (.float, .float), (.double, .double):
            return data
        case (.byteArray, .byteArray(let v)):
            guard v.offsets.first == 0, v.offsets.last == v.bytes.count else {
                throw bad("malformed ByteArrays: offsets must start at 0 and end at the byte count (\(v.bytes.count))")
            }
            for i in 0..<v.count where v.offsets[i] > v.offsets[i + 1] {
                throw bad("malformed ByteArrays: offset \(i + 1) (\(v.offsets[i + 1])) is below offset \(i) (\(v.offsets[i]))")
            }
            return data
        case (.fixedLenByteArray, .fixedLenByteArray(let v)):
            guard v.width == column.width else {
                throw bad("values are \(v.width) bytes wide but the column is FIXED_LEN_BYTE_ARRAY(\(column.width))")
            }
            guard v.bytes.count % column.width == 0 else {
                throw bad("\(v.bytes.count) bytes are not a whole number of \(column.width)-byte values")
            }
            return data
        case (_, .dictionary(let dictionary, let codes)):
            if case .dictionary = dictionary { throw bad("a dictionary whose values are themselves a dictionary") }
            let values = try materialize(dictionary, column: column, bad)
            let size = values.count
            if let k = codes.firstIndex(where: { $0 < 0 || Int($0) >= size }) {
                throw bad("dictionary code \(codes[k]) at position \(k) is out of range for \(size) entries")
            }
            switch values {
            case .boolean(let d): return .boolean(codes.map { d[Int($0)] })
            case .int32(let d): return .int32(codes.map { d[Int($0)] })
            case .int64(let d): return .int64(codes.map { d[Int($0)] })
            case .int96(let d): return .int96(codes.map { d[Int($0)] })
            case .float(let d): return .float(codes.map { d[Int($0)] })
            case .double(let d): return .double(codes.map { d[Int($0)] })
            case .byteArray(let d):
                var out = ByteArrays()
                for c in codes { out.append(d[Int(c)]) }
                return .byteArray(out)
            case .fixedLenByteArray(let d):
                var out = FixedByteArrays(width: d.width)
                out.bytes.reserveCapacity(codes.count * d.width)
                for c in codes { out.bytes.append(contentsOf: d[Int(c)]) }
                return .fixedLenByteArray(out)
            case .dictionary: throw bad("nested dictionary")
            }
        default:
            let expected = column.physical == .fixedLenByteArray ? "FIXED_LEN_BYTE_ARRAY(\(column.width))" : column.physical.description
            throw bad("the column is \(expected) but got .\(Self.caseName(data)) values")
        }
    }

    /// Range checks the logical type implies (narrow integers, decimal precision, time of day, decimal bytes).
    private func checkValues(_ data: ColumnData, column: ResolvedColumn, _ bad: (String) -> ParquetError) throws {
        let what: String = column.spec.logicalType.map { "\($0)" } ?? "\(column.physical)"
        switch data {
        case .int32(let v):
            guard let range = column.int32Range else { return }
            if let k = v.firstIndex(where: { !range.contains(Int64($0)) }) {
                throw bad("value \(v[k]) at position \(k) is out of range \(range.lowerBound)...\(range.upperBound) for \(what)")
            }
        case .int64(let v):
            guard let range = column.int64Range else { return }
            if let k = v.firstIndex(where: { !range.contains($0) }) {
                throw bad("value \(v[k]) at position \(k) is out of range \(range.lowerBound)...\(range.upperBound) for \(what)")
            }
        case .byteArray(let v) where column.order == .signedDecimalBytes:
            for i in 0..<v.count where v.offsets[i] == v.offsets[i + 1] {
                throw bad("value \(i) is empty; a DECIMAL needs at least one byte")
            }
        default:
            return
        }
    }
}
