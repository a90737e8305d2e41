// A byte-level JSON scanner for one line: validates the whole object, builds
// values only for the requested fields and skips the rest.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

struct LineError: Error {
    let message: String
}

/// The requested field paths as a trie over key bytes, flattened into arrays.
/// Immutable after `init`.
final class FieldMatcher: @unchecked Sendable {
    // Safety: every stored property is immutable after init; the buffers are
    // only read afterwards and freed in deinit.
    struct Entry {
        var nameStart: Int32
        var nameLength: Int32
        /// The slot receiving this key's value, or -1 when only deeper paths are wanted.
        var slot: Int32
        /// The node of the nested object's keys, or -1 when no deeper path is wanted.
        var child: Int32
    }

    /// Distinct paths; `fieldSlots[i]` is the slot of `fields[i]`.
    let slotCount: Int
    let fieldSlots: [Int]
    private let entries: UnsafeMutablePointer<Entry>
    /// Node k's entries are `nodeStart[k]..<nodeStart[k + 1]`; node 0 is the top level.
    private let nodeStart: UnsafeMutablePointer<Int32>
    private let names: UnsafeMutablePointer<UInt8>
    let nodeCount: Int

    private final class Building {
        var children: [(name: [UInt8], node: Building)] = []
        var slot = -1
    }

    init(_ fields: [String]) {
        let root = Building()
        var slotOfPath: [String: Int] = [:]
        var fieldSlots: [Int] = []
        for field in fields {
            let slot: Int
            if let s = slotOfPath[field] {
                slot = s
            } else {
                slot = slotOfPath.count
                slotOfPath[field] = slot
                var node = root
                for component in field.split(separator: ".", omittingEmptySubsequences: false) {
                    let name = Array(component.utf8)
                    if let existing = node.children.first(where: { $0.name == name }) {
                        node = existing.node
                    } else {
                        let child = Building()
                        node.children.append((name, child))
                        node = child
                    }
                }
                node.slot = slot
            }
            fieldSlots.append(slot)
        }
        slotCount = slotOfPath.count
        self.fieldSlots = fieldSlots

        // Number the nodes that have children, breadth first; root is 0.
        var order: [Building] = [root]
        var index: [ObjectIdentifier: Int] = [ObjectIdentifier(root): 0]
        var k = 0
        while k < order.count {
            for (_, child) in order[k].children where !child.children.isEmpty {
                index[ObjectIdentifier(child)] = order.count
                order.append(child)
            }
            k += 1
        }
        nodeCount = order.count
        var flatEntries: [Entry] = []
        var starts: [Int32] = []
        var nameBytes: [UInt8] = []
        for node in order {
            starts.append(Int32(flatEntries.count))
            for (name, child) in node.children {
                flatEntries.append(Entry(
                    nameStart: Int32(nameBytes.count), nameLength: Int32(name.count), slot: Int32(child.slot),
                    child: Int32(index[ObjectIdentifier(child)] ?? -1)))
                nameBytes += name
            }
        }
        starts.append(Int32(flatEntries.count))
        entries = .allocate(capacity: max(1, flatEntries.count))
        entries.initialize(from: flatEntries, count: flatEntries.count)
        nodeStart = .allocate(capacity: starts.count)
        nodeStart.initialize(from: starts, count: starts.count)
        names = .allocate(capacity: max(1, nameBytes.count))
        names.initialize(from: nameBytes, count: nameBytes.count)
    }

    deinit {
        entries.deallocate()
        nodeStart.deallocate()
        names.deallocate()
    }

    /// The entry for `key` in `node`, if requested.
    @inline(__always)
    func lookup(node: Int, key: UnsafePointer<UInt8>, length: Int) -> Entry? {
        var e = Int(nodeStart[node])
        let stop = Int(nodeStart[node + 1])
        while e < stop {
            let entry = entries[e]
            if Int(entry.nameLength) == length
                && (length == 0 || memcmp(names + Int(entry.nameStart), key, length) == 0)
            {
                return entry
            }
            e += 1
        }
        return nil
    }
}

private let maxDepth = 512

/// Parses one line (without terminator) as a JSON object.
struct LineParser {
    let p: UnsafePointer<UInt8>
    let n: Int
    var i = 0
    let matcher: FieldMatcher

    init(_ p: UnsafePointer<UInt8>, count: Int, matcher: FieldMatcher) {
        self.p = p
        self.n = count
        self.matcher = matcher
    }

