/// How a leaf column's physical values are shown, decided once per column from its logical/converted type.
public enum ValueKind: Sendable, Equatable {
    case boolean
    case signed
    case unsigned
    case float
    case double
    case float16
    case string
    case binary
    case uuid
    case decimal(scale: Int)
    case date
    case time(TimeUnit)
    case timestamp(TimeUnit, utc: Bool)
    case int96

    public init(_ column: ColumnDescriptor) {
        let e = column.element
        let physical = column.physicalType
        if let logical = e.logicalType {
            switch logical {
            case .string, .enumType, .json:
                if physical == .byteArray || physical == .fixedLenByteArray { self = .string; return }
            case .uuid:
                if physical == .fixedLenByteArray && column.typeLength == 16 { self = .uuid; return }
            case .float16:
                if physical == .fixedLenByteArray && column.typeLength == 2 { self = .float16; return }
            case .decimal(let scale, _):
                self = .decimal(scale: Int(scale)); return
            case .date:
                if physical == .int32 { self = .date; return }
            case .time(_, let unit):
                self = .time(unit); return
            case .timestamp(let utc, let unit):
                if physical == .int64 { self = .timestamp(unit, utc: utc); return }
            case .integer(_, let isSigned):
                if physical == .int32 || physical == .int64 { self = isSigned ? .signed : .unsigned; return }
            default:
                break
            }
        }
        if let converted = e.convertedType {
            switch converted {
            case .utf8, .enumType, .json:
                if physical == .byteArray || physical == .fixedLenByteArray { self = .string; return }
            case .decimal:
                self = .decimal(scale: Int(e.scale ?? 0)); return
            case .date:
                if physical == .int32 { self = .date; return }
            case .timeMillis: self = .time(.millis); return
            case .timeMicros: self = .time(.micros); return
            case .timestampMillis: if physical == .int64 { self = .timestamp(.millis, utc: true); return }
            case .timestampMicros: if physical == .int64 { self = .timestamp(.micros, utc: true); return }
            case .uint8, .uint16, .uint32, .uint64: self = .unsigned; return
            default: break
            }
        }
        switch physical {
        case .boolean: self = .boolean
        case .int32, .int64: self = .signed
        case .int96: self = .int96
        case .float: self = .float
        case .double: self = .double
        case .byteArray, .fixedLenByteArray: self = .binary
        }
    }
}

/// Turns the physical values of a column into canonical row values.
public struct ValueFormatter: Sendable {
    public let kind: ValueKind
    public let data: ColumnData

    public init(column: Column) {
        kind = ValueKind(column.descriptor)
        data = column.values
    }

    /// The k-th non-null value.
    public func value(_ k: Int) -> RowValue {
        Self.format(data, k, kind)
    }

    static func format(_ data: ColumnData, _ k: Int, _ kind: ValueKind) -> RowValue {
        switch data {
        case .dictionary(let dict, let codes): return format(dict, Int(codes[k]), kind)
        case .boolean(let v): return .bool(v[k])
        case .int32(let v):
            let x = v[k]
            switch kind {
            case .unsigned: return .uint(UInt64(UInt32(bitPattern: x)))
            case .decimal(let scale): return .string(DecimalText.format(Int128(x), scale: scale))
            case .date: return .string(DateText.date(days: Int64(x)))
            case .time(let unit): return .string(DateText.time(Int64(x), unit: unit))
            default: return .int(Int64(x))
            }
        case .int64(let v):
            let x = v[k]
            switch kind {
            case .unsigned: return .uint(UInt64(bitPattern: x))
            case .decimal(let scale): return .string(DecimalText.format(Int128(x), scale: scale))
            case .time(let unit): return .string(DateText.time(x, unit: unit))
            case .timestamp(let unit, let utc): return DateText.timestamp(x, unit: unit, utc: utc)
            case .date: return .string(DateText.date(days: x))
            default: return .int(x)
            }
        case .int96(let v):
            return DateText.timestamp(v[k].sparkMicros, unit: .micros, utc: true)
        case .float(let v): return .float(v[k])
        case .double(let v): return .double(v[k])
        case .byteArray(let v): return formatBytes(v.bytes, v.range(k), kind)
        case .fixedLenByteArray(let v): return formatBytes(v.bytes, (k * v.width)..<((k + 1) * v.width), kind)
        }
    }

    public static func formatBytes(_ bytes: [UInt8], _ range: Range<Int>, _ kind: ValueKind) -> RowValue {
        let slice = bytes[range]
        switch kind {
        case .string: return .string(String(decoding: slice, as: UTF8.self))
        case .decimal(let scale): return .string(DecimalText.format(bigEndian: slice, scale: scale))
        case .uuid: return .string(uuidText(slice))
        case .float16:
            let bits = UInt16(slice[slice.startIndex]) | UInt16(slice[slice.startIndex + 1]) << 8
            return .float(halfToFloat(bits))
        default: return .string(Base64.encode(slice))
        }
    }

    static func uuidText(_ b: ArraySlice<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, byte) in b.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// IEEE 754 half precision to single precision.
    public static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            let value = Float(mantissa) * Float(sign == 0 ? 1 : -1) / Float(1 << 24)
            return value
        }
        if exponent == 31 {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
}

