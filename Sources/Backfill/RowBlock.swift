import Aggregation
import Datasets
import Parquet

/// The columns a pipeline needs from one block of rows (a Parquet row group or a block of JSON lines),
/// one entry per row (nulls marked), with strings kept as dictionary codes where the file had them.
enum BlockColumn {
    /// The same text on every row (a Hive partition value).
    case constant(String)
    /// Strings by dictionary code; code -1 is null.
    case dictionary(entries: [String], codes: [Int32])
    /// UTF-8 strings by dictionary code straight from a Parquet dictionary page; code -1 is null.
    case byteDictionary(entries: ByteArrays, codes: [Int32])
    case strings([String?])
    case ints([Int64], valid: [Bool]?)
    case doubles([Double], valid: [Bool]?)
    case scalars([ScalarValue?])

    func isNull(_ row: Int) -> Bool {
        switch self {
        case .constant: return false
        case .dictionary(_, let codes), .byteDictionary(_, let codes): return codes[row] < 0
        case .strings(let s): return s[row] == nil
        case .ints(_, let valid), .doubles(_, let valid): return valid.map { !$0[row] } ?? false
        case .scalars(let s): return s[row] == nil
        }
    }

    /// The value of a row as text (for key templates).
    func text(_ row: Int) -> String? {
        switch self {
        case .constant(let s): return s
        case .dictionary(let entries, let codes): return codes[row] < 0 ? nil : entries[Int(codes[row])]
        case .byteDictionary(let entries, let codes): return codes[row] < 0 ? nil : String(decoding: entries[Int(codes[row])], as: UTF8.self)
        case .strings(let s): return s[row]
        case .ints(let v, let valid): return valid.map { $0[row] } ?? true ? String(v[row]) : nil
        case .doubles(let v, let valid): return valid.map { $0[row] } ?? true ? String(v[row]) : nil
        case .scalars(let s):
            guard let v = s[row] else { return nil }
            switch v {
            case .string(let t): return t
            case .int(let i): return String(i)
            case .double(let d): return String(d)
            case .bool(let b): return b ? "true" : "false"
            }
        }
    }

    /// The value of a row as a monoid input.
    func scalar(_ row: Int) -> ScalarValue? {
        switch self {
        case .constant(let s): return .string(s)
        case .dictionary(let entries, let codes): return codes[row] < 0 ? nil : .string(entries[Int(codes[row])])
        case .byteDictionary(let entries, let codes): return codes[row] < 0 ? nil : .string(String(decoding: entries[Int(codes[row])], as: UTF8.self))
        case .strings(let s): return s[row].map(ScalarValue.string)
        case .ints(let v, let valid): return valid.map { $0[row] } ?? true ? .int(v[row]) : nil
        case .doubles(let v, let valid): return valid.map { $0[row] } ?? true ? .double(v[row]) : nil
        case .scalars(let s): return s[row]
        }
    }
}

/// Rows of one block with the columns pipelines read.
struct RowBlock {
    var count: Int
    /// Row number within the object of the first row (Parquet), or per-row line numbers (JSON Lines).
    var firstRow: Int
    var lineNumbers: [Int]?
    /// Event time in epoch ms per row; `eventValid[i] == false` marks a row without a usable event time.
    var eventMillis: [Int64]
    var eventValid: [Bool]?
    /// Why a row's event time is unusable (only for rows marked invalid).
    var eventErrors: [Int: String]
    var columns: [String: BlockColumn]

    /// "row 17" or "line 23" for messages.
    func position(_ row: Int) -> String {
        if let lineNumbers { return "line \(lineNumbers[row])" }
        return "row \(firstRow + row)"
    }
}

/// A failure tied to one row of one object.
struct RowError: Error, CustomStringConvertible {
    var file: String
    var position: String
    var reason: String
    var description: String { "\(file), \(position): \(reason)" }
}

/// Builds row blocks from Parquet column batches.
enum ParquetBlocks {
    /// Leaf column index for a top-level (or dotted, non-repeated) column name.
    static func leaf(_ name: String, in schema: ParquetSchema) -> ColumnDescriptor? {
        schema.columns.first { $0.dottedPath == name && $0.maxRepetitionLevel == 0 }
            ?? schema.columns.first { $0.path.count == 1 && $0.path[0] == name && $0.maxRepetitionLevel == 0 }
    }

