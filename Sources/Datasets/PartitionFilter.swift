// A boolean filter over Hive partition values, used to pick (and prune) the
// directories and files of a dataset.

/// A filter over the `key=value` directory levels of a Hive-partitioned path,
/// e.g. `year = 2026 and month = 5 and day in (8, 9) and hour >= 6`.
///
/// Grammar (keywords are case-insensitive):
///
///     filter     := or
///     or         := and ("or" and)*
///     and        := not ("and" not)*
///     not        := "not" not | "(" or ")" | predicate
///     predicate  := key op value
///                 | key ["not"] "in" "(" value ("," value)* ")"
///                 | key ["not"] "between" value "and" value
///     op         := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
///
/// A key is a bare word or a back-quoted name (`` `my key` ``). A value is a
/// number (`7`, `-3`, `2.5`), a single- or double-quoted string (`'a b'`,
/// `"it''s"` — a quote is escaped by doubling it or with a backslash), or a
/// bare word (`2026-05-08`, `US`). A bare word runs until whitespace or one of
/// `( ) , = ! < > ' "`.
///
/// Comparison: when both the partition value and the literal are decimal
/// numbers (optional sign, digits, optional fraction; no exponent) they are
/// compared numerically and exactly, so `hour=07` equals `7` and `hour=10` is
/// greater than `9`; otherwise they are compared as strings. `between a and b`
/// is inclusive on both ends.
///
/// A key that is absent from the path makes every predicate on it false —
/// `=`, `!=`, `in`, `not in` and `between` alike — so `not (key = 1)` is true
/// for such a path. When a key appears at several directory levels, the first
/// (outermost) occurrence is used.
public struct PartitionFilter: Sendable, CustomStringConvertible {
    let root: Node
    /// The filter text as given.
    public let text: String

    /// Parses `text`. Throws a `DatasetError` naming the 1-based column of the problem.
    public init(_ text: String) throws {
        self.text = text
        var parser = FilterParser(text)
        root = try parser.parseFilter()
    }

    /// The partition keys the filter refers to.
    public var keys: Set<String> {
        var result = Set<String>()
        root.collectKeys(into: &result)
        return result
    }

    public var description: String { text }

    /// Whether a file with these partition values is selected.
    public func matches(_ partitions: [HivePartition]) -> Bool {
        root.evaluate { key in Self.lookup(key, in: partitions) } == .yes
    }

    /// False only when no file below a directory with these partition values
    /// (the first levels of a file's full list) can match; keys not in `prefix`
    /// are treated as unknown, i.e. "could match".
    public func mayMatch(prefix: [HivePartition]) -> Bool {
        root.evaluate { key in Self.lookup(key, in: prefix) ?? .unknown } != .no
    }

    private static func lookup(_ key: String, in partitions: [HivePartition]) -> Lookup? {
        for p in partitions where p.key == key { return .value(PartitionValue(p.value)) }
        return nil
    }
}

// MARK: - Evaluation

/// Three-valued truth (Kleene logic), for pruning with partial paths.
enum Truth: Equatable {
    case yes, no, maybe

    static prefix func ! (t: Truth) -> Truth {
        switch t {
        case .yes: return .no
        case .no: return .yes
        case .maybe: return .maybe
        }
    }
}

enum Lookup {
    case value(PartitionValue)
    /// The key may appear deeper in the path: the predicate's value is not known yet.
    case unknown
}

/// A value with its decimal form precomputed when it has one.
struct PartitionValue: Sendable {
    let text: String
    let number: DecimalNumber?

    init(_ text: String) {
        self.text = text
        number = DecimalNumber(text)
    }

    /// Numeric when both are numbers, else string order.
    func compare(_ other: PartitionValue) -> Int {
        if let a = number, let b = other.number { return a.compare(b) }
        return text == other.text ? 0 : (text < other.text ? -1 : 1)
    }
}

/// An exact decimal: sign, integer digits without leading zeros, fraction
/// digits without trailing zeros. Compared without rounding.
struct DecimalNumber: Sendable {
    let negative: Bool
    let integer: [UInt8]
    let fraction: [UInt8]

