import Compression
import Foundation
import Testing
@testable import Parquet

/// Bad schemas, options and input: a clear one-line error, never a crash, and a writer that stays usable.
@Suite struct WriterErrorTests {
    /// Runs `body`, expecting a `ParquetError` whose text mentions every one of `words`.
    func expectError(_ words: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("no error; expected one mentioning \(words)", sourceLocation: sourceLocation)
        } catch let error as ParquetError {
            let text = "\(error)"
            for w in words where !text.contains(w) {
                Issue.record("error '\(text)' does not mention '\(w)'", sourceLocation: sourceLocation)
            }
            #expect(!text.contains("\n"), "multi-line error: \(text)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error type \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func badSchemas() {
        expectError(["no columns"]) { _ = try ParquetWriter(schema: []) }
        expectError(["'a'", "twice"]) { _ = try ParquetWriter(schema: [.int32("a"), .int64("a")]) }
        expectError(["empty"]) { _ = try ParquetWriter(schema: [.int32("")]) }
        expectError(["'f'", "typeLength"]) { _ = try ParquetWriter(schema: [ParquetColumnSpec(name: "f", physicalType: .fixedLenByteArray)]) }
        expectError(["'f'", "out of range"]) { _ = try ParquetWriter(schema: [.fixed("f", length: 0)]) }
        expectError(["'i'", "typeLength"]) { _ = try ParquetWriter(schema: [ParquetColumnSpec(name: "i", physicalType: .int32, typeLength: 4)]) }
        expectError(["'s'", "STRING", "INT32"]) {
            _ = try ParquetWriter(schema: [ParquetColumnSpec(name: "s", physicalType: .int32, logicalType: .string)])
        }
        expectError(["'d'", "DATE"]) { _ = try ParquetWriter(schema: [ParquetColumnSpec(name: "d", physicalType: .int64, logicalType: .date)]) }
        expectError(["'t'", "TIMESTAMP"]) {
            _ = try ParquetWriter(schema: [ParquetColumnSpec(name: "t", physicalType: .int32, logicalType: .timestamp(isAdjustedToUTC: true, unit: .millis))])
        }
        expectError(["'d'", "precision 10", "INT32"]) { _ = try ParquetWriter(schema: [.decimal("d", precision: 10, scale: 2, physicalType: .int32)]) }
        expectError(["'d'", "precision 19", "INT64"]) { _ = try ParquetWriter(schema: [.decimal("d", precision: 19, scale: 2, physicalType: .int64)]) }
        expectError(["'d'", "scale"]) { _ = try ParquetWriter(schema: [.decimal("d", precision: 5, scale: 6)]) }
        expectError(["'d'", "precision 0"]) { _ = try ParquetWriter(schema: [.decimal("d", precision: 0, scale: 0)]) }
        expectError(["'d'", "precision 10", "FIXED_LEN_BYTE_ARRAY(4)"]) {
            _ = try ParquetWriter(schema: [ParquetColumnSpec(name: "d", physicalType: .fixedLenByteArray, logicalType: .decimal(scale: 0, precision: 10), typeLength: 4)])
        }
        expectError(["'n'", "bit width 12"]) { _ = try ParquetWriter(schema: [.integer("n", bits: 12)]) }
        expectError(["'n'", "INT(64)"]) {
            _ = try ParquetWriter(schema: [ParquetColumnSpec(name: "n", physicalType: .int32, logicalType: .integer(bitWidth: 64, isSigned: true))])
        }
        expectError(["'u'", "UUID", "(8)"]) {
            _ = try ParquetWriter(schema: [ParquetColumnSpec(name: "u", physicalType: .fixedLenByteArray, logicalType: .uuid, typeLength: 8)])
        }
        expectError(["'l'", "group"]) { _ = try ParquetWriter(schema: [ParquetColumnSpec(name: "l", physicalType: .int32, logicalType: .list)]) }
        expectError(["'x'", "not supported"]) { _ = try ParquetWriter(schema: [ParquetColumnSpec(name: "x", physicalType: .int32, logicalType: .null)]) }
    }

    @Test func badOptions() {
        func options(_ change: (inout ParquetWriterOptions) -> Void) -> ParquetWriterOptions {
            var o = ParquetWriterOptions()
            change(&o)
            return o
        }
        expectError(["dataPageVersion", "3"]) { _ = try ParquetWriter(schema: [.int32("a")], options: options { $0.dataPageVersion = 3 }) }
        expectError(["rowGroupRowLimit"]) { _ = try ParquetWriter(schema: [.int32("a")], options: options { $0.rowGroupRowLimit = 0 }) }
        expectError(["dataPageSize"]) { _ = try ParquetWriter(schema: [.int32("a")], options: options { $0.dataPageSize = -1 }) }
        expectError(["dataPageRowLimit"]) { _ = try ParquetWriter(schema: [.int32("a")], options: options { $0.dataPageRowLimit = 0 }) }
        expectError(["LZO"]) { _ = try ParquetWriter(schema: [.int32("a")], options: options { $0.codec = .lzo }) }
        expectError(["GZIP", "level -5"]) { _ = try ParquetWriter(schema: [.int32("a")], options: options { $0.codec = .gzip; $0.compressionLevel = -5 }) }
    }

