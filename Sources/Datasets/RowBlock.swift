import Aggregation
import Parquet

/// The columns a pipeline needs from one block of rows (a Parquet row group or a block of JSON lines),
/// one entry per row (nulls marked), with strings kept as dictionary codes where the file had them.
public enum BlockColumn: Sendable {
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

    public func isNull(_ row: Int) -> Bool {
        switch self {
        case .constant: return false
        case .dictionary(_, let codes), .byteDictionary(_, let codes): return codes[row] < 0
        case .strings(let s): return s[row] == nil
        case .ints(_, let valid), .doubles(_, let valid): return valid.map { !$0[row] } ?? false
        case .scalars(let s): return s[row] == nil
        }
    }

    /// The value of a row as text (for key templates).
    public func text(_ row: Int) -> String? {
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
    public func scalar(_ row: Int) -> ScalarValue? {
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
public struct RowBlock: Sendable {
    public var count: Int
    /// Row number within the object of the first row (Parquet), or per-row line numbers (JSON Lines).
    public var firstRow: Int
    public var lineNumbers: [Int]?
    /// Event time in epoch ms per row; `eventValid[i] == false` marks a row without a usable event time.
    public var eventMillis: [Int64]
    public var eventValid: [Bool]?
    /// Why a row's event time is unusable (only for rows marked invalid).
    public var eventErrors: [Int: String]
    public var columns: [String: BlockColumn]
    /// Records of the object met with this block that are not rows at all (a JSON line that is not an object).
    public var rejected: [RejectedRecord]

    public init(count: Int, firstRow: Int, lineNumbers: [Int]?, eventMillis: [Int64], eventValid: [Bool]?,
                eventErrors: [Int: String], columns: [String: BlockColumn], rejected: [RejectedRecord] = []) {
        self.count = count
        self.firstRow = firstRow
        self.lineNumbers = lineNumbers
        self.eventMillis = eventMillis
        self.eventValid = eventValid
        self.eventErrors = eventErrors
        self.columns = columns
        self.rejected = rejected
    }

    /// "row 17" or "line 23" for messages.
    public func position(_ row: Int) -> String {
        if let lineNumbers { return "line \(lineNumbers[row])" }
        return "row \(firstRow + row)"
    }
}

/// A record that could not be read as a row: where it is ("line 12"), why, and its text when known.
public struct RejectedRecord: Sendable, Equatable {
    public var position: String
    public var reason: String
    public var text: String?

    public init(position: String, reason: String, text: String?) {
        self.position = position
        self.reason = reason
        self.text = text
    }
}

/// A failure tied to one row of one object.
public struct RowError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var position: String
    public var reason: String

    public init(file: String, position: String, reason: String) {
        self.file = file
        self.position = position
        self.reason = reason
    }

    public var description: String { "\(file), \(position): \(reason)" }
}