    mutating func parseLine(into row: inout [JSONScalar]) throws(LineError) {
        skipSpace()
        guard i < n else { throw LineError(message: "blank line") }
        guard p[i] == UInt8(ascii: "{") else {
            let kind: String
            switch p[i] {
            case UInt8(ascii: "["): kind = "an array"
            case UInt8(ascii: "\""): kind = "a string"
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): kind = "a number"
            case UInt8(ascii: "t"), UInt8(ascii: "f"): kind = "a boolean"
            case UInt8(ascii: "n"): kind = "null"
            default: throw unexpected(expected: "'{' starting a JSON object")
            }
            throw LineError(message: "not a JSON object: the line holds \(kind) (at byte \(i + 1))")
        }
        try parseObject(node: 0, depth: 1, row: &row)
        skipSpace()
        if i < n {
            throw LineError(message: "unexpected \(Self.describe(p[i])) at byte \(i + 1) of the line "
                + "(trailing characters after the JSON object)")
        }
    }

    // MARK: Errors

    static func describe(_ b: UInt8) -> String {
        if b >= 0x21 && b < 0x7F { return "character '\(Character(Unicode.Scalar(b)))'" }
        if b == 0x20 { return "space" }
        let hex = String(b, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }

    func unexpected(expected: String) -> LineError {
        if i >= n {
            return LineError(message: "unexpected end of line at byte \(n + 1) (expected \(expected))")
        }
        return LineError(message: "unexpected \(Self.describe(p[i])) at byte \(i + 1) of the line (expected \(expected))")
    }

    // MARK: Structure

    @inline(__always)
    mutating func skipSpace() {
        while i < n {
            let c = p[i]
            if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A { i += 1 } else { return }
        }
    }

    /// `p[i]` is `{`. `node` is the matcher node of this object's keys, or -1 to only validate.
    mutating func parseObject(node: Int, depth: Int, row: inout [JSONScalar]) throws(LineError) {
        if depth > maxDepth {
            throw LineError(message: "nesting deeper than \(maxDepth) levels at byte \(i + 1)")
        }
        i += 1
        skipSpace()
        if i < n && p[i] == UInt8(ascii: "}") {
            i += 1
            return
        }
        while true {
            guard i < n && p[i] == UInt8(ascii: "\"") else {
                throw unexpected(expected: "'\"' starting a key")
            }
            let key = try scanString()
            var entry: FieldMatcher.Entry?
            if node >= 0 {
                if key.escaped {
                    let decoded = decode(key)
                    entry = decoded.withUnsafeBufferPointer {
                        matcher.lookup(node: node, key: $0.baseAddress ?? p, length: $0.count)
                    }
                } else {
                    entry = matcher.lookup(node: node, key: p + key.start, length: key.end - key.start)
                }
            }
            skipSpace()
            guard i < n && p[i] == UInt8(ascii: ":") else { throw unexpected(expected: "':' after a key") }
            i += 1
            skipSpace()
            if let entry {
                if entry.child >= 0 && i < n && p[i] == UInt8(ascii: "{") {
                    let valueStart = i
                    try parseObject(node: Int(entry.child), depth: depth + 1, row: &row)
                    if entry.slot >= 0 { row[Int(entry.slot)] = .other(text(valueStart, i)) }
                } else if entry.slot >= 0 {
                    row[Int(entry.slot)] = try parseValue(depth: depth)
                } else {
                    try skipValue(depth: depth)
                }
            } else {
                try skipValue(depth: depth)
            }
            skipSpace()
            guard i < n else { throw unexpected(expected: "',' or '}'") }
            let c = p[i]
            i += 1
            if c == UInt8(ascii: ",") {
                skipSpace()
                continue
            }
            if c == UInt8(ascii: "}") { return }
            i -= 1
            throw unexpected(expected: "',' or '}'")
        }
    }

    /// `p[i]` is `[`.
    mutating func skipArray(depth: Int) throws(LineError) {
        if depth > maxDepth {
            throw LineError(message: "nesting deeper than \(maxDepth) levels at byte \(i + 1)")
        }
        i += 1
        skipSpace()
        if i < n && p[i] == UInt8(ascii: "]") {
            i += 1
            return
        }
        while true {
            try skipValue(depth: depth)
            skipSpace()
            guard i < n else { throw unexpected(expected: "',' or ']'") }
            let c = p[i]
            i += 1
            if c == UInt8(ascii: ",") {
                skipSpace()
                continue
            }
            if c == UInt8(ascii: "]") { return }
            i -= 1
            throw unexpected(expected: "',' or ']'")
        }
    }

    /// Validates one value (of a container at `depth`) without building it.
    mutating func skipValue(depth: Int) throws(LineError) {
        guard i < n else { throw unexpected(expected: "a value") }
        switch p[i] {
        case UInt8(ascii: "\""): _ = try scanString()
        case UInt8(ascii: "{"):
            var none: [JSONScalar] = []
            try parseObject(node: -1, depth: depth + 1, row: &none)
        case UInt8(ascii: "["): try skipArray(depth: depth + 1)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try number(build: false)
        default: throw unexpected(expected: "a value")
        }
    }

    /// Parses and builds one value.
    mutating func parseValue(depth: Int) throws(LineError) -> JSONScalar {
        guard i < n else { throw unexpected(expected: "a value") }
        switch p[i] {
        case UInt8(ascii: "\""):
            let s = try scanString()
            if !s.escaped {
                return .string(String(decoding: UnsafeBufferPointer(start: p + s.start, count: s.end - s.start),
                                      as: UTF8.self))
            }
            return .string(decode(s).withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) })
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let valueStart = i
            try skipValue(depth: depth)
            return .other(text(valueStart, i))
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try number(build: true)
        default:
            throw unexpected(expected: "a value")
        }
    }

    func text(_ from: Int, _ to: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: p + from, count: to - from), as: UTF8.self)
    }

    mutating func literal(_ word: StaticString) throws(LineError) {
        let w = word.utf8Start
        let count = word.utf8CodeUnitCount
        var k = 0
        while k < count {
            guard i + k < n && p[i + k] == w[k] else {
                let start = i
                i += k
                if i >= n {
                    throw LineError(message: "unexpected end of line at byte \(n + 1) "
                        + "(expected '\(word)' starting at byte \(start + 1))")
                }
                throw unexpected(expected: "'\(word)' starting at byte \(start + 1)")
            }
            k += 1
        }
        i += count
    }

    // MARK: Numbers

    private static let exactPowers: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    @inline(__always)
    func isDigit(_ k: Int) -> Bool { k < n && p[k] &- 0x30 < 10 }

    /// Validates a number at `i` (RFC 8259 grammar) and, when `build`, converts it.
    mutating func number(build: Bool) throws(LineError) -> JSONScalar {
        let start = i
        var negative = false
        if p[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard isDigit(i) else { throw unexpected(expected: "a digit") }
        var mantissa: UInt64 = 0
        var digits = 0  // significant digits accumulated into mantissa
        var dropped = 0  // integer digits that did not fit
        var overflow = false
        if p[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) {
                throw LineError(message: "invalid number at byte \(start + 1): leading zeros are not allowed")
            }
        } else {
            while isDigit(i) {
                let d = UInt64(p[i] &- 0x30)
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ d
                    if mantissa != 0 { digits += 1 }
                } else {
                    overflow = true
                    dropped += 1
                }
                i += 1
            }
        }
        var isInteger = true
        var exponent = dropped
        if i < n && p[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard isDigit(i) else { throw unexpected(expected: "a digit after the decimal point") }
            while isDigit(i) {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(p[i] &- 0x30)
                    if mantissa != 0 { digits += 1 }
                    exponent -= 1
                } else {
                    overflow = true
                }
                i += 1
            }
        }
        if i < n && (p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
            isInteger = false
            i += 1
            var expNegative = false
            if i < n && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) {
                expNegative = p[i] == UInt8(ascii: "-")
                i += 1
            }
            guard isDigit(i) else { throw unexpected(expected: "a digit in the exponent") }
            var e = 0
            while isDigit(i) {
                if e < 100_000 { e = e * 10 + Int(p[i] &- 0x30) }
                i += 1
            }
            exponent += expNegative ? -e : e
        }
        guard build else { return .null }
        if isInteger && !overflow {
            if negative {
                if mantissa <= UInt64(Int64.max) { return .int(-Int64(mantissa)) }
                if mantissa == UInt64(Int64.max) + 1 { return .int(Int64.min) }
            } else if mantissa <= UInt64(Int64.max) {
                return .int(Int64(mantissa))
            }
        }
        // Exact fast path: the mantissa and the power of ten are both exact doubles.
        if !overflow && mantissa <= (1 << 53) && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            value = exponent < 0 ? value / Self.exactPowers[-exponent] : value * Self.exactPowers[exponent]
            return .double(negative ? -value : value)
        }
        return .double(slowDouble(start, i))
    }

    /// Correctly rounded conversion through strtod.
    func slowDouble(_ from: Int, _ to: Int) -> Double {
        let count = to - from
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buf in
            for k in 0..<count { buf[k] = CChar(bitPattern: p[from + k]) }
            buf[count] = 0
            return strtod(buf.baseAddress!, nil)
        }
    }

    // MARK: Strings

    struct StringSpan {
        /// Content bytes, without the quotes.
        var start: Int
        var end: Int
        var escaped: Bool
    }

    /// `p[i]` is `"`. Validates the string (escapes, control characters, UTF-8)
    /// and moves past its closing quote.
    mutating func scanString() throws(LineError) -> StringSpan {
        let open = i
        i += 1
        let contentStart = i
        var escaped = false
        while true {
            // Eight clean bytes at a time.
            while i + 8 <= n {
                let word = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                let high: UInt64 = 0x8080_8080_8080_8080
                let ones: UInt64 = 0x0101_0101_0101_0101
                let quote = word ^ (0x22 &* ones)
                let backslash = word ^ (0x5C &* ones)
                let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
                    | ((word &- 0x20 &* ones) & ~word) | word
                if special & high != 0 { break }
                i += 8
            }
            guard i < n else {
                throw LineError(message: "unterminated string starting at byte \(open + 1)")
            }
            let c = p[i]
            if c >= 0x20 && c < 0x80 && c != 0x22 && c != 0x5C {
                i += 1
                continue
            }
            if c == 0x22 {
                i += 1
                return StringSpan(start: contentStart, end: i - 1, escaped: escaped)
            }
            if c == 0x5C {
                escaped = true
                guard i + 1 < n else {
                    throw LineError(message: "unterminated string starting at byte \(open + 1)")
                }
                switch p[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    guard hex4(i + 2) != nil else {
                        throw LineError(message: "invalid \\u escape at byte \(i + 1): expected four hex digits")
                    }
                    i += 6
                default:
                    throw LineError(message: "invalid escape '\\\(Self.printable(p[i + 1]))' at byte \(i + 1)")
                }
                continue
            }
            if c < 0x20 {
                throw LineError(message: "unescaped control character \(Self.describe(c)) in a string at byte \(i + 1)")
            }
            i += try utf8Sequence(i)
        }
    }

    static func printable(_ b: UInt8) -> String {
        b >= 0x20 && b < 0x7F ? String(Character(Unicode.Scalar(b))) : "\\x" + String(b, radix: 16)
    }

    /// The length of the valid UTF-8 sequence at `k` (lead byte >= 0x80).
    @inline(__always)
    func utf8Sequence(_ k: Int) throws(LineError) -> Int {
        let c = p[k]
        func cont(_ j: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            j < n && p[j] >= low && p[j] <= high
        }
        let ok: Bool
        let length: Int
        switch c {
        case 0xC2...0xDF: length = 2; ok = cont(k + 1)
        case 0xE0: length = 3; ok = cont(k + 1, 0xA0) && cont(k + 2)
        case 0xE1...0xEC, 0xEE...0xEF: length = 3; ok = cont(k + 1) && cont(k + 2)
        case 0xED: length = 3; ok = cont(k + 1, 0x80, 0x9F) && cont(k + 2)
        case 0xF0: length = 4; ok = cont(k + 1, 0x90) && cont(k + 2) && cont(k + 3)
        case 0xF1...0xF3: length = 4; ok = cont(k + 1) && cont(k + 2) && cont(k + 3)
        case 0xF4: length = 4; ok = cont(k + 1, 0x80, 0x8F) && cont(k + 2) && cont(k + 3)
        default: length = 1; ok = false
        }
        guard ok else { throw LineError(message: "invalid UTF-8 in a string at byte \(k + 1)") }
        return length
    }

    func hex4(_ k: Int) -> UInt32? {
        guard k + 4 <= n else { return nil }
        var v: UInt32 = 0
        for j in k..<(k + 4) {
            let c = p[j]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - 0x30
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - 0x61 + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - 0x41 + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// The UTF-8 bytes of a validated string with escapes resolved.
    func decode(_ s: StringSpan) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.end - s.start)
        var k = s.start
        while k < s.end {
            let c = p[k]
            if c != 0x5C {
                out.append(c)
                k += 1
                continue
            }
            let e = p[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(k)!
                k += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    if k + 6 <= s.end && p[k] == 0x5C && p[k + 1] == UInt8(ascii: "u"),
                       let low = hex4(k + 2), low >= 0xDC00 && low <= 0xDFFF
                    {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        k += 6
                    } else {
                        scalar = 0xFFFD
                    }
                } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                    scalar = 0xFFFD
                }
                Self.appendUTF8(scalar, to: &out)
            default: out.append(e)  // " \ /
            }
        }
        return out
    }

    static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80:
            out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (v >> 18)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}
