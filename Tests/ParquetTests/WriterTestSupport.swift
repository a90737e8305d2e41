import Compression
import Foundation
import TestSupport
import Testing
@testable import Parquet

/// One column of test input: its spec, dense values and validity.
struct WriterTestColumn {
    var spec: ParquetColumnSpec
    var data: ColumnData
    var validity: [Bool]?
}

/// One combination of the writer round-trip matrix.
struct WriterCase: Sendable, CustomTestStringConvertible {
    var dictionary: Bool
    var pageVersion: Int
    var codec: CompressionCodec
    var nulls: Bool

    var testDescription: String {
        "\(dictionary ? "dict" : "plain") v\(pageVersion) \(codec.name) \(nulls ? "nulls" : "no-nulls")"
    }

    static var all: [WriterCase] {
        var out: [WriterCase] = []
        for dictionary in [false, true] {
            for version in [1, 2] {
                for codec in [CompressionCodec.uncompressed, .snappy, .gzip, .zstd] {
                    for nulls in [false, true] {
                        out.append(WriterCase(dictionary: dictionary, pageVersion: version, codec: codec, nulls: nulls))
                    }
                }
            }
        }
        return out
    }

    var options: ParquetWriterOptions {
        var o = ParquetWriterOptions()
        o.codec = codec
        o.dataPageVersion = pageVersion
        o.dictionary = dictionary
        return o
    }
}

// MARK: Random data

/// Random test data for every physical type and the common logical types.
enum WriterData {
    static func int128(_ rng: inout SeededRNG) -> Int128 {
        Int128(Int64(bitPattern: rng.next())) << 64 | Int128(rng.next())
    }

    /// Big-endian two's complement of `v` in exactly `width` bytes.
    static func bigEndian(_ v: Int128, width: Int) -> [UInt8] {
        (0..<width).map { k in UInt8(truncatingIfNeeded: v >> (8 * (width - 1 - k))) }
    }

    /// Minimal big-endian two's complement of `v`.
    static func minimalBigEndian(_ v: Int128) -> [UInt8] {
        var width = 16
        while width > 1 {
            let b = bigEndian(v, width: width)
            // Drop a leading byte when it only repeats the sign of the next one.
            if (b[0] == 0 && b[1] & 0x80 == 0) || (b[0] == 0xFF && b[1] & 0x80 != 0) { width -= 1 } else { break }
        }
        return bigEndian(v, width: width)
    }

    /// A value drawn from a small pool (so dictionaries have repeats) most of the time, fresh otherwise.
    static func pooled<T>(_ pool: [T], _ rng: inout SeededRNG, _ fresh: (inout SeededRNG) -> T) -> T {
        if !pool.isEmpty && rng.next() % 10 < 7 { return pool[Int(rng.next() % UInt64(pool.count))] }
        return fresh(&rng)
    }

