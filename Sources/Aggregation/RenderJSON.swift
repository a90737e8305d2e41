extension Monoid {
    /// The canonical JSON text of a partial's final value, for query output:
    /// * ints → integer; doubles → the shortest text that reads back as the same double
    ///   (`1.0`, `0.1`, `1e-07`, `1e+20`), non-finite as the strings "NaN", "Infinity",
    ///   "-Infinity"; strings → a JSON string (quote, backslash and control characters
    ///   escaped, everything else as UTF-8);
    /// * first / last → the value (bools as true/false);
    /// * distinct → the integer estimate;
    /// * topk → `[{"item": ..., "count": n}, ...]` by descending count (ties by item ascending),
    ///   at most k entries (`k` of this monoid's kind; 10 if the kind is not topk).
    public func renderJSON(_ p: PartialValue) -> String {
        var out = ""
        switch p {
        case .int(let v): out = String(v)
        case .double(let d): appendJSONDouble(d, to: &out)
        case .string(let s): appendJSONString(s, to: &out)
        case .timed(_, let v): appendJSONScalar(v, to: &out)
        case .hll(let h): out = String(h.estimate)
        case .topk(let s):
            let k: Int
            if case .topk(let kk) = kind { k = kk } else { k = 10 }
            out = "["
            var firstEntry = true
            for entry in s.top(k) {
                if !firstEntry { out += ", " }
                firstEntry = false
                out += "{\"item\": "
                appendJSONScalar(entry.item, to: &out)
                out += ", \"count\": "
                out += String(entry.count)
                out += "}"
            }
            out += "]"
        }
        return out
    }
}

func appendJSONScalar(_ v: ScalarValue, to out: inout String) {
    switch v {
    case .int(let x): out += String(x)
    case .double(let d): appendJSONDouble(d, to: &out)
    case .string(let s): appendJSONString(s, to: &out)
    case .bool(let b): out += b ? "true" : "false"
    }
}

func appendJSONDouble(_ d: Double, to out: inout String) {
    if d.isNaN {
        out += "\"NaN\""
    } else if d.isInfinite {
        out += d < 0 ? "\"-Infinity\"" : "\"Infinity\""
    } else {
        // Swift's description is the shortest round-trip form, and always valid JSON for finite
        // values ("1.0", "-0.0", "5e-324", "1e+20").
        out += d.description
    }
}

func appendJSONString(_ s: String, to out: inout String) {
    let hex: [UInt8] = Array("0123456789abcdef".utf8)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(s.utf8.count + 2)
    bytes.append(0x22)
    for b in s.utf8 {
        switch b {
        case 0x22:
            bytes.append(0x5C)
            bytes.append(0x22)
        case 0x5C:
            bytes.append(0x5C)
            bytes.append(0x5C)
        case 0x0A:
            bytes.append(0x5C)
            bytes.append(0x6E)
        case 0x0D:
            bytes.append(0x5C)
            bytes.append(0x72)
        case 0x09:
            bytes.append(0x5C)
            bytes.append(0x74)
        case 0x08:
            bytes.append(0x5C)
            bytes.append(0x62)
        case 0x0C:
            bytes.append(0x5C)
            bytes.append(0x66)
        case 0..<0x20:
            bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
        default:
            bytes.append(b)
        }
    }
    bytes.append(0x22)
    out += String(decoding: bytes, as: UTF8.self)
}
