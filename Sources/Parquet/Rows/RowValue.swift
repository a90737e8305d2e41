/// A value of one row, as `backfill cat` prints it (the rules of CANONICAL_JSON.md).
public indirect enum RowValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case float(Float)
    case double(Double)
    case string(String)
    case array([RowValue])
    case object([(String, RowValue)])

    public static func == (a: RowValue, b: RowValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.uint(let x), .uint(let y)): return x == y
        case (.float(let x), .float(let y)): return x == y || (x.isNaN && y.isNaN)
        case (.double(let x), .double(let y)): return x == y || (x.isNaN && y.isNaN)
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// Canonical JSON text.
    public var json: String {
        var out = ""
        writeJSON(to: &out)
        return out
    }

    public func writeJSON(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .uint(let u): out += String(u)
        case .float(let f): out += RowValue.floatText(f)
        case .double(let d): out += RowValue.doubleText(d)
        case .string(let s): RowValue.writeJSONString(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                item.writeJSON(to: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (i, (name, value)) in fields.enumerated() {
                if i > 0 { out += ", " }
                RowValue.writeJSONString(name, to: &out)
                out += ": "
                value.writeJSON(to: &out)
            }
            out += "}"
        }
    }

    /// Text for CSV and table cells: strings unquoted, nested values as JSON, null as empty.
    public var plainText: String {
        switch self {
        case .null: return ""
        case .string(let s): return s
        case .float(let f): return f.isFinite ? RowValue.floatText(f) : RowValue.nonFiniteName(Double(f))
        case .double(let d): return d.isFinite ? RowValue.doubleText(d) : RowValue.nonFiniteName(d)
        default: return json
        }
    }

    static func nonFiniteName(_ d: Double) -> String { d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity") }

    /// Shortest text that reads back as the same 32-bit float; non-finite values as JSON strings.
    public static func floatText(_ f: Float) -> String {
        if !f.isFinite { return "\"\(nonFiniteName(Double(f)))\"" }
        return numberText(f.description)
    }

    /// Shortest round-trip text for a double; non-finite values as JSON strings.
    public static func doubleText(_ d: Double) -> String {
        if !d.isFinite { return "\"\(nonFiniteName(d))\"" }
        return numberText(d.description)
    }

    /// Swift prints `1e-05` and `5e+20`, which JSON accepts; keep as is.
    private static func numberText(_ s: String) -> String { s }

    /// Writes `s` as a JSON string literal (UTF-8 kept, control characters escaped).
    public static func writeJSONString(_ s: String, to out: inout String) {
        out += "\""
        var needsEscape = false
        for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
            needsEscape = true
            break
        }
        if !needsEscape {
            out += s
        } else {
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{08}": out += "\\b"
                case "\u{0C}": out += "\\f"
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        out += "\""
    }
}