    static func values<T>(_ n: Int, _ rng: inout SeededRNG, poolSize: Int = 40, _ fresh: (inout SeededRNG) -> T) -> [T] {
        var pool: [T] = []
        for _ in 0..<poolSize { pool.append(fresh(&rng)) }
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(pooled(pool, &rng, fresh)) }
        return out
    }

    static let specialFloats: [Float] = [.nan, -0.0, 0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -1.5]
    static let specialDoubles: [Double] = [.nan, -0.0, 0.0, .infinity, -.infinity, .leastNonzeroMagnitude, -.greatestFiniteMagnitude, 2.5]

    /// Validity with runs of nulls and scattered ones (about a third null).
    static func validity(_ n: Int, _ rng: inout SeededRNG) -> [Bool] {
        var out: [Bool] = []
        out.reserveCapacity(n)
        while out.count < n {
            if rng.next() % 50 == 0 {
                out.append(contentsOf: repeatElement(false, count: min(n - out.count, Int(rng.next() % 30) + 1)))
            } else {
                out.append(rng.next() % 6 != 0)
            }
        }
        return out
    }

    /// Every physical type plus logical-type variants. With `nulls`, columns are OPTIONAL with nulls (one of them
    /// entirely null); otherwise REQUIRED.
    static func columns(rows: Int, nulls: Bool, seed: UInt64) -> [WriterTestColumn] {
        var rng = SeededRNG(seed: seed)
        var out: [WriterTestColumn] = []
        func add(_ spec: ParquetColumnSpec, allNull: Bool = false, _ make: (Int, inout SeededRNG) -> ColumnData) {
            var spec = spec
            spec.nullable = nulls
            let validity: [Bool]? = nulls ? (allNull ? [Bool](repeating: false, count: rows) : Self.validity(rows, &rng)) : nil
            let present = validity?.reduce(0) { $0 + ($1 ? 1 : 0) } ?? rows
            out.append(WriterTestColumn(spec: spec, data: make(present, &rng), validity: validity))
        }
        add(.boolean("bool")) { n, r in .boolean(values(n, &r, poolSize: 0) { $0.next() % 3 == 0 }) }
        add(.int32("i32")) { n, r in .int32(values(n, &r) { Int32(truncatingIfNeeded: $0.next()) }) }
        add(.int64("i64")) { n, r in .int64(values(n, &r) { Int64(bitPattern: $0.next()) }) }
        add(.int96("i96")) { n, r in
            .int96(values(n, &r) { Int96(nanosOfDay: $0.next() % 86_400_000_000_000, julianDay: UInt32(2_440_588 - 20_000 + Int($0.next() % 40_000))) })
        }
        add(.float("f32")) { n, r in
            .float(values(n, &r) { g in g.next() % 5 == 0 ? specialFloats[Int(g.next() % 8)] : Float(Int64(bitPattern: g.next()) % 2_000_000) / 64 })
        }
        add(.double("f64")) { n, r in
            .double(values(n, &r) { g in g.next() % 5 == 0 ? specialDoubles[Int(g.next() % 8)] : Double(Int64(bitPattern: g.next())) / 1e9 })
        }
        add(.binary("bin")) { n, r in
            var b = ByteArrays()
            for v in values(n, &r, { g in (0..<Int(g.next() % 12)).map { _ in UInt8(truncatingIfNeeded: g.next()) } }) { b.append(v) }
            return .byteArray(b)
        }
        add(.string("str")) { n, r in
            let words = ["", "a", "ab", "b", "Zürich", "日本", "z", "é", "emoji 🎉", "tab\tquote\"back\\slash"]
            var b = ByteArrays()
            for v in values(n, &r, { g in words[Int(g.next() % UInt64(words.count))] + String(g.next() % 1000) }) { b.append(Array(v.utf8)) }
            return .byteArray(b)
        }
        add(.fixed("flba5", length: 5)) { n, r in
            var f = FixedByteArrays(width: 5)
            for v in values(n, &r, { g in (0..<5).map { _ in UInt8(truncatingIfNeeded: g.next()) } }) { f.bytes += v }
            return .fixedLenByteArray(f)
        }
        add(.integer("u32", bits: 32, signed: false)) { n, r in .int32(values(n, &r) { Int32(truncatingIfNeeded: $0.next()) }) }
        add(.integer("u64", bits: 64, signed: false)) { n, r in .int64(values(n, &r) { Int64(bitPattern: $0.next()) }) }
        add(.integer("i8", bits: 8)) { n, r in .int32(values(n, &r) { Int32(Int8(truncatingIfNeeded: $0.next())) }) }
        add(.integer("u16", bits: 16, signed: false)) { n, r in .int32(values(n, &r) { Int32(UInt16(truncatingIfNeeded: $0.next())) }) }
        add(.date("date")) { n, r in .int32(values(n, &r) { Int32($0.next() % 40_000) - 5_000 }) }
        add(.timestamp("ts_ms", unit: .millis, utc: true)) { n, r in .int64(values(n, &r) { Int64($0.next() % 4_000_000_000_000) }) }
        add(.timestamp("ts_us_local", unit: .micros, utc: false)) { n, r in .int64(values(n, &r) { Int64($0.next() % 4_000_000_000_000_000) - 10_000_000_000 }) }
        add(.timestamp("ts_ns", unit: .nanos, utc: true)) { n, r in .int64(values(n, &r) { Int64($0.next() % 4_000_000_000_000_000_000) }) }
        add(.time("time_ms", unit: .millis)) { n, r in .int32(values(n, &r) { Int32($0.next() % 86_400_000) }) }
        add(.time("time_us", unit: .micros)) { n, r in .int64(values(n, &r) { Int64($0.next() % 86_400_000_000) }) }
        add(.decimal("dec32", precision: 9, scale: 2)) { n, r in .int32(values(n, &r) { Int32(Int64($0.next() % 1_999_999_999) - 999_999_999) }) }
        add(.decimal("dec64", precision: 18, scale: 6)) { n, r in
            .int64(values(n, &r) { Int64($0.next() % 1_999_999_999_999_999_999) - 999_999_999_999_999_999 })
        }
        add(.decimal("dec_flba", precision: 20, scale: 3)) { n, r in
            var f = FixedByteArrays(width: 9)
            let limit: Int128 = 100_000_000_000_000_000_000
            for v in values(n, &r, { g in int128(&g) % limit }) { f.bytes += bigEndian(v, width: 9) }
            return .fixedLenByteArray(f)
        }
        add(.decimal("dec_bin", precision: 30, scale: 0, physicalType: .byteArray)) { n, r in
            var b = ByteArrays()
            let limit: Int128 = 1_000_000_000_000_000_000_000_000_000_000
            for v in values(n, &r, { g in g.next() % 2 == 0 ? int128(&g) % limit : Int128(Int16(truncatingIfNeeded: g.next())) }) {
                b.append(minimalBigEndian(v))
            }
            return .byteArray(b)
        }
        add(.float16("f16")) { n, r in
            var f = FixedByteArrays(width: 2)
            let special: [UInt16] = [0x7E00, 0x8000, 0x0000, 0x7C00, 0xFC00, 0x3C00, 0xBC00, 0x0001]
            for v in values(n, &r, { g in g.next() % 4 == 0 ? special[Int(g.next() % 8)] : UInt16(truncatingIfNeeded: g.next()) & 0xFBFF }) {
                f.bytes += [UInt8(truncatingIfNeeded: v), UInt8(v >> 8)]
            }
            return .fixedLenByteArray(f)
        }
        add(.uuid("uuid")) { n, r in
            var f = FixedByteArrays(width: 16)
            for _ in 0..<n { f.bytes += (0..<16).map { _ in UInt8(truncatingIfNeeded: r.next()) } }
            return .fixedLenByteArray(f)
        }
        if nulls {
            add(.int64("all_null"), allNull: true) { n, _ in .int64([Int64](repeating: 0, count: n)) }
            add(.string("all_null_str"), allNull: true) { _, _ in .byteArray(ByteArrays()) }
        }
        return out
    }
}

