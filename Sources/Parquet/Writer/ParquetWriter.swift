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

/// One leaf column of input with its Dremel levels, as the reader's `Column` holds them: `definitionLevels` and
/// `repetitionLevels` one per entry (nil when the column has no such levels, or, for definition levels, when
/// every entry holds a value), `values` the dense non-null values (`.dictionary` is accepted).
public struct ParquetLeafColumn: Sendable {
    public var values: ColumnData
    public var definitionLevels: [UInt16]?
    public var repetitionLevels: [UInt16]?

    public init(values: ColumnData, definitionLevels: [UInt16]? = nil, repetitionLevels: [UInt16]? = nil) {
        self.values = values
        self.definitionLevels = definitionLevels
        self.repetitionLevels = repetitionLevels
    }
}

/// Writes a Parquet file: any schema of primitive columns, structs, LISTs, MAPs and repeated fields
/// (`ParquetSchemaNode`), every physical and logical type, every encoding and codec the reader reads, pages v1
/// or v2, statistics and the page index.
///
/// Input comes in one of four forms, which may be mixed: rows of `ParquetValue` (`write(rows:)`, shredded into
/// levels here), leaf columns with levels (`write(leaves:)`), a batch as the reader returns it (`write(_:)`, so
/// read → write copies levels and values without converting them), or, for flat schemas, columns with validity
/// (`write(columns:validity:rowCount:)`). Everything is buffered per leaf column until a row group is full
/// (`rowGroupSize` bytes of buffered input, or `rowGroupRowLimit` rows); the row group is then encoded column
/// by column and handed to the output, so memory holds one row group of input plus one encoded column chunk.
/// The output is either memory (`init(fields:options:)`; `finish()` returns the file) or a file
/// (`init(path:fields:options:)`): pages stream into `path + ".tmp"`, which `finish()` syncs and renames to
/// `path`, so a crash or error never leaves a partial file at `path`. A writer that is dropped without `finish()`
/// removes its temporary file.
///
/// Every `write` checks its whole input before any of it counts: a call that throws `ParquetError.invalidArgument`
/// for bad input (naming the row or column and position) leaves the writer as it was. An error while encoding or
/// writing (compression, I/O) leaves the writer failed: later calls throw.
///
/// Values are checked against their column: physical type, FIXED_LEN_BYTE_ARRAY width, INT(8/16) and UINT(8/16)
/// ranges, DECIMAL precision on INT32/INT64, TIME within a day, non-empty BYTE_ARRAY decimals, nulls only where
/// the schema allows them, and levels within their maxima. Not checked (for speed, like parquet-mr): UTF-8 validity
/// of STRING values and the precision of FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY decimals.
///
/// Output is deterministic: the same schema, options and rows give the same bytes, however the rows are split
/// across `write` calls (as long as the row groups are cut at the same rows).
public final class ParquetWriter {
    /// The top-level fields of the schema.
    public let fields: [ParquetSchemaNode]
    public let options: ParquetWriterOptions

    private let writerSchema: WriterSchema
    private let settings: [ColumnSettings]
    private var buffers: [ColumnBuffer]
    private var rowGroups: [RowGroup] = []
    /// Per row group, per column: the page index to write ahead of the footer.
    private var pageIndexes: [[(column: ColumnIndex?, offset: OffsetIndex)]] = []
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

    private var columns: [ResolvedColumn] { writerSchema.leaves }
    private var bufferedRows: Int { buffers.first?.rowCount ?? 0 }

    /// A writer that builds the file in memory; `finish()` returns it.
    public init(fields: [ParquetSchemaNode], options: ParquetWriterOptions = .init()) throws {
        try options.validate()
        let schema = try WriterSchema(fields: fields, rootName: options.schemaName)
        let paths = Set(schema.leaves.map(\.dottedPath))
        for key in options.columns.keys.sorted() where !paths.contains(key) {
            throw ParquetError.invalidArgument("writer options: column options for '\(key)', which is not a leaf column of the schema (\(schema.leaves.map(\.dottedPath).joined(separator: ", ")))")
        }
        self.fields = fields
        self.options = options
        self.writerSchema = schema
        self.settings = try schema.leaves.map { try ColumnSettings(column: $0, options: options) }
        self.buffers = schema.leaves.map { ColumnBuffer(column: $0) }
        try emit(ParquetFormat.magic)
    }

