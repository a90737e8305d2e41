import Foundation
import TestSupport
import Testing
@testable import Datasets

/// Random lines checked against Foundation's JSON parser: the same values for
/// valid objects, and the same accept/reject decision after random edits.
@Suite struct JSONScannerFuzzTests {
    static let alphabet: [String] = ["a", "b", "Z", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "é", "漢", "😀", "\u{7F}",
                                     "{", "}", "[", "]", ",", ":"]

    func randomValue(_ rng: inout SeededRNG, depth: Int) -> Any {
        switch rng.below(depth > 2 ? 6 : 8) {
        case 0: return NSNull()
        case 1: return rng.below(2) == 0
        case 2: return Int64(bitPattern: rng.next()) >> Int64(rng.below(64))
        case 3: return Double(Int64(bitPattern: rng.next()) >> 20) / Double(1 << rng.below(30))
        case 4, 5:
            return (0..<rng.below(12)).map { _ in Self.alphabet[rng.below(Self.alphabet.count)] }.joined()
        case 6: return (0..<rng.below(4)).map { _ in randomValue(&rng, depth: depth + 1) }
        default:
            var object: [String: Any] = [:]
            for _ in 0..<rng.below(4) { object[["x", "y", "a", "ü"][rng.below(4)]] = randomValue(&rng, depth: depth + 1) }
            return object
        }
    }

    /// The scalar expected for a generated value (exact Swift types), nil for numbers and containers.
    func expectedScalar(_ value: Any?) -> JSONScalar? {
        guard let value else { return .null }
        if value is NSNull { return .null }
        if type(of: value) == Bool.self { return .bool(value as! Bool) }
        if type(of: value) == String.self { return .string(value as! String) }
        return nil
    }

    /// A `,` followed (after spaces) by `}` or `]`, outside strings.
    static func hasTrailingComma(_ bytes: [UInt8]) -> Bool {
        var inString = false
        var k = 0
        while k < bytes.count {
            let c = bytes[k]
            if inString {
                if c == UInt8(ascii: "\\") { k += 1 } else if c == UInt8(ascii: "\"") { inString = false }
            } else if c == UInt8(ascii: "\"") {
                inString = true
            } else if c == UInt8(ascii: ",") {
                var j = k + 1
                while j < bytes.count && bytes[j] == 0x20 { j += 1 }
                if j < bytes.count && (bytes[j] == UInt8(ascii: "}") || bytes[j] == UInt8(ascii: "]")) { return true }
            }
            k += 1
        }
        return false
    }

    @Test func agreesWithFoundation() async throws {
        let dir = try TempDirectory("fuzz")
        defer { dir.remove() }
        var rng = SeededRNG(seed: 42)
        var lines: [Data] = []
        var objects: [[String: Any]] = []
        for _ in 0..<3000 {
            var object: [String: Any] = [:]
            for key in ["a", "b", "c", "n"] where rng.below(4) != 0 {
                object[key] = key == "n" && rng.below(2) == 0 ? ["x": randomValue(&rng, depth: 1)] : randomValue(&rng, depth: 0)
            }
            lines.append(try JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed]))
            objects.append(object)
        }
        var file = Data()
        for line in lines { file += line + Data([0x0A]) }
        let path = try dir.write("valid.jsonl", [UInt8](file))
        var reader = try JSONLinesReader(path: path, fields: ["a", "b", "n.x"], blockRows: 1000)
        var row = 0
        while let block = try await reader.next() {
            #expect(block.rejected == [])
            for r in 0..<block.count {
                let object = objects[row]
                for (column, value) in [object["a"], object["b"], (object["n"] as? [String: Any])?["x"]].enumerated() {
                    let got = block.columns[column][r]
                    if let expected = expectedScalar(value) {
                        #expect(got == expected, "line \(row + 1)")
                    } else if let value, type(of: value) == Int64.self {
                        #expect(got == .int(value as! Int64), "line \(row + 1)")
                    } else if let value, type(of: value) == Double.self {
                        let d = value as! Double
                        switch got {
                        case .int(let i): #expect(Double(i) == d, "line \(row + 1)")
                        case .double(let x): #expect(x == d, "line \(row + 1)")
                        default: Issue.record("line \(row + 1): \(got) for \(d)")
                        }
                    } else if let value {
                        guard case .other(let text) = got else {
                            Issue.record("line \(row + 1): \(got)")
                            continue
                        }
                        let reparsed = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
                        let options: JSONSerialization.WritingOptions = [.sortedKeys, .fragmentsAllowed]
                        #expect(try JSONSerialization.data(withJSONObject: reparsed, options: options)
                            == JSONSerialization.data(withJSONObject: value, options: options), "line \(row + 1)")
                    }
                }
                row += 1
            }
        }
        #expect(row == objects.count)

        // Random printable-ASCII edits: accepted exactly when Foundation accepts an object.
        var edited: [[UInt8]] = []
        for line in lines {
            var bytes = [UInt8](line)
            for _ in 0..<(1 + rng.below(2)) where !bytes.isEmpty {
                let k = rng.below(bytes.count)
                // No exponent letters: Foundation rejects numbers beyond Double's range, which
                // are valid JSON (they read as ±infinity here).
                let choices = Array(" {}[]\":,0.-1tfnu\\x".utf8)
                let replacement = choices[rng.below(choices.count)]
                switch rng.below(3) {
                case 0: bytes[k] = replacement
                case 1: bytes.insert(replacement, at: k)
                default: bytes.remove(at: k)
                }
            }
            if bytes.contains(0x0A) || bytes.allSatisfy({ $0 == 0x20 }) { continue }
            edited.append(bytes)
        }
        let editedPath = try dir.write("edited.jsonl", edited.flatMap { $0 + [0x0A] })
        var editedReader = try JSONLinesReader(path: editedPath, fields: ["a"], blockRows: 100_000)
        var accepted = Set<Int>()
        var rejected = Set<Int>()
        while let block = try await editedReader.next() {
            accepted.formUnion(block.lineNumbers)
            rejected.formUnion(block.rejected.map(\.lineNumber))
        }
        var disagreements = 0
        for (index, bytes) in edited.enumerated() {
            // Foundation also accepts a trailing comma, which JSON does not allow.
            let foundation = (try? JSONSerialization.jsonObject(with: Data(bytes), options: [])) is [String: Any]
                && !Self.hasTrailingComma(bytes)
            if foundation != accepted.contains(index + 1) {
                disagreements += 1
                if disagreements <= 10 {
                    Issue.record("line \(index + 1) \(String(decoding: bytes, as: UTF8.self)): Foundation \(foundation)")
                }
            }
        }
        #expect(accepted.count + rejected.count == edited.count)
        #expect(disagreements == 0)
    }
}