// MARK: Reading back

/// Resolves dictionary-encoded data to plain values.
func writerPlain(_ data: ColumnData) -> ColumnData {
    guard case .dictionary(let dictionary, let codes) = data else { return data }
    switch dictionary {
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
        for c in codes { out.bytes += d[Int(c)] }
        return .fixedLenByteArray(out)
    case .dictionary: fatalError("nested dictionary")
    }
}

/// Each value's bytes (little-endian numbers, float bit patterns, raw byte strings): compares NaNs and -0.0 exactly.
func writerValueBytes(_ data: ColumnData) -> [[UInt8]] {
    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    switch writerPlain(data) {
    case .boolean(let v): return v.map { [$0 ? 1 : 0] }
    case .int32(let v): return v.map(le)
    case .int64(let v): return v.map(le)
    case .int96(let v): return v.map { le($0.nanosOfDay) + le($0.julianDay) }
    case .float(let v): return v.map { le($0.bitPattern) }
    case .double(let v): return v.map { le($0.bitPattern) }
    case .byteArray(let v): return (0..<v.count).map { Array(v[$0]) }
    case .fixedLenByteArray(let v): return (0..<v.count).map { Array(v[$0]) }
    case .dictionary: fatalError("unreachable")
    }
}

/// A whole file read back: per column, the values and validity of every row, in order.
struct WriterReadBack {
    var reader: ParquetFileReader
    var values: [[[UInt8]]]
    var validity: [[Bool]]
    /// Per row group, per column: the column as read.
    var groups: [[Column]]
}

