import AWS
/// A small XML reader for S3 responses (ListObjectsV2 results and error documents): elements, text, the five
/// predefined entities and numeric character references, CDATA; declarations, comments and processing
/// instructions are skipped. Namespaces are kept as part of names only through prefixes (S3 uses a default
/// namespace, so names are plain). Not a validating parser.
struct XMLElement: Sendable, Equatable {
    var name: String
    var children: [XMLElement] = []
    var text: String = ""

    /// The first child with `name`.
    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    /// Every child with `name`.
    func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
    /// The text of the first child with `name`.
    func string(_ name: String) -> String? { child(name)?.text }
}

struct XMLParseError: Error, CustomStringConvertible, Sendable {
    let message: String
    let offset: Int
    var description: String { "XML: \(message) at byte \(offset)" }
}

enum XMLReader {
    static func parse(_ bytes: [UInt8]) throws -> XMLElement {
        var parser = Parser(bytes: bytes)
        return try parser.document()
    }

    private struct Parser {
        let bytes: [UInt8]
        var pos = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
            // UTF-8 byte-order mark.
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3 }
        }

        func fail(_ message: String) -> XMLParseError { XMLParseError(message: message, offset: pos) }

        func starts(_ literal: String) -> Bool {
            let utf8 = Array(literal.utf8)
            return pos + utf8.count <= bytes.count && bytes[pos..<(pos + utf8.count)].elementsEqual(utf8)
        }

        mutating func skip(past literal: String) throws {
            let utf8 = Array(literal.utf8)
            while pos + utf8.count <= bytes.count {
                if bytes[pos..<(pos + utf8.count)].elementsEqual(utf8) { pos += utf8.count; return }
                pos += 1
            }
            throw fail("unterminated construct, expected '\(literal)'")
        }

        mutating func skipSpace() {
            while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
        }

        /// Skips the prolog / misc: declarations, comments, PIs, DOCTYPE and whitespace.
        mutating func skipMisc() throws {
            while true {
                skipSpace()
                if starts("<?") { try skip(past: "?>") } else if starts("<!--") { try skip(past: "-->") } else if starts("<!DOCTYPE") {
                    try skip(past: ">")
                } else { return }
            }
        }

        mutating func document() throws -> XMLElement {
            try skipMisc()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "<") else { throw fail("expected a root element") }
            let root = try element()
            try skipMisc()
            guard pos == bytes.count else { throw fail("content after the root element") }
            return root
        }

        static func isNameByte(_ b: UInt8) -> Bool {
            !(b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == UInt8(ascii: ">") || b == UInt8(ascii: "/")
                || b == UInt8(ascii: "=") || b == UInt8(ascii: "<"))
        }

        mutating func name() throws -> String {
            let start = pos
            while pos < bytes.count, Self.isNameByte(bytes[pos]) { pos += 1 }
            guard pos > start else { throw fail("expected a name") }
            return String(decoding: bytes[start..<pos], as: UTF8.self)
        }

        /// At `<name`: reads the element through its end tag.
        mutating func element() throws -> XMLElement {
            pos += 1
            var element = XMLElement(name: try name())
            // Attributes are read and dropped (S3 responses carry only xmlns).
            while true {
                skipSpace()
                guard pos < bytes.count else { throw fail("unterminated start tag <\(element.name)>") }
                if bytes[pos] == UInt8(ascii: "/") {
                    guard pos + 1 < bytes.count, bytes[pos + 1] == UInt8(ascii: ">") else { throw fail("expected '/>'") }
                    pos += 2
                    return element
                }
                if bytes[pos] == UInt8(ascii: ">") { pos += 1; break }
                _ = try name()
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "=") else { throw fail("expected '=' in attribute") }
                pos += 1
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") || bytes[pos] == UInt8(ascii: "'") else {
                    throw fail("expected a quoted attribute value")
                }
                let quote = bytes[pos]
                pos += 1
                while pos < bytes.count, bytes[pos] != quote { pos += 1 }
                guard pos < bytes.count else { throw fail("unterminated attribute value") }
                pos += 1
            }
            // Content.
            var text: [UInt8] = []
            while true {
                guard pos < bytes.count else { throw fail("unterminated element <\(element.name)>") }
                let b = bytes[pos]
                if b == UInt8(ascii: "<") {
                    if starts("</") {
                        pos += 2
                        let closing = try name()
                        guard closing == element.name else { throw fail("</\(closing)> closes <\(element.name)>") }
                        skipSpace()
                        guard pos < bytes.count, bytes[pos] == UInt8(ascii: ">") else { throw fail("expected '>'") }
                        pos += 1
                        element.text = String(decoding: text, as: UTF8.self)
                        return element
                    } else if starts("<!--") {
                        try skip(past: "-->")
                    } else if starts("<![CDATA[") {
                        pos += 9
                        let start = pos
                        try skip(past: "]]>")
                        text.append(contentsOf: bytes[start..<(pos - 3)])
                    } else if starts("<?") {
                        try skip(past: "?>")
                    } else {
                        element.children.append(try self.element())
                    }
                } else if b == UInt8(ascii: "&") {
                    try entity(into: &text)
                } else {
                    text.append(b)
                    pos += 1
                }
            }
        }

        mutating func entity(into text: inout [UInt8]) throws {
            let start = pos
            guard let semicolon = bytes[pos...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                throw fail("unterminated entity reference")
            }
            let body = String(decoding: bytes[(start + 1)..<semicolon], as: UTF8.self)
            pos = semicolon + 1
            switch body {
            case "amp": text.append(UInt8(ascii: "&"))
            case "lt": text.append(UInt8(ascii: "<"))
            case "gt": text.append(UInt8(ascii: ">"))
            case "quot": text.append(UInt8(ascii: "\""))
            case "apos": text.append(UInt8(ascii: "'"))
            default:
                var value: UInt32?
                if body.hasPrefix("#x") || body.hasPrefix("#X") {
                    value = UInt32(body.dropFirst(2), radix: 16)
                } else if body.hasPrefix("#") {
                    value = UInt32(body.dropFirst(), radix: 10)
                }
                guard let value, let scalar = Unicode.Scalar(value) else {
                    pos = start
                    throw fail("unknown entity &\(body);")
                }
                text.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
        }
    }
}