    /// A writer of a flat schema (top-level primitive columns, REQUIRED or OPTIONAL) in memory.
    public convenience init(schema: [ParquetColumnSpec], options: ParquetWriterOptions = .init()) throws {
        try self.init(fields: schema.map(ParquetSchemaNode.column), options: options)
    }

    /// A writer that streams the file to `path + ".tmp"` and renames it to `path` in `finish()`.
    public convenience init(path: String, fields: [ParquetSchemaNode], options: ParquetWriterOptions = .init()) throws {
        // Validate before creating anything on disk.
        try self.init(fields: fields, options: options)
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

    public convenience init(path: String, schema: [ParquetColumnSpec], options: ParquetWriterOptions = .init()) throws {
        try self.init(path: path, fields: schema.map(ParquetSchemaNode.column), options: options)
    }

    deinit {
        if let file = output.file {
            close(file.fd)
            unlink(file.temporary)
        }
    }

    /// Rows accepted so far (written or buffered).
    public var rowCount: Int64 { writtenRows + Int64(bufferedRows) }

    /// The leaf columns' dotted paths, in file order (the order `write(leaves:)` takes them in).
    public var leafPaths: [String] { columns.map(\.dottedPath) }

    // MARK: Input

    /// Appends rows, each one `ParquetValue` per top-level field (see `ParquetValue` for the shapes).
    public func write(rows: [[ParquetValue]]) throws {
        try checkOpen()
        let marks = buffers.map { $0.mark() }
        var shredder = RecordShredder(tree: writerSchema.shredTree, buffers: buffers, firstRow: rowCount)
        buffers = []
        do {
            for (r, row) in rows.enumerated() { try shredder.shred(row, index: r) }
        } catch {
            buffers = shredder.buffers
            for c in buffers.indices { buffers[c].rollback(to: marks[c]) }
            throw error
        }
        buffers = shredder.buffers
        try failing { try flush(final: false) }
    }

    /// Appends leaf columns with their levels, one per leaf in file order (`leafPaths`).
    public func write(leaves: [ParquetLeafColumn]) throws {
        try checkOpen()
        func bad(_ message: String) -> ParquetError { .invalidArgument("write: \(message)") }
        guard leaves.count == columns.count else {
            throw bad("got \(leaves.count) leaf columns but the schema has \(columns.count) (\(leafPaths.joined(separator: ", ")))")
        }
        var inputs: [(def: [UInt16]?, rep: [UInt16]?, values: ColumnData, entries: Int)] = []
        var rows: Int?
        for (c, column) in columns.enumerated() {
            func badColumn(_ message: String) -> ParquetError { bad("column \(c) '\(column.dottedPath)': \(message)") }
            let leaf = leaves[c]
            let plain = try materialize(leaf.values, column: column, badColumn)
            var def = leaf.definitionLevels
            var rep = leaf.repetitionLevels
            let entries = def?.count ?? rep?.count ?? plain.count
            if let d = def, d.count != entries { throw badColumn("\(d.count) definition levels but \(entries) repetition levels") }
            if let r = rep, r.count != entries { throw badColumn("\(r.count) repetition levels but \(entries) definition levels") }
            let maxDef = UInt16(column.maxDefinitionLevel)
            let maxRep = UInt16(column.maxRepetitionLevel)
            if let d = def {
                if let k = d.firstIndex(where: { $0 > maxDef }) {
                    throw badColumn("definition level \(d[k]) at entry \(k) is above the column's maximum \(maxDef)")
                }
                if maxDef == 0 { def = nil }
            }
            if let r = rep {
                if let k = r.firstIndex(where: { $0 > maxRep }) {
                    throw badColumn("repetition level \(r[k]) at entry \(k) is above the column's maximum \(maxRep)")
                }
                if maxRep == 0 { rep = nil }
            }
            if let r = rep {
                if let first = r.first, first != 0 { throw badColumn("the first repetition level is \(first); a record starts at 0") }
                let needed = column.repeatedAncestorDefinitionLevels
                let d = def
                for k in r.indices where r[k] > 0 {
                    let level = d?[k] ?? maxDef
                    if Int(level) < needed[Int(r[k]) - 1] {
                        throw badColumn("entry \(k) repeats at level \(r[k]) but its definition level \(level) is below \(needed[Int(r[k]) - 1]), where that list exists")
                    }
                }
            } else if maxRep > 0 {
                throw badColumn("the column is repeated; it needs repetition levels")
            }
            let present = def.map { $0.reduce(0) { $0 + ($1 == maxDef ? 1 : 0) } } ?? entries
            guard plain.count == present else {
                throw badColumn("got \(plain.count) values for \(present) entries at the maximum definition level \(maxDef)")
            }
            if def == nil && maxDef > 0 && entries != plain.count {
                throw badColumn("got \(plain.count) values for \(entries) entries")
            }
            try checkValues(plain, column: column, badColumn)
            let records = rep.map { $0.reduce(0) { $0 + ($1 == 0 ? 1 : 0) } } ?? entries
            if let rows, rows != records {
                throw badColumn("holds \(records) records but column 0 '\(columns[0].dottedPath)' holds \(rows)")
            }
            rows = records
            inputs.append((def, rep, plain, entries))
        }
        for (c, input) in inputs.enumerated() {
            buffers[c].append(definitionLevels: input.def, repetitionLevels: input.rep, values: input.values, entries: input.entries)
        }
        try failing { try flush(final: false) }
    }

    /// Appends a batch as the reader returns it: one column per leaf, in file order, levels and values as read.
    public func write(_ batch: ColumnBatch) throws {
        guard batch.columns.count == columns.count else {
            throw ParquetError.invalidArgument("write: the batch has \(batch.columns.count) columns but the schema has \(columns.count) leaves (\(leafPaths.joined(separator: ", ")))")
        }
        for (c, column) in batch.columns.enumerated() where column.descriptor.path != columns[c].path {
            throw ParquetError.invalidArgument("write: batch column \(c) is '\(column.descriptor.dottedPath)' but leaf \(c) of the schema is '\(columns[c].dottedPath)'")
        }
        try write(leaves: batch.columns.map {
            ParquetLeafColumn(values: $0.values, definitionLevels: $0.definitionLevels, repetitionLevels: $0.repetitionLevels)
        })
    }

    /// Appends `rowCount` rows of a flat schema given as columns: `columns[i]` holds the values of column `i` in its
    /// physical type (`.dictionary` input is accepted and materialized). For an OPTIONAL column, `validity[i]` says
    /// per row whether it holds a value (nil: every row does) and `columns[i]` holds values only for those rows,
    /// densely, like the reader's `Column`. `validity` may be empty (no nulls anywhere) or have one entry per column.
    public func write(columns data: [ColumnData], validity: [[Bool]?] = [], rowCount: Int) throws {
        try checkOpen()
        if let nested = columns.first(where: { $0.path.count != 1 || $0.maxRepetitionLevel > 0 }) {
            throw ParquetError.invalidArgument("write: column '\(nested.dottedPath)' is nested or repeated; write it with write(leaves:) or write(rows:)")
        }
        let inputs = try checkInput(data, validity: validity, rowCount: rowCount)
        guard rowCount > 0 else { return }
        for (c, input) in inputs.enumerated() {
            let def = input.validity.map { $0.map { $0 ? UInt16(1) : 0 } }
            buffers[c].append(definitionLevels: def, repetitionLevels: nil, values: input.data, entries: rowCount)
        }
        try failing { try flush(final: false) }
    }

    /// Writes any buffered rows, the page index and the footer. For a memory writer, returns the complete file;
    /// for a file writer, syncs, closes and renames the file into place and returns an empty array.
    @discardableResult
    public func finish() throws -> [UInt8] {
        try checkOpen()
        try failing {
            try flush(final: true)
            try writePageIndex()
            let metadata = FileMetaData(
                version: 1,
                schema: writerSchema.elements,
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

    /// Writes row groups while the buffers hold a full one (with `final`, until they are empty). A row group is
    /// full at `rowGroupRowLimit` rows or `rowGroupSize` buffered bytes; when one call brought several row groups'
    /// worth, the rows are cut in proportion to their size.
    private func flush(final: Bool) throws {
        while bufferedRows > 0 {
            let rows = bufferedRows
            let bytes = buffers.reduce(0) { $0 + $1.byteSize }
            var cut: Int
            if bytes >= options.rowGroupSize {
                cut = max(1, Int(Double(rows) * Double(options.rowGroupSize) / Double(bytes)))
            } else if rows >= options.rowGroupRowLimit || final {
                cut = rows
            } else {
                return
            }
            cut = min(cut, rows, options.rowGroupRowLimit)
            try writeRowGroup(rows: cut)
        }
    }

    /// Encodes and writes the first `rows` buffered rows as one row group, then drops them from the buffers.
    private func writeRowGroup(rows: Int) throws {
        let groupStart = output.position
        var chunks: [ColumnChunk] = []
        var indexes: [(column: ColumnIndex?, offset: OffsetIndex)] = []
        var uncompressed: Int64 = 0
        for c in columns.indices {
            let levels = buffers[c].levelIndex(ofRow: rows)
            let values = buffers[c].valueIndex(ofLevel: levels)
            let chunk = try buffers[c].encode(levels: 0..<levels, values: 0..<values, rows: rows, settings: settings[c], options: options)
            let start = output.position
            try emit(chunk.bytes)
            let dataOffset = start + Int64(chunk.dictionaryPageLength ?? 0)
            let meta = ColumnMetaData(
                type: columns[c].physical, encodings: chunk.encodings, pathInSchema: columns[c].path,
                codecRaw: settings[c].codec.rawValue, numValues: Int64(chunk.numValues),
                totalUncompressedSize: Int64(chunk.totalUncompressedSize), totalCompressedSize: Int64(chunk.bytes.count),
                dataPageOffset: dataOffset, dictionaryPageOffset: chunk.dictionaryPageLength == nil ? nil : start,
                statistics: chunk.statistics, encodingStats: chunk.encodingStats)
            chunks.append(ColumnChunk(fileOffset: start, metaData: meta))
            uncompressed += Int64(chunk.totalUncompressedSize)
            if options.writePageIndex {
                let locations = chunk.pageLocations.map {
                    PageLocation(offset: start + Int64($0.offset), compressedPageSize: Int32($0.size), firstRowIndex: Int64($0.firstRow))
                }
                indexes.append((chunk.columnIndex, OffsetIndex(pageLocations: locations)))
            }
            buffers[c].removeFirst(rows: rows, levels: levels, values: values)
        }
        rowGroups.append(RowGroup(
            columns: chunks, totalByteSize: uncompressed, numRows: Int64(rows), fileOffset: groupStart,
            totalCompressedSize: output.position - groupStart, ordinal: Int16(exactly: rowGroups.count)))
        if options.writePageIndex { pageIndexes.append(indexes) }
        writtenRows += Int64(rows)
    }

    /// Writes every ColumnIndex, then every OffsetIndex (the layout parquet-mr uses), and points the chunks at them.
    private func writePageIndex() throws {
        for g in pageIndexes.indices {
            for c in pageIndexes[g].indices {
                guard let index = pageIndexes[g][c].column else { continue }
                let bytes = index.encoded()
                rowGroups[g].columns[c].columnIndexOffset = output.position
                rowGroups[g].columns[c].columnIndexLength = Int32(bytes.count)
                try emit(bytes)
            }
        }
        for g in pageIndexes.indices {
            for c in pageIndexes[g].indices {
                let bytes = pageIndexes[g][c].offset.encoded()
                rowGroups[g].columns[c].offsetIndexOffset = output.position
                rowGroups[g].columns[c].offsetIndexLength = Int32(bytes.count)
                try emit(bytes)
            }
        }
        pageIndexes = []
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

    /// Checks every column of one flat `write` call and returns the values in plain (materialized) form.
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
                if column.maxDefinitionLevel == 0 {
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