func writerReadBack(_ bytes: [UInt8], verifyChecksums: Bool = true) async throws -> WriterReadBack {
    let reader = try await ParquetFileReader.open(MemorySource(name: "written.parquet", bytes: bytes), options: ReadOptions(verifyChecksums: verifyChecksums))
    let n = reader.schema.columns.count
    var values = [[[UInt8]]](repeating: [], count: n)
    var validity = [[Bool]](repeating: [], count: n)
    var groups: [[Column]] = []
    for g in reader.metadata.rowGroups.indices {
        let batch = try await reader.readRowGroup(g)
        groups.append(batch.columns)
        for (c, column) in batch.columns.enumerated() {
            values[c] += writerValueBytes(column.values)
            validity[c] += column.validity ?? [Bool](repeating: true, count: column.levelCount)
        }
    }
    return WriterReadBack(reader: reader, values: values, validity: validity, groups: groups)
}

/// The page headers of one column chunk, walked from its first page.
func writerPageHeaders(_ file: [UInt8], _ meta: ColumnMetaData) throws -> [PageHeader] {
    var position = Int(meta.dictionaryPageOffset ?? meta.dataPageOffset)
    let end = position + Int(meta.totalCompressedSize)
    var headers: [PageHeader] = []
    while position < end {
        let (header, length) = try file.withUnsafeBytes { try PageHeader.decode(UnsafeRawBufferPointer(rebasing: $0[position..<end])) }
        headers.append(header)
        position += length + Int(header.compressedPageSize)
    }
    #expect(position == end, "pages overrun the chunk: \(position) vs \(end)")
    return headers
}

// MARK: Reference statistics