    init?(_ text: String) {
        var bytes = Substring(text).utf8[...]
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var integer: [UInt8] = []
        var fraction: [UInt8] = []
        var seenDot = false
        var digits = 0
        for b in bytes {
            if b >= 0x30 && b <= 0x39 {
                digits += 1
                if seenDot { fraction.append(b) } else if !(integer.isEmpty && b == 0x30) { integer.append(b) }
            } else if b == UInt8(ascii: ".") && !seenDot {
                seenDot = true
            } else {
                return nil
            }
        }
        guard digits > 0 else { return nil }
        while fraction.last == 0x30 { fraction.removeLast() }
        // -0 == 0
        self.negative = negative && !(integer.isEmpty && fraction.isEmpty)
        self.integer = integer
        self.fraction = fraction
    }

    func compare(_ other: DecimalNumber) -> Int {
        if negative != other.negative { return negative ? -1 : 1 }
        let magnitude = Self.compareMagnitude(self, other)
        return negative ? -magnitude : magnitude
    }

    private static func compareMagnitude(_ a: DecimalNumber, _ b: DecimalNumber) -> Int {
        if a.integer.count != b.integer.count { return a.integer.count < b.integer.count ? -1 : 1 }
        for (x, y) in zip(a.integer, b.integer) where x != y { return x < y ? -1 : 1 }
        for (x, y) in zip(a.fraction, b.fraction) where x != y { return x < y ? -1 : 1 }
        if a.fraction.count != b.fraction.count { return a.fraction.count < b.fraction.count ? -1 : 1 }
        return 0
    }
}

enum ComparisonOperator: String, Sendable {
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="

    func test(_ order: Int) -> Bool {
        switch self {
        case .equal: return order == 0
        case .notEqual: return order != 0
        case .less: return order < 0
        case .lessOrEqual: return order <= 0
        case .greater: return order > 0
        case .greaterOrEqual: return order >= 0
        }
    }
}

indirect enum Node: Sendable {
    case or([Node])
    case and([Node])
    case not(Node)
    case compare(key: String, ComparisonOperator, PartitionValue)
    case oneOf(key: String, [PartitionValue], negated: Bool)
    case between(key: String, PartitionValue, PartitionValue, negated: Bool)

    func collectKeys(into keys: inout Set<String>) {
        switch self {
        case .or(let nodes), .and(let nodes): for n in nodes { n.collectKeys(into: &keys) }
        case .not(let n): n.collectKeys(into: &keys)
        case .compare(let key, _, _), .oneOf(let key, _, _), .between(let key, _, _, _): keys.insert(key)
        }
    }

    /// `lookup` returns nil for a key that is certainly absent (predicate false).
    func evaluate(_ lookup: (String) -> Lookup?) -> Truth {
        switch self {
        case .or(let nodes):
            var result = Truth.no
            for n in nodes {
                switch n.evaluate(lookup) {
                case .yes: return .yes
                case .maybe: result = .maybe
                case .no: break
                }
            }
            return result
        case .and(let nodes):
            var result = Truth.yes
            for n in nodes {
                switch n.evaluate(lookup) {
                case .no: return .no
                case .maybe: result = .maybe
                case .yes: break
                }
            }
            return result
        case .not(let n):
            return !n.evaluate(lookup)
        case .compare(let key, let op, let literal):
            return Self.predicate(lookup(key)) { op.test($0.compare(literal)) }
        case .oneOf(let key, let literals, let negated):
            return Self.predicate(lookup(key)) { v in literals.contains { v.compare($0) == 0 } != negated }
        case .between(let key, let low, let high, let negated):
            return Self.predicate(lookup(key)) { v in (v.compare(low) >= 0 && v.compare(high) <= 0) != negated }
        }
    }

    private static func predicate(_ found: Lookup?, _ test: (PartitionValue) -> Bool) -> Truth {
        switch found {
        case nil: return .no
        case .unknown: return .maybe
        case .value(let v): return test(v) ? .yes : .no
        }
    }
}

