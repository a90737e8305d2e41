import Foundation
@testable import Parquet

/// Paths to the shared corpus (beside the repository) and our fixtures.
enum Corpus {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static let parquet = shared.appendingPathComponent("conformance/parquet")
    static let fixtures = repoRoot.appendingPathComponent("Tests/ParquetTests/Fixtures")

    static func files(_ dir: URL, suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
    }

    /// Names of the expected outputs of the shared corpus (`NAME.parquet.jsonl`).
    static var expectedNames: [String] { files(parquet.appendingPathComponent("expected"), suffix: ".jsonl") }

    /// Files that must be rejected.
    static var badFiles: [String] {
        files(parquet.appendingPathComponent("bad_data"), suffix: ".parquet").filter { $0 != "ARROW-GH-43605.parquet" }.map { "bad_data/" + $0 }
            + files(parquet.appendingPathComponent("data"), suffix: ".parquet").filter { $0.contains("corrupt-checksum") }.map { "data/" + $0 }
    }

    static func dataFile(for expected: String) -> URL {
        let name = String(expected.dropLast(".jsonl".count))
        let data = parquet.appendingPathComponent("data/" + name)
        if FileManager.default.fileExists(atPath: data.path) { return data }
        return parquet.appendingPathComponent("bad_data/" + name)
    }
}

/// Reads a whole file into canonical JSON lines, as `backfill cat` prints them.
func catJSONLines(_ path: String, verifyChecksums: Bool = true) async throws -> [String] {
    let reader = try await ParquetFileReader.open(try LocalFileSource(path: path), options: ReadOptions(verifyChecksums: verifyChecksums))
    return try await catJSONLines(reader)
}

func catJSONLines(_ reader: ParquetFileReader) async throws -> [String] {
    var lines: [String] = []
    for g in reader.metadata.rowGroups.indices {
        let batch = try await reader.readRowGroup(g)
        var assembler = RowAssembler(schema: reader.schema, batch: batch)
        while let row = try assembler.next() { lines.append(RowValue.object(row).json) }
    }
    return lines
}

/// A parsed JSON value for comparisons (integers kept as text so 64-bit values stay exact).
indirect enum JSON: Equatable {
    case null, bool(Bool), integer(String), number(Double), string(String), array([JSON]), object([String: JSON])
}

/// Compares JSON values the way tools/jsonl_equal.py does: integers exactly, other numbers as 32- or 64-bit floats.
func jsonEqual(_ a: JSON, _ b: JSON) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.integer(let x), .integer(let y)): return x == y
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { jsonEqual($0, $1) }
    case (.object(let x), .object(let y)): return x.count == y.count && x.allSatisfy { k, v in y[k].map { jsonEqual(v, $0) } ?? false }
    default:
        guard let dx = a.double, let dy = b.double else { return false }
        if case .integer = a, case .integer = b { return false }
        return dx == dy || Float(dx) == Float(dy)
    }
}

extension JSON {
    var double: Double? {
        switch self {
        case .integer(let s): return Double(s)
        case .number(let d): return d
        default: return nil
        }
    }
}

func parseJSON(_ text: String) -> JSON? {
    var p = JSONParser(bytes: Array(text.utf8))
    guard let v = p.value() else { return nil }
    p.spaces()
    return p.i == p.bytes.count ? v : nil
}

struct JSONParser {
    let bytes: [UInt8]
    var i = 0
    init(bytes: [UInt8]) { self.bytes = bytes }
    mutating func spaces() { while i < bytes.count, [9, 10, 13, 32].contains(bytes[i]) { i += 1 } }
    mutating func literal(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard i + b.count <= bytes.count, Array(bytes[i..<(i + b.count)]) == b else { return false }
        i += b.count
        return true
    }
    mutating func value() -> JSON? {
        spaces()
        guard i < bytes.count else { return nil }
        switch bytes[i] {
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "\""): return string().map(JSON.string)
        case UInt8(ascii: "["):
            i += 1
            var items: [JSON] = []
            spaces()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                guard let v = value() else { return nil }
                items.append(v)
                spaces()
                guard i < bytes.count else { return nil }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                return nil
            }
        case UInt8(ascii: "{"):
            i += 1
            var fields: [String: JSON] = [:]
            spaces()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
            while true {
                spaces()
                guard let k = string() else { return nil }
                spaces()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                guard let v = value() else { return nil }
                fields[k] = v
                spaces()
                guard i < bytes.count else { return nil }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
                return nil
            }
        default:
            let start = i
            var isInteger = true
            while i < bytes.count, let c = Optional(bytes[i]), (c >= 48 && c <= 57) || c == 45 || c == 43 || c == 46 || c == 101 || c == 69 {
                if c == 46 || c == 101 || c == 69 { isInteger = false }
                i += 1
            }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            if text.isEmpty { return nil }
            if isInteger { return .integer(text) }
            return Double(text).map(JSON.number)
        }
    }
    mutating func string() -> String? {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        var out: [UInt8] = []
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            if c == UInt8(ascii: "\\") {
                guard i < bytes.count else { return nil }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "u"):
                    guard i + 4 <= bytes.count, var code = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else { return nil }
                    i += 4
                    if code >= 0xD800 && code < 0xDC00, i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"),
                       let low = UInt32(String(decoding: bytes[(i + 2)..<(i + 6)], as: UTF8.self), radix: 16) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(code) ?? "\u{FFFD}")).utf8))
                default: out.append(e)
                }
            } else {
                out.append(c)
            }
        }
        return nil
    }
}