/// The min and max a column's statistics must hold, computed independently of the writer: by sorting.
func writerExpectedMinMax(_ spec: ParquetColumnSpec, _ data: ColumnData) -> (min: [UInt8], max: [UInt8])? {
    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    func decimalValue(_ b: ArraySlice<UInt8>) -> Int128 {
        var v: Int128 = b.first.map { $0 & 0x80 != 0 ? -1 : 0 } ?? 0
        for x in b { v = v << 8 | Int128(x) }
        return v
    }
    let unsigned: Bool
    if case .integer(_, let signed)? = spec.logicalType { unsigned = !signed } else { unsigned = false }
    var isDecimal = false
    if case .decimal? = spec.logicalType { isDecimal = true }
    switch writerPlain(data) {
    case .boolean(let v):
        guard let lo = v.min(by: { !$0 && $1 }), let hi = v.max(by: { !$0 && $1 }) else { return nil }
        return ([lo ? 1 : 0], [hi ? 1 : 0])
    case .int32(let v):
        if unsigned {
            let u = v.map { UInt32(bitPattern: $0) }
            guard let lo = u.min(), let hi = u.max() else { return nil }
            return (le(lo), le(hi))
        }
        guard let lo = v.min(), let hi = v.max() else { return nil }
        return (le(lo), le(hi))
    case .int64(let v):
        if unsigned {
            let u = v.map { UInt64(bitPattern: $0) }
            guard let lo = u.min(), let hi = u.max() else { return nil }
            return (le(lo), le(hi))
        }
        guard let lo = v.min(), let hi = v.max() else { return nil }
        return (le(lo), le(hi))
    case .int96:
        return nil
    case .float(let v):
        let ordered = v.filter { !$0.isNaN }
        guard var lo = ordered.min(), var hi = ordered.max() else { return nil }
        if lo == 0 { lo = -0.0 }
        if hi == 0 { hi = 0.0 }
        return (le(lo.bitPattern), le(hi.bitPattern))
    case .double(let v):
        let ordered = v.filter { !$0.isNaN }
        guard var lo = ordered.min(), var hi = ordered.max() else { return nil }
        if lo == 0 { lo = -0.0 }
        if hi == 0 { hi = 0.0 }
        return (le(lo.bitPattern), le(hi.bitPattern))
    case .byteArray(let v):
        let items = (0..<v.count).map { v[$0] }
        if isDecimal {
            guard let lo = items.min(by: { decimalValue($0) < decimalValue($1) }),
                  let hi = items.max(by: { decimalValue($0) < decimalValue($1) }) else { return nil }
            return (Array(lo), Array(hi))
        }
        guard let lo = items.min(by: { $0.lexicographicallyPrecedes($1) }),
              let hi = items.max(by: { $0.lexicographicallyPrecedes($1) }) else { return nil }
        return (Array(lo), Array(hi))
    case .fixedLenByteArray(let v):
        let items = (0..<v.count).map { v[$0] }
        if spec.logicalType == .float16 {
            func f(_ b: ArraySlice<UInt8>) -> Float { ValueFormatter.halfToFloat(UInt16(b[b.startIndex]) | UInt16(b[b.startIndex + 1]) << 8) }
            let ordered = items.filter { !f($0).isNaN }
            guard let lo = ordered.min(by: { f($0) < f($1) }), let hi = ordered.max(by: { f($0) < f($1) }) else { return nil }
            return (f(lo) == 0 ? [0x00, 0x80] : Array(lo), f(hi) == 0 ? [0x00, 0x00] : Array(hi))
        }
        if isDecimal {
            guard let lo = items.min(by: { decimalValue($0) < decimalValue($1) }),
                  let hi = items.max(by: { decimalValue($0) < decimalValue($1) }) else { return nil }
            return (Array(lo), Array(hi))
        }
        guard let lo = items.min(by: { $0.lexicographicallyPrecedes($1) }),
              let hi = items.max(by: { $0.lexicographicallyPrecedes($1) }) else { return nil }
        return (Array(lo), Array(hi))
    case .dictionary:
        return nil
    }
}

/// Values `range` of plain data.
func writerSlice(_ data: ColumnData, _ range: Range<Int>) -> ColumnData {
    switch writerPlain(data) {
    case .boolean(let v): return .boolean(Array(v[range]))
    case .int32(let v): return .int32(Array(v[range]))
    case .int64(let v): return .int64(Array(v[range]))
    case .int96(let v): return .int96(Array(v[range]))
    case .float(let v): return .float(Array(v[range]))
    case .double(let v): return .double(Array(v[range]))
    case .byteArray(let v):
        var out = ByteArrays()
        for i in range { out.append(v[i]) }
        return .byteArray(out)
    case .fixedLenByteArray(let v):
        return .fixedLenByteArray(FixedByteArrays(width: v.width, bytes: Array(v.bytes[(range.lowerBound * v.width)..<(range.upperBound * v.width)])))
    case .dictionary: fatalError("unreachable")
    }
}

/// Writes `columns` in one call.
func writerEncode(_ columns: [WriterTestColumn], rows: Int, options: ParquetWriterOptions) throws -> [UInt8] {
    try ParquetWriter.encode(schema: columns.map(\.spec), columns: columns.map(\.data), validity: columns.map(\.validity),
                             rowCount: rows, options: options)
}

/// A fresh temporary directory.
func writerTempDirectory(_ label: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("backfill-writer-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// Whether two lists of JSON lines hold the same values (by `jsonEqual`).
func writerSameJSON(_ a: [String], _ b: [String]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { x, y in
        guard let u = parseJSON(x), let v = parseJSON(y) else { return false }
        return jsonEqual(u, v)
    }
}