// MARK: - Parsing

private struct FilterToken {
    enum Kind: Equatable {
        case word  // bare word: key, keyword or unquoted value
        case quoted  // '...' or "..."
        case backquoted  // `...`: a key
        case symbol  // ( ) , and operators
        case end
    }
    var kind: Kind
    var text: String
    /// 1-based column of the token's first character.
    var column: Int

    func isKeyword(_ keyword: String) -> Bool {
        kind == .word && text.lowercased() == keyword
    }

    var display: String {
        switch kind {
        case .end: return "end of filter"
        case .quoted: return "string '\(text)'"
        default: return "'\(text)'"
        }
    }
}

private struct FilterParser {
    let characters: [Character]
    var tokens: [FilterToken] = []
    var index = 0
    var lexError: DatasetError?

    init(_ text: String) {
        characters = Array(text)
        do { try tokenize() } catch { lexError = error as? DatasetError }
    }

    static func error(_ message: String, column: Int) -> DatasetError {
        DatasetError("partition filter: \(message) at column \(column)")
    }

    private static let symbolCharacters: Set<Character> = ["(", ")", ",", "=", "!", "<", ">"]
    private static let wordStoppers: Set<Character> = ["(", ")", ",", "=", "!", "<", ">", "'", "\"", "`"]

    mutating func tokenize() throws {
        var i = 0
        let n = characters.count
        while i < n {
            let c = characters[i]
            if c.isWhitespace { i += 1; continue }
            let column = i + 1
            if c == "'" || c == "\"" || c == "`" {
                var text = ""
                var j = i + 1
                var closed = false
                while j < n {
                    let d = characters[j]
                    if d == "\\" && c != "`" && j + 1 < n {
                        text.append(characters[j + 1])
                        j += 2
                        continue
                    }
                    if d == c {
                        if j + 1 < n && characters[j + 1] == c {  // doubled quote
                            text.append(c)
                            j += 2
                            continue
                        }
                        closed = true
                        j += 1
                        break
                    }
                    text.append(d)
                    j += 1
                }
                guard closed else {
                    throw Self.error(c == "`" ? "unterminated quoted key" : "unterminated string", column: column)
                }
                tokens.append(FilterToken(kind: c == "`" ? .backquoted : .quoted, text: text, column: column))
                i = j
                continue
            }
            if Self.symbolCharacters.contains(c) {
                let next: Character? = i + 1 < n ? characters[i + 1] : nil
                var symbol = String(c)
                switch (c, next) {
                case ("=", "="): symbol = "="; i += 2
                case ("!", "="): symbol = "!="; i += 2
                case ("<", ">"): symbol = "!="; i += 2
                case ("<", "="): symbol = "<="; i += 2
                case (">", "="): symbol = ">="; i += 2
                case ("!", _): throw Self.error("unexpected '!' (did you mean '!='?)", column: column)
                default: i += 1
                }
                // Keep the operator as written for messages.
                let written = String(characters[(column - 1)..<i])
                tokens.append(FilterToken(kind: .symbol, text: symbol == "!=" || symbol == "=" ? written : symbol,
                                          column: column))
                continue
            }
            var j = i
            while j < n && !characters[j].isWhitespace && !Self.wordStoppers.contains(characters[j]) { j += 1 }
            tokens.append(FilterToken(kind: .word, text: String(characters[i..<j]), column: column))
            i = j
        }
        tokens.append(FilterToken(kind: .end, text: "", column: n + 1))
    }

    var current: FilterToken { tokens[index] }

