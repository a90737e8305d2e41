import Foundation
import Testing
@testable import Parquet

/// The apache/parquet-testing corpus in ../shared: every expected output equal by value to ours.
@Suite struct ConformanceTests {
    @Test(arguments: Corpus.expectedNames)
    func matchesExpected(_ expected: String) async throws {
        let file = Corpus.dataFile(for: expected)
        let want = try String(contentsOf: Corpus.parquet.appendingPathComponent("expected/" + expected), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        // Files with a deliberately corrupt CRC have expected rows too: read them without verification.
        let got = try await catJSONLines(file.path, verifyChecksums: !expected.contains("corrupt-checksum"))
        #expect(got.count == want.count, "\(expected): \(got.count) rows, expected \(want.count)")
        for (i, (g, w)) in zip(got, want).enumerated() {
            guard let gv = parseJSON(g) else {
                Issue.record("\(expected) row \(i): our output is not JSON: \(g)")
                return
            }
            let wv = parseJSON(w)!
            if !jsonEqual(gv, wv) {
                Issue.record("\(expected) row \(i):\n  got  \(g)\n  want \(w)")
                return
            }
        }
    }

    /// Our pyarrow-made fixtures (scripts/make-fixtures.py): every type × codec × page version × dictionary × nulls.
    @Test(arguments: Corpus.files(Corpus.fixtures.appendingPathComponent("expected"), suffix: ".jsonl"))
    func matchesFixture(_ expected: String) async throws {
        let file = Corpus.fixtures.appendingPathComponent("generated/" + String(expected.dropLast(".jsonl".count)))
        let want = try String(contentsOf: Corpus.fixtures.appendingPathComponent("expected/" + expected), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let got = try await catJSONLines(file.path)
        #expect(got.count == want.count, "\(expected): \(got.count) rows, expected \(want.count)")
        for (i, (g, w)) in zip(got, want).enumerated() {
            guard let gv = parseJSON(g) else {
                Issue.record("\(expected) row \(i): our output is not JSON: \(g)")
                return
            }
            if !jsonEqual(gv, parseJSON(w)!) {
                Issue.record("\(expected) row \(i):\n  got  \(g)\n  want \(w)")
                return
            }
        }
    }

    @Test(arguments: Corpus.badFiles)
    func rejectsBadFile(_ name: String) async throws {
        let path = Corpus.parquet.appendingPathComponent(name).path
        do {
            _ = try await catJSONLines(path)
            Issue.record("\(name) was read without an error")
        } catch let error as ParquetError {
            let text = "\(error)"
            #expect(text.contains(name.split(separator: "/").last!), "error does not name the file: \(text)")
            #expect(!text.contains("\n"), "error is not one line: \(text)")
        }
    }

    @Test func corruptChecksumReadsWhenVerificationIsOff() async throws {
        let path = Corpus.parquet.appendingPathComponent("data/datapage_v1-corrupt-checksum.parquet").path
        let lines = try await catJSONLines(path, verifyChecksums: false)
        #expect(lines.count == 5120)
    }

    @Test func checksumErrorNamesColumnPageAndOffset() async throws {
        let path = Corpus.parquet.appendingPathComponent("data/datapage_v1-corrupt-checksum.parquet").path
        await #expect {
            _ = try await catJSONLines(path)
        } throws: { error in
            let text = "\(error)"
            return text.contains("column 'a'") && text.contains("row group 0") && text.contains("page 0") && text.contains("byte ")
                && text.contains("CRC")
        }
    }
}