    /// Row-aligned column from a decoded leaf (nulls expanded by definition levels).
    static func column(_ c: Column) -> BlockColumn {
        let n = c.levelCount
        let maxDef = UInt16(c.descriptor.maxDefinitionLevel)
        let def = c.definitionLevels
        // Row index → value index (or -1 for null).
        func spaced<T>(_ dense: [T], fill: T) -> ([T], [Bool]?) {
            guard let def, dense.count != n else { return (dense, nil) }
            var out = [T](repeating: fill, count: n)
            var valid = [Bool](repeating: false, count: n)
            var k = 0
            for i in 0..<n where def[i] == maxDef {
                out[i] = dense[k]
                valid[i] = true
                k += 1
            }
            return (out, valid)
        }
        let kind = ValueKind(c.descriptor)
        switch c.values {
        case .dictionary(let dict, let codes):
            switch dict {
            case .byteArray(let d):
                let (spacedCodes, _) = spaced(codes, fill: -1)
                return .byteDictionary(entries: d, codes: spacedCodes)
            default:
                var plain = c
                plain.values = c.values.materialized
                return column(plain)
            }
        case .byteArray(let b):
            var out = [String?](repeating: nil, count: n)
            var k = 0
            for i in 0..<n where def == nil || def![i] == maxDef {
                out[i] = String(decoding: b[k], as: UTF8.self)
                k += 1
            }
            return .strings(out)
        case .int32(let v):
            let widened = kind == .unsigned ? v.map { Int64(UInt32(bitPattern: $0)) } : v.map(Int64.init)
            let (vals, valid) = spaced(widened, fill: 0)
            return .ints(vals, valid: valid)
        case .int64(let v):
            let (vals, valid) = spaced(v, fill: 0)
            return .ints(vals, valid: valid)
        case .float(let v):
            let (vals, valid) = spaced(v.map(Double.init), fill: 0)
            return .doubles(vals, valid: valid)
        case .double(let v):
            let (vals, valid) = spaced(v, fill: 0)
            return .doubles(vals, valid: valid)
        case .boolean(let v):
            let (vals, _) = spaced(v.map { Optional(ScalarValue.bool($0)) }, fill: nil)
            return .scalars(vals)
        case .int96(let v):
            let (vals, valid) = spaced(v.map { $0.sparkMicros }, fill: 0)
            return .ints(vals, valid: valid)
        case .fixedLenByteArray(let f):
            var out = [String?](repeating: nil, count: n)
            var k = 0
            for i in 0..<n where def == nil || def![i] == maxDef {
                out[i] = ValueFormatter.formatBytes(f.bytes, (k * f.width)..<((k + 1) * f.width), kind).plainText
                k += 1
            }
            return .strings(out)
        }
    }

    /// Event times in ms from a leaf, by its logical type (or `unit` for plain integers).
    static func eventTimes(_ c: Column, unit: JobConfig.EpochUnit, calendar: BucketCalendar) -> (millis: [Int64], valid: [Bool]?, errors: [Int: String]) {
        let kind = ValueKind(c.descriptor)
        let block = column(c)
        let n = c.levelCount
        switch block {
        case .ints(let v, let valid):
            var out = v
            switch kind {
            case .timestamp(let u, _):
                for i in 0..<n { out[i] = u == .millis ? v[i] : (u == .micros ? floorDiv(v[i], 1000) : floorDiv(v[i], 1_000_000)) }
            case .date:
                for i in 0..<n { out[i] = v[i] &* 86_400_000 }
            case .int96:
                for i in 0..<n { out[i] = floorDiv(v[i], 1000) }
            default:
                if unit != .ms { for i in 0..<n { out[i] = unit.toMillis(v[i]) } }
            }
            return (out, valid, [:])
        case .doubles(let v, let valid):
            return (v.map { unit.toMillis(Int64($0)) }, valid, [:])
        default:
            var out = [Int64](repeating: 0, count: n)
            var valid = [Bool](repeating: true, count: n)
            var errors: [Int: String] = [:]
            for i in 0..<n {
                guard let text = block.text(i) else {
                    valid[i] = false
                    errors[i] = "no event time (null \(c.descriptor.dottedPath))"
                    continue
                }
                do { out[i] = try calendar.parseTime(text) } catch {
                    valid[i] = false
                    errors[i] = "event time '\(text)' is not an RFC 3339 time"
                }
            }
            return (out, valid, errors)
        }
    }
}

@inline(__always) func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
