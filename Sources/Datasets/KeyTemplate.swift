// Aggregation keys built from row fields: "{entity_id}", "user:{user_id}:{country}".

/// A key made of literal text and `{field}` references, e.g. `"{entity_id}"` or
/// `"user:{user_id}:{country}"`. Write `{{` and `}}` for literal braces.
///
/// Field names are taken between the braces with surrounding spaces trimmed
/// (`{ user_id }` is `user_id`); they may contain any other character except
/// braces (so dotted paths such as `{user.id}` work). A template with no field
/// is allowed (a constant key), an empty template is not.
public struct KeyTemplate: Sendable, Equatable, CustomStringConvertible {
    public enum Part: Sendable, Equatable {
        case literal(String)
        case field(String)
    }

    /// The template text as given.
    public let text: String
    /// Literal runs (adjacent ones merged, escapes resolved) and fields, in order.
    public let parts: [Part]

    /// Parses `text`; throws a `DatasetError` naming the 1-based column of a
    /// problem (an unclosed `{`, an empty name, a stray `}` or a `{` inside a name).
    public init(_ text: String) throws {
        self.text = text
        guard !text.isEmpty else { throw DatasetError("key template: the template is empty") }
        var parts: [Part] = []
        var literal = ""
        let chars = Array(text)
        var i = 0
        func error(_ message: String, _ index: Int) -> DatasetError {
            DatasetError("key template '\(text)': \(message) at column \(index + 1)")
        }
        while i < chars.count {
            let c = chars[i]
            if c == "{" {
                if i + 1 < chars.count && chars[i + 1] == "{" {
                    literal.append("{")
                    i += 2
                    continue
                }
                let open = i
                var j = i + 1
                var name = ""
                while j < chars.count && chars[j] != "}" {
                    if chars[j] == "{" {
                        throw error("unexpected '{' inside the field name started at column \(open + 1)", j)
                    }
                    name.append(chars[j])
                    j += 1
                }
                guard j < chars.count else {
                    throw error("unclosed '{' (add '}' after the field name, or write '{{' for a literal brace)",
                                open)
                }
                let trimmed = name.trimmingSpaces()
                guard !trimmed.isEmpty else { throw error("empty field name", open) }
                if !literal.isEmpty {
                    parts.append(.literal(literal))
                    literal = ""
                }
                parts.append(.field(trimmed))
                i = j + 1
            } else if c == "}" {
                guard i + 1 < chars.count && chars[i + 1] == "}" else {
                    throw error("unmatched '}' (write '}}' for a literal brace)", i)
                }
                literal.append("}")
                i += 2
            } else {
                literal.append(c)
                i += 1
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
        var fields: [String] = []
        for case .field(let name) in parts where !fields.contains(name) { fields.append(name) }
        self.fields = fields
        if parts.count == 1, case .field(let name) = parts[0] { singleField = name } else { singleField = nil }
        literalLength = parts.reduce(0) { n, part in
            if case .literal(let s) = part { return n + s.utf8.count }
            return n
        }
    }

    /// The distinct field names, in order of first appearance.
    public let fields: [String]

    /// The field name when the template is exactly one field and nothing else
    /// (`"{entity_id}"`): callers can then use the field's value as the key directly.
    public let singleField: String?

    private let literalLength: Int

    public var description: String { text }

    /// The key for one row: `lookup` gives a field's value, or nil when it is
    /// missing or null, in which case the whole key is nil.
    public func render(_ lookup: (String) -> String?) -> String? {
        if let singleField { return lookup(singleField) }
        var out = ""
        out.reserveCapacity(literalLength + 16 * fields.count)
        for part in parts {
            switch part {
            case .literal(let s): out += s
            case .field(let name):
                guard let value = lookup(name) else { return nil }
                out += value
            }
        }
        return out
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