/// One page of a ListObjectsV2 response.
struct ListObjectsPage: Sendable, Equatable {
    var objects: [ObjectInfo]
    var isTruncated: Bool
    var nextContinuationToken: String?
    /// `CommonPrefixes` when a delimiter was used.
    var commonPrefixes: [String]

    static func parse(_ bytes: [UInt8]) throws -> ListObjectsPage {
        let root = try XMLReader.parse(bytes)
        guard root.name == "ListBucketResult" else {
            throw XMLParseError(message: "expected <ListBucketResult>, got <\(root.name)>", offset: 0)
        }
        let urlEncoded = root.string("EncodingType") == "url"
        func decode(_ s: String) -> String { urlEncoded ? (percentDecode(s) ?? s) : s }
        var objects: [ObjectInfo] = []
        for entry in root.children("Contents") {
            guard let key = entry.string("Key") else { throw XMLParseError(message: "<Contents> without <Key>", offset: 0) }
            guard let sizeText = entry.string("Size"), let size = Int64(sizeText.trimmingSpace()) else {
                throw XMLParseError(message: "<Contents> for \(key) without a valid <Size>", offset: 0)
            }
            objects.append(ObjectInfo(
                key: decode(key), size: size, etag: entry.string("ETag"),
                lastModified: entry.string("LastModified").flatMap { HTTPDates.parseISO8601($0.trimmingSpace()) }))
        }
        let truncated = root.string("IsTruncated")?.trimmingSpace().lowercased() == "true"
        let token = root.string("NextContinuationToken").flatMap { $0.isEmpty ? nil : $0 }
        let prefixes = root.children("CommonPrefixes").compactMap { $0.string("Prefix").map(decode) }
        return ListObjectsPage(objects: objects, isTruncated: truncated, nextContinuationToken: token, commonPrefixes: prefixes)
    }
}

/// The fields of an S3 `<Error>` document.
struct S3ErrorDocument: Sendable, Equatable {
    var code: String?
    var message: String?
    var requestId: String?

    /// Nil when the body is not an `<Error>` document.
    static func parse(_ bytes: [UInt8]) -> S3ErrorDocument? {
        guard let root = try? XMLReader.parse(bytes) else { return nil }
        // S3 answers <Error>; some S3-compatible servers wrap it in <ErrorResponse>.
        let error = root.name == "Error" ? root : root.child("Error")
        guard let error else { return nil }
        return S3ErrorDocument(code: error.string("Code"), message: error.string("Message"),
                               requestId: error.string("RequestId") ?? root.string("RequestId"))
    }
}

/// `%XX` decoding (`+` is left alone, as S3's url encoding-type uses `%20`); nil on malformed input.
func percentDecode(_ s: String) -> String? {
    var out: [UInt8] = []
    let utf8 = Array(s.utf8)
    var i = 0
    func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
    while i < utf8.count {
        if utf8[i] == UInt8(ascii: "%") {
            guard i + 2 < utf8.count, let hi = hexValue(utf8[i + 1]), let lo = hexValue(utf8[i + 2]) else { return nil }
            out.append(hi << 4 | lo)
            i += 3
        } else {
            out.append(utf8[i])
            i += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}

extension String {
    func trimmingSpace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