/// Standard base64 (with padding), as Spark's `to_json` prints binary.
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    public static func encode<C: Collection>(_ data: C) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity((data.count + 2) / 3 * 4)
        var it = data.makeIterator()
        while let a = it.next() {
            let b = it.next()
            let c = it.next()
            out.append(alphabet[Int(a >> 2)])
            out.append(alphabet[Int((a & 3) << 4 | (b ?? 0) >> 4)])
            out.append(b == nil ? UInt8(ascii: "=") : alphabet[Int((b! & 15) << 2 | (c ?? 0) >> 6)])
            out.append(c == nil ? UInt8(ascii: "=") : alphabet[Int(c! & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Decimal text with exactly `scale` fraction digits.
public enum DecimalText {
    public static func format(_ unscaled: Int128, scale: Int) -> String {
        let negative = unscaled < 0
        let magnitude = unscaled.magnitude
        return place(String(magnitude), negative: negative, scale: scale)
    }

    /// Formats a big-endian two's-complement unscaled integer of any width.
    public static func format(bigEndian bytes: ArraySlice<UInt8>, scale: Int) -> String {
        if bytes.isEmpty { return place("0", negative: false, scale: scale) }
        let negative = bytes[bytes.startIndex] & 0x80 != 0
        // Magnitude as big-endian bytes.
        var mag = Array(bytes)
        if negative {
            for i in mag.indices { mag[i] = ~mag[i] }
            var i = mag.count - 1
            while i >= 0 {
                let (v, o) = mag[i].addingReportingOverflow(1)
                mag[i] = v
                if !o { break }
                i -= 1
            }
        }
        // Repeated division by 10^9 over base-256 digits.
        var digits: [String] = []
        var number = mag.drop { $0 == 0 }.map { UInt32($0) }
        while !number.isEmpty {
            var remainder: UInt64 = 0
            var quotient: [UInt32] = []
            quotient.reserveCapacity(number.count)
            for d in number {
                let cur = remainder << 8 | UInt64(d)
                let q = cur / 1_000_000_000
                remainder = cur % 1_000_000_000
                if !quotient.isEmpty || q != 0 { quotient.append(UInt32(q)) }
            }
            digits.append(String(remainder))
            number = quotient
        }
        var text = ""
        for (i, chunk) in digits.reversed().enumerated() {
            text += i == 0 ? chunk : String(repeating: "0", count: 9 - chunk.count) + chunk
        }
        if text.isEmpty { text = "0" }
        return place(text, negative: negative, scale: scale)
    }

    static func place(_ digits: String, negative: Bool, scale: Int) -> String {
        var body = digits
        if scale > 0 {
            if body.count <= scale { body = String(repeating: "0", count: scale - body.count + 1) + body }
            let split = body.index(body.endIndex, offsetBy: -scale)
            body = body[..<split] + "." + body[split...]
        } else if scale < 0 && body != "0" {
            body += String(repeating: "0", count: -scale)
        }
        let isZero = digits.allSatisfy { $0 == "0" }
        return (negative && !isZero ? "-" : "") + body
    }
}

/// Calendar text for DATE, TIME and TIMESTAMP values (proleptic Gregorian, UTC).
public enum DateText {
    /// (year, month, day) for days since 1970-01-01.
    public static func civil(days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Days since 1970-01-01 for a civil date.
    public static func days(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    public static func date(days: Int64) -> String {
        let (y, m, d) = civil(days: days)
        return "\(y < 0 ? "-" + pad(-y, 4) : pad(y, 4))-\(pad(Int64(m), 2))-\(pad(Int64(d), 2))"
    }

    static func perSecond(_ unit: TimeUnit) -> Int64 {
        switch unit {
        case .millis: return 1_000
        case .micros: return 1_000_000
        case .nanos: return 1_000_000_000
        }
    }

    static func digits(_ unit: TimeUnit) -> Int {
        switch unit {
        case .millis: return 3
        case .micros: return 6
        case .nanos: return 9
        }
    }

    public static func time(_ count: Int64, unit: TimeUnit) -> String {
        let per = perSecond(unit)
        let secs = count / per
        let frac = count % per
        return "\(pad(secs / 3600, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2)).\(pad(frac, digits(unit)))"
    }

    /// A timestamp as text, or as the integer count when its year is outside 0001–9999.
    public static func timestamp(_ count: Int64, unit: TimeUnit, utc: Bool) -> RowValue {
        let per = perSecond(unit)
        var secs = count / per
        var frac = count % per
        if frac < 0 {
            frac += per
            secs -= 1
        }
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        let (y, m, d) = civil(days: days)
        guard y >= 1 && y <= 9999 else { return .int(count) }
        let text = "\(pad(y, 4))-\(pad(Int64(m), 2))-\(pad(Int64(d), 2))T\(pad(rem / 3600, 2)):\(pad(rem / 60 % 60, 2)):\(pad(rem % 60, 2)).\(pad(frac, digits(unit)))"
        return .string(utc ? text + "Z" : text)
    }
}