    @Test func badInput() throws {
        let writer = try ParquetWriter(schema: [.int32("a", nullable: false), .string("s"), .fixed("f", length: 2), .integer("b", bits: 8)])
        let s = ByteArrays(offsets: [0, 1, 2], bytes: [65, 66])
        let f = FixedByteArrays(width: 2, bytes: [1, 2, 3, 4])
        let good: [ColumnData] = [.int32([1, 2]), .byteArray(s), .fixedLenByteArray(f), .int32([-128, 127])]

        expectError(["3 columns", "schema has 4"]) { try writer.write(columns: Array(good.prefix(3)), rowCount: 2) }
        expectError(["5 columns"]) { try writer.write(columns: good + [.int32([])], rowCount: 2) }
        expectError(["2 validity entries"]) { try writer.write(columns: good, validity: [nil, nil], rowCount: 2) }
        expectError(["negative"]) { try writer.write(columns: good, rowCount: -1) }
        expectError(["'a'", "2 values for 3 rows"]) { try writer.write(columns: good, rowCount: 3) }
        expectError(["'s'", "validity has 3 entries", "rowCount is 2"]) {
            try writer.write(columns: good, validity: [nil, [true, true, false], nil, nil], rowCount: 2)
        }
        expectError(["'s'", "2 values for 1 non-null rows"]) {
            try writer.write(columns: good, validity: [nil, [true, false], nil, nil], rowCount: 2)
        }
        expectError(["'a'", "REQUIRED", "row 1"]) {
            try writer.write(columns: [.int32([1])] + good.dropFirst(), validity: [[true, false], nil, nil, nil], rowCount: 2)
        }
        expectError(["'a'", "INT32", ".int64"]) { try writer.write(columns: [.int64([1, 2])] + good.dropFirst(), rowCount: 2) }
        expectError(["'s'", "BYTE_ARRAY", ".fixedLenByteArray"]) {
            try writer.write(columns: [good[0], .fixedLenByteArray(f), good[2], good[3]], rowCount: 2)
        }
        expectError(["'f'", "3 bytes wide", "FIXED_LEN_BYTE_ARRAY(2)"]) {
            try writer.write(columns: [good[0], good[1], .fixedLenByteArray(FixedByteArrays(width: 3, bytes: [1, 2, 3, 4, 5, 6])), good[3]], rowCount: 2)
        }
        expectError(["'f'", "5 bytes"]) {
            try writer.write(columns: [good[0], good[1], .fixedLenByteArray(FixedByteArrays(width: 2, bytes: [1, 2, 3, 4, 5])), good[3]], rowCount: 2)
        }
        expectError(["'s'", "malformed"]) {
            try writer.write(columns: [good[0], .byteArray(ByteArrays(offsets: [0, 5, 2], bytes: [1, 2])), good[2], good[3]], rowCount: 2)
        }
        expectError(["'s'", "malformed"]) {
            try writer.write(columns: [good[0], .byteArray(ByteArrays(offsets: [1, 2, 2], bytes: [1, 2])), good[2], good[3]], rowCount: 2)
        }
        expectError(["'b'", "128", "out of range"]) { try writer.write(columns: Array(good.prefix(3)) + [.int32([0, 128])], rowCount: 2) }
        expectError(["'a'", "code 5", "out of range"]) {
            try writer.write(columns: [.dictionary(dictionary: .int32([1, 2]), codes: [0, 5])] + good.dropFirst(), rowCount: 2)
        }
        expectError(["'a'", "code -1"]) {
            try writer.write(columns: [.dictionary(dictionary: .int32([1, 2]), codes: [0, -1])] + good.dropFirst(), rowCount: 2)
        }
        expectError(["'a'", "INT32", ".int64"]) {
            try writer.write(columns: [.dictionary(dictionary: .int64([1, 2]), codes: [0, 1])] + good.dropFirst(), rowCount: 2)
        }
        expectError(["'a'", "dictionary"]) {
            try writer.write(columns: [.dictionary(dictionary: .dictionary(dictionary: .int32([1]), codes: [0]), codes: [0, 0])] + good.dropFirst(), rowCount: 2)
        }

        // None of that changed the writer: it still writes exactly the good rows.
        try writer.write(columns: good, rowCount: 2)
        #expect(writer.rowCount == 2)
        let bytes = try writer.finish()
        #expect(bytes.count > 12)

        // After finish, it refuses.
        expectError(["finished"]) { try writer.write(columns: good, rowCount: 2) }
        expectError(["finished"]) { _ = try writer.finish() }
    }

    @Test func logicalRanges() throws {
        expectError(["'d'", "1000", "out of range"]) {
            _ = try ParquetWriter.encode(schema: [.decimal("d", precision: 3, scale: 1)], columns: [.int32([999, 1000])])
        }
        expectError(["'d'", "-1000000000000000000"]) {
            _ = try ParquetWriter.encode(schema: [.decimal("d", precision: 18, scale: 1)], columns: [.int64([-1_000_000_000_000_000_000])])
        }
        expectError(["'u'", "-1", "out of range"]) {
            _ = try ParquetWriter.encode(schema: [.integer("u", bits: 16, signed: false)], columns: [.int32([-1])])
        }
        expectError(["'t'", "86400000"]) { _ = try ParquetWriter.encode(schema: [.time("t", unit: .millis)], columns: [.int32([86_400_000])]) }
        expectError(["'d'", "empty"]) {
            _ = try ParquetWriter.encode(schema: [.decimal("d", precision: 20, scale: 0, physicalType: .byteArray)],
                                         columns: [.byteArray(ByteArrays(offsets: [0, 1, 1], bytes: [7]))])
        }
        // Values at the limits are fine.
        _ = try ParquetWriter.encode(schema: [.decimal("d", precision: 3, scale: 1), .integer("i", bits: 8), .integer("u", bits: 32, signed: false)],
                                     columns: [.int32([-999, 999]), .int32([-128, 127]), .int32([Int32.min, -1])])
    }
}