    mutating func advance() -> FilterToken {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    mutating func parseFilter() throws -> Node {
        if let lexError { throw lexError }
        if current.kind == .end { throw Self.error("the filter is empty", column: current.column) }
        let node = try parseOr()
        guard current.kind == .end else {
            if current.kind == .symbol && current.text == ")" {
                throw Self.error("unmatched ')'", column: current.column)
            }
            throw Self.error("expected 'and', 'or' or the end of the filter, found \(current.display)",
                             column: current.column)
        }
        return node
    }

    mutating func parseOr() throws -> Node {
        var nodes = [try parseAnd()]
        while current.isKeyword("or") {
            _ = advance()
            nodes.append(try parseAnd())
        }
        return nodes.count == 1 ? nodes[0] : .or(nodes)
    }

    mutating func parseAnd() throws -> Node {
        var nodes = [try parseNot()]
        while current.isKeyword("and") {
            _ = advance()
            nodes.append(try parseNot())
        }
        return nodes.count == 1 ? nodes[0] : .and(nodes)
    }

    mutating func parseNot() throws -> Node {
        if current.isKeyword("not") {
            _ = advance()
            return .not(try parseNot())
        }
        if current.kind == .symbol && current.text == "(" {
            let open = advance()
            let node = try parseOr()
            guard current.kind == .symbol && current.text == ")" else {
                throw Self.error("expected ')' to close the '(' at column \(open.column), found \(current.display)",
                                 column: current.column)
            }
            _ = advance()
            return node
        }
        return try parsePredicate()
    }

    static let keywords: Set<String> = ["and", "or", "not", "in", "between"]

    mutating func parsePredicate() throws -> Node {
        let keyToken = current
        switch keyToken.kind {
        case .word where !Self.keywords.contains(keyToken.text.lowercased()), .backquoted:
            _ = advance()
        default:
            throw Self.error("expected a partition key, found \(keyToken.display)", column: keyToken.column)
        }
        let key = keyToken.text
        let opToken = current
        if opToken.kind == .symbol, let op = Self.comparisonOperator(opToken.text) {
            _ = advance()
            let value = try parseValue(after: "'\(opToken.text)'")
            return .compare(key: key, op, value)
        }
        var negated = false
        if opToken.isKeyword("not") {
            _ = advance()
            negated = true
        }
        if current.isKeyword("in") {
            let inToken = advance()
            guard current.kind == .symbol && current.text == "(" else {
                throw Self.error("expected '(' after '\(inToken.text)', found \(current.display)",
                                 column: current.column)
            }
            _ = advance()
            var values = [try parseValue(after: "'('")]
            while current.kind == .symbol && current.text == "," {
                _ = advance()
                values.append(try parseValue(after: "','"))
            }
            guard current.kind == .symbol && current.text == ")" else {
                throw Self.error("expected ',' or ')' in the list after '\(inToken.text)', found \(current.display)",
                                 column: current.column)
            }
            _ = advance()
            return .oneOf(key: key, values, negated: negated)
        }
        if current.isKeyword("between") {
            let betweenToken = advance()
            let low = try parseValue(after: "'\(betweenToken.text)'")
            guard current.isKeyword("and") else {
                throw Self.error("expected 'and' in '\(key) between ... and ...', found \(current.display)",
                                 column: current.column)
            }
            let andToken = advance()
            let high = try parseValue(after: "'\(andToken.text)'")
            return .between(key: key, low, high, negated: negated)
        }
        if negated {
            throw Self.error("expected 'in' or 'between' after 'not', found \(current.display)",
                             column: current.column)
        }
        throw Self.error(
            "expected a comparison operator, 'in', 'not in' or 'between' after '\(key)', found \(current.display)",
            column: current.column)
    }

    static func comparisonOperator(_ text: String) -> ComparisonOperator? {
        switch text {
        case "=", "==": return .equal
        case "!=", "<>": return .notEqual
        case "<": return .less
        case "<=": return .lessOrEqual
        case ">": return .greater
        case ">=": return .greaterOrEqual
        default: return nil
        }
    }

    mutating func parseValue(after what: String) throws -> PartitionValue {
        let t = current
        switch t.kind {
        case .quoted:
            _ = advance()
            return PartitionValue(t.text)
        case .word where !Self.keywords.contains(t.text.lowercased()):
            _ = advance()
            return PartitionValue(t.text)
        default:
            throw Self.error("expected a value after \(what)", column: t.column)
        }
    }
}
