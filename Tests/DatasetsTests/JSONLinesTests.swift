import Foundation
import Testing
@testable import Datasets

/// Reads every block of a file.
private func readAll(_ path: String, _ fields: [String], blockRows: Int = 8192, maxLineBytes: Int = 16 << 20)
    async throws -> (rows: [[JSONScalar]], lines: [Int], offsets: [Int64], rejected: [RejectedLine], blocks: Int)
{
    var reader = try JSONLinesReader(path: path, fields: fields, blockRows: blockRows, maxLineBytes: maxLineBytes)
    var rows: [[JSONScalar]] = []
    var lines: [Int] = []
    var offsets: [Int64] = []
    var rejected: [RejectedLine] = []
    var blocks = 0
    while let block = try await reader.next() {
        blocks += 1
        #expect(block.columns.count == fields.count)
        for column in block.columns { #expect(column.count == block.count) }
        #expect(block.byteOffsets.count == block.count)
        for r in 0..<block.count { rows.append(block.columns.map { $0[r] }) }
        lines += block.lineNumbers
        offsets += block.byteOffsets
        rejected += block.rejected
    }
    #expect(try await reader.next() == nil)
    return (rows, lines, offsets, rejected, blocks)
}

@Suite struct JSONLinesTests {
    @Test func everyScalarType() async throws {
        let dir = try TempDirectory("jsonl")
        defer { dir.remove() }
        let line = #"""
            {"n": null, "t": true, "f": false, "i": 42, "neg": -7, "zero": 0, "max": 9223372036854775807, \#
            "min": -9223372036854775808, "over": 9223372036854775808, "d": 1.5, "e": 1e3, "E": -2.5E-3, \#
            "frac0": 2.0, "tiny": 5e-324, "long": 3.14159265358979323846264338327950288, "s": "hi", \#
            "o": {"x": [1, 2]}, "a": [1, {"y": "}"}], "empty": {}, "ea": []}
            """#
        let path = try dir.write("t.jsonl", line + "\n")
        let fields = ["n", "t", "f", "i", "neg", "zero", "max", "min", "over", "d", "e", "E", "frac0", "tiny", "long",
                      "s", "o", "a", "empty", "ea", "absent"]
        let result = try await readAll(path, fields)
        #expect(result.rejected == [])
        let row = try #require(result.rows.first)
        let expected: [JSONScalar] = [
            .null, .bool(true), .bool(false), .int(42), .int(-7), .int(0), .int(Int64.max), .int(Int64.min),
            .double(9223372036854775808.0), .double(1.5), .double(1000), .double(-0.0025), .double(2.0),
            .double(5e-324), .double(3.14159265358979323846264338327950288), .string("hi"),
            .other(#"{"x": [1, 2]}"#), .other(#"[1, {"y": "}"}]"#), .other("{}"), .other("[]"), .null,
        ]
        #expect(row == expected)
        #expect(result.lines == [1])
        #expect(result.offsets == [0])
    }

    @Test func numbersRoundCorrectly() async throws {
        let dir = try TempDirectory("jsonl")
        defer { dir.remove() }
        let values = ["0.1", "0.3", "123.456", "-1e-7", "1.7976931348623157e308", "2.2250738585072014e-308",
                      "12345678901234567890", "0.000001234", "1E22", "1e23", "9007199254740993", "4.35"]
        let text = values.map { #"{"v": \#($0)}"# }.joined(separator: "\n")
        let result = try await readAll(try dir.write("n.jsonl", text), ["v"])
        #expect(result.rejected == [])
        for (row, literal) in zip(result.rows, values) {
            if case .int(let i) = row[0] {
                #expect(String(i) == literal)
            } else {
                #expect(row[0] == .double(Double(literal)!), "\(literal)")
            }
        }
        #expect(result.rows[10] == [.int(9007199254740993)])
        #expect(result.rows[6] == [.double(12345678901234567890.0)])
    }

    @Test func nestedDottedFields() async throws {
        let dir = try TempDirectory("jsonl")
        defer { dir.remove() }
        let text = """
            {"a": {"b": {"c": 1}, "d": "x", "skip": [1, {"c": 9}]}, "top": 5}
            {"a": {"b": 3, "d": {"e": true}}}
            {"a": "flat", "a.b": 7}
            {"top": 6, "a": {"d": null, "b": {"c": -1.5, "c": 2}}}
            """
        let path = try dir.write("nested.jsonl", text)
        let result = try await readAll(path, ["a.b.c", "a.d", "a.b", "top", "a.d.e", "a", "top"])
        #expect(result.rejected == [])
        #expect(result.rows.count == 4)
        #expect(result.rows[0] == [.int(1), .string("x"), .other(#"{"c": 1}"#), .int(5), .null,
                                   .other(#"{"b": {"c": 1}, "d": "x", "skip": [1, {"c": 9}]}"#), .int(5)])
        #expect(result.rows[1] == [.null, .other(#"{"e": true}"#), .int(3), .null, .bool(true),
                                   .other(#"{"b": 3, "d": {"e": true}}"#), .null])
        // A dot always means nesting: the literal key "a.b" is not the path a.b.
        #expect(result.rows[2] == [.null, .null, .null, .null, .null, .string("flat"), .null])
        // Duplicate keys: the last one wins.
        #expect(result.rows[3] == [.int(2), .null, .other(#"{"c": -1.5, "c": 2}"#), .int(6), .null,
                                   .other(#"{"d": null, "b": {"c": -1.5, "c": 2}}"#), .int(6)])
    }

    @Test func stringEscapesAndUnicode() async throws {
        let dir = try TempDirectory("jsonl")
        defer { dir.remove() }
        let lines = [
            #"{"s": "caf\u00e9 \u00E9"}"#,
            #"{"s": "\ud83d\ude00 grin"}"#,
            #"{"s": "q\" b\\ s\/ \b\f\n\r\t"}"#,
            #"{"s": "lone \ud800 high, lone \udc00 low, \ud800\u0041 then A"}"#,
            "{\"s\": \"raw café 😀 漢字\"}",
            #"{"\u0073": "escaped key"}"#,
            #"{"s": "\u0000nul"}"#,
        ]
        let result = try await readAll(try dir.write("u.jsonl", lines.joined(separator: "\n") + "\n"), ["s"])
        #expect(result.rejected == [])
        #expect(result.rows.map { $0[0] } == [
            .string("café é"), .string("😀 grin"), .string("q\" b\\ s/ \u{8}\u{C}\n\r\t"),
            .string("lone \u{FFFD} high, lone \u{FFFD} low, \u{FFFD}A then A"), .string("raw café 😀 漢字"),
            .string("escaped key"), .string("\u{0}nul"),
        ])
    }

    @Test func malformedLinesAreRejectedWithPositions() async throws {
        let dir = try TempDirectory("jsonl")
        defer { dir.remove() }
        var bytes: [UInt8] = []
        var offsets: [Int64] = []
        func add(_ line: [UInt8]) {
            offsets.append(Int64(bytes.count))
            bytes += line + [0x0A]
        }
        let good = Array(#"{"a": 1}"#.utf8)
        add(good)                                   // 1
        add(Array(#"{"a": x}"#.utf8))               // 2
        add(Array(#"[1, 2]"#.utf8))                 // 3
        add(Array(#"{"a": 1} x"#.utf8))             // 4
        add(Array(#"{"a": "abc"#.utf8))             // 5
        add(Array(#"{"a": ""#.utf8) + [0xFF] + Array(#""}"#.utf8))  // 6
        add(Array(#"{"a": 01}"#.utf8))              // 7
        add(Array(#"{"a": 1,}"#.utf8))              // 8
        add(Array(#"{"a" 1}"#.utf8))                // 9
        add(Array(#"{"a": tru}"#.utf8))             // 10
        add(Array(#"{"a": "\x"}"#.utf8))            // 11
        add(Array("{\"a\": \"tab\there\"}".utf8))  // 12 (a raw tab)
        add(Array(#"{"a": 1, "b": {"c": [1, 2}}"#.utf8))  // 13
        add(Array(#"{"a": 1"#.utf8))                // 14
        add(Array(#"{"a": -}"#.utf8))               // 15
        add(Array(#"{"a": 1.}"#.utf8))              // 16
        add(Array(#"{"a": "\u12G4"}"#.utf8))        // 17
        add(Array(#""just a string""#.utf8))        // 18
        add(Array(#"{"a": 2}"#.utf8))               // 19
        add(Array(#"{"a": "é"}"#.utf8.dropLast(3)) + [0xC3] + Array(#""}"#.utf8))  // 20: truncated UTF-8
        add(Array(String(repeating: "[", count: 600).utf8))  // 21: too deep before anything else? no: not an object
        add(Array(("{\"a\": " + String(repeating: "[", count: 600)).utf8))  // 22
        let path = try dir.write("bad.jsonl", bytes)
        let result = try await readAll(path, ["a"])
        #expect(result.rows == [[.int(1)], [.int(2)]])
        #expect(result.lines == [1, 19])
        #expect(result.offsets == [offsets[0], offsets[18]])
        let expected: [(Int, String)] = [
            (2, "unexpected character 'x' at byte 7 of the line (expected a value)"),
            (3, "not a JSON object: the line holds an array (at byte 1)"),
            (4, "unexpected character 'x' at byte 10 of the line (trailing characters after the JSON object)"),
            (5, "unterminated string starting at byte 7"),
            (6, "invalid UTF-8 in a string at byte 8"),
            (7, "invalid number at byte 7: leading zeros are not allowed"),
            (8, "unexpected character '}' at byte 9 of the line (expected '\"' starting a key)"),
            (9, "unexpected character '1' at byte 6 of the line (expected ':' after a key)"),
            (10, "unexpected character '}' at byte 10 of the line (expected 'true' starting at byte 7)"),
            (11, "invalid escape '\\x' at byte 8"),
            (12, "unescaped control character byte 0x09 in a string at byte 11"),
            (13, "unexpected character '}' at byte 26 of the line (expected ',' or ']')"),
            (14, "unexpected end of line at byte 8 (expected ',' or '}')"),
            (15, "unexpected character '}' at byte 8 of the line (expected a digit)"),
            (16, "unexpected character '}' at byte 9 of the line (expected a digit after the decimal point)"),
            (17, "invalid \\u escape at byte 8: expected four hex digits"),
            (18, "not a JSON object: the line holds a string (at byte 1)"),
            (20, "invalid UTF-8 in a string at byte 8"),
            (21, "not a JSON object: the line holds an array (at byte 1)"),
            (22, "nesting deeper than 512 levels at byte 518"),
        ]
        #expect(result.rejected.count == expected.count)
        for (got, (line, reason)) in zip(result.rejected, expected) {
            #expect(got.lineNumber == line)
            #expect(got.reason == reason, "line \(line)")
            #expect(got.byteOffset == offsets[line - 1])
        }
        #expect(result.rejected.first?.text == #"{"a": x}"#)
    }

    @Test func blankLinesCRLFAndNoFinalNewline() async throws {
        let dir = try TempDirectory("jsonl")
        defer { dir.remove() }
        let text = "\u{FEFF}{\"a\": 1}\r\n\r\n   \r\n\t\n{\"a\": 2}\r\n\n{\"a\": \"x\"} \r\n{\"a\": 3}"
        let path = try dir.write("crlf.jsonl", text)
        let result = try await readAll(path, ["a"])
        #expect(result.rejected == [])
        #expect(result.rows == [[.int(1)], [.int(2)], [.string("x")], [.int(3)]])
        #expect(result.lines == [1, 5, 7, 8])
        let utf8 = Array(text.utf8)
        #expect(result.offsets.map { utf8[Int($0)] } == [0xEF, UInt8(ascii: "{"), UInt8(ascii: "{"), UInt8(ascii: "{")])
        // A final line that is blank, or an empty file.
        #expect(try await readAll(try dir.write("empty.jsonl", ""), ["a"]).blocks == 0)
        #expect(try await readAll(try dir.write("blank.jsonl", "\n\n  "), ["a"]).blocks == 0)
        let last = try await readAll(try dir.write("bad-last.jsonl", "{\"a\": 1}\n{\"a\""), ["a"])
        #expect(last.rejected.map(\.lineNumber) == [2])
        #expect(last.rejected.first?.reason == "unexpected end of line at byte 5 (expected ':' after a key)")
    }

    @Test func blocksSplitRowsAndKeepLineNumbers() async throws {
        let dir = try TempDirectory("jsonl")
        defer { dir.remove() }
        var text = ""
        for i in 1...25 { text += i % 10 == 0 ? "oops\n" : "{\"i\": \(i)}\n" }
        let result = try await readAll(try dir.write("blocks.jsonl", text), ["i"], blockRows: 4)
        #expect(result.rows.count == 23)
        #expect(result.rejected.map(\.lineNumber) == [10, 20])
        #expect(result.blocks == 6)
        #expect(result.lines == Array(1...25).filter { $0 % 10 != 0 })
        #expect(result.rows.map { $0[0] } == result.lines.map { .int(Int64($0)) })
        // A block that ends because it holds blockRows rejected lines.
        let bad = try await readAll(try dir.write("bad.jsonl", String(repeating: "x\n", count: 5) + "{}\n"), ["i"],
                              blockRows: 2)
        #expect(bad.rejected.count == 5)
        #expect(bad.rows == [[.null]])
    }

    @Test func longLines() async throws {
        let dir = try TempDirectory("jsonl")
        defer { dir.remove() }
        // Longer than the initial buffer: the buffer grows.
        let big = String(repeating: "abcdefgh", count: 400_000)  // 3.2 MB
        let text = "{\"a\": 1}\n{\"s\": \"\(big)\", \"a\": 2}\n{\"a\": 3}\n"
        let plain = try dir.write("long.jsonl", text)
        let result = try await readAll(plain, ["a", "s"])
        #expect(result.rejected == [])
        #expect(result.rows.count == 3)
        #expect(result.rows[1] == [.int(2), .string(big)])
        #expect(result.rows[2] == [.int(3), .null])
        #expect(result.offsets[2] == Int64(text.utf8.count - 9))
        // Over the limit: rejected without buffering the line, the rest goes on.
        let limited = try await readAll(plain, ["a"], maxLineBytes: 100_000)
        #expect(limited.rows == [[.int(1)], [.int(3)]])
        #expect(limited.lines == [1, 3])
        #expect(limited.rejected.count == 1)
        let rejected = try #require(limited.rejected.first)
        #expect(rejected.lineNumber == 2)
        #expect(rejected.byteOffset == 9)
        #expect(rejected.reason == "line is longer than the limit of 100000 bytes")
        #expect(rejected.text.utf8.count == 1000)
        #expect(rejected.text.hasPrefix("{\"s\": \"abcdefgh"))
        // The same through gzip, and a limit just below a line found whole in the buffer.
        let gz = try dir.write("long.jsonl.gz", try gzip(text))
        #expect(try await readAll(gz, ["a"], maxLineBytes: 100_000).rejected.map(\.lineNumber) == [2])
        let short = try await readAll(try dir.write("short.jsonl", "{\"a\": 1}\n{\"a\": 22}\n"), ["a"], maxLineBytes: 8)
        #expect(short.rows == [[.int(1)]])
        #expect(short.rejected.map(\.lineNumber) == [2])
        // A long rejected line's text is cut at a character boundary.
        let accents = "{\"a\": x" + String(repeating: "é", count: 1000) + "}"
        let cut = try await readAll(try dir.write("accents.jsonl", accents), ["a"])
        #expect(cut.rejected.first?.text.utf8.count == 999)
        #expect(cut.rejected.first?.text.hasSuffix("é") == true)
    }

    @Test func gzipDetectedByMagicBytes() async throws {
        let dir = try TempDirectory("jsonl")
        defer { dir.remove() }
        var text = ""
        for i in 0..<20_000 { text += "{\"id\": \"k\(i % 97)\", \"n\": \(i), \"pad\": \"\(String(repeating: "z", count: i % 50))\"}\n" }
        let plain = try await readAll(try dir.write("p.jsonl", text), ["id", "n"])
        let gz = try await readAll(try dir.write("p.jsonl.gz", try gzip(text)), ["id", "n"])
        let misnamed = try await readAll(try dir.write("misnamed.jsonl", try gzip(text)), ["id", "n"])
        #expect(plain.rows.count == 20_000)
        #expect(gz.rows == plain.rows)
        #expect(gz.offsets == plain.offsets)
        #expect(misnamed.rows == plain.rows)
        #expect(try JSONLinesReader(path: dir.path + "/misnamed.jsonl", fields: []).isGzip)
        #expect(try !JSONLinesReader(path: dir.path + "/p.jsonl", fields: []).isGzip)
        // A plain file named .gz is read as plain text.
        let fake = try await readAll(try dir.write("fake.jsonl.gz", "{\"id\": \"x\"}\n"), ["id"])
        #expect(fake.rows == [[.string("x")]])
    }

    @Test func concatenatedGzipMembers() async throws {
        let dir = try TempDirectory("jsonl")
        defer { dir.remove() }
        // The first member ends in the middle of a line.
        let first = "{\"a\": 1}\n{\"a\": 2}\n{\"a\""
        let second = ": 3}\n\n{\"a\": 4}"
        let path = try dir.write("two.jsonl.gz", try gzip(first) + gzip(second))
        let result = try await readAll(path, ["a"])
        #expect(result.rows == [[.int(1)], [.int(2)], [.int(3)], [.int(4)]])
        #expect(result.lines == [1, 2, 3, 5])
        #expect(result.offsets == [0, 9, 18, 28])
    }

    @Test func corruptGzipThrowsWithFileAndOffset() async throws {
        let dir = try TempDirectory("jsonl")
        defer { dir.remove() }
        var text = ""
        for i in 0..<50_000 { text += "{\"n\": \(i)}\n" }
        var compressed = try gzip(text)
        let truncatedPath = try dir.write("truncated.jsonl.gz", Array(compressed.prefix(compressed.count - 100)))
        var reader = try JSONLinesReader(path: truncatedPath, fields: ["n"])
        let truncated = await #expect(throws: DatasetError.self) { while try await reader.next() != nil {} }
        #expect(truncated?.message.hasPrefix(truncatedPath + ": gzip data is truncated") == true)
        #expect(truncated?.message.contains("offset \(compressed.count - 100)") == true)
        for k in 1000..<1100 { compressed[k] ^= 0x5A }
        let corruptPath = try dir.write("corrupt.jsonl.gz", compressed)
        var corrupt = try JSONLinesReader(path: corruptPath, fields: ["n"])
        let error = await #expect(throws: DatasetError.self) { while try await corrupt.next() != nil {} }
        #expect(error?.message.hasPrefix(corruptPath + ": gzip data is corrupt at compressed byte offset") == true)
        #expect(throws: DatasetError.self) { try JSONLinesReader(path: dir.path + "/missing.jsonl", fields: []) }
        #expect(throws: DatasetError.self) { try JSONLinesReader(path: dir.path, fields: []) }
    }

    @Test func readerCopiesAreIndependent() async throws {
        let dir = try TempDirectory("jsonl")
        defer { dir.remove() }
        var text = ""
        for i in 0..<100 { text += "{\"n\": \(i)}\n" }
        var a = try JSONLinesReader(path: try dir.write("c.jsonl.gz", try gzip(text)), fields: ["n"], blockRows: 10)
        _ = try await a.next()
        var b = a
        let fromA = try await a.next()
        let fromB = try await b.next()
        #expect(fromA?.columns == fromB?.columns)
        #expect(fromA?.columns.first?.first == .int(10))
    }

    @Test func millionLinesInBoundedMemory() async throws {
        let dir = try TempDirectory("jsonl")
        defer { dir.remove() }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(40 << 20)
        let lines = 1_000_000
        var expectedSum: Int64 = 0
        for i in 0..<lines {
            if i % 100_000 == 99_999 {
                bytes += Array("{broken\n".utf8)
                continue
            }
            let n = Int64(i % 1000)
            expectedSum += n
            bytes += Array("{\"entity_id\": \"e\(i % 5000)\", \"count\": \(n), \"extra\": [\(i), true]}\n".utf8)
        }
        let path = try dir.write("million.jsonl.gz", try gzip(bytes))
        var reader = try JSONLinesReader(path: path, fields: ["entity_id", "count"])
        var rows = 0
        var sum: Int64 = 0
        var rejected: [Int] = []
        var maxBuffer = 0
        while let block = try await reader.next() {
            rows += block.count
            for case .int(let n) in block.columns[1] { sum += n }
            rejected += block.rejected.map(\.lineNumber)
            maxBuffer = max(maxBuffer, reader.bufferCapacity)
        }
        #expect(rows == lines - 10)
        #expect(sum == expectedSum)
        #expect(rejected == (1...10).map { $0 * 100_000 })
        #expect(reader.linesRead == lines)
        #expect(reader.bytesRead == Int64(bytes.count))
        #expect(maxBuffer <= 1 << 20)  // the decompressed data is never held whole
    }
}
