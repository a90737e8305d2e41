import Compression
import Foundation
import TestSupport
import Testing
@testable import Parquet

/// Real-world files (the shared apache/parquet-testing corpus) read by our reader, written again by our writer with
/// other layouts, and read back: every row must come out the same.
@Suite struct WriterTranscodeTests {
    /// Corpus files the reader accepts (flat and nested).
    static var names: [String] {
        Corpus.expectedNames.filter { !$0.contains("corrupt-checksum") }.filter {
            Corpus.dataFile(for: $0).deletingLastPathComponent().lastPathComponent == "data"
        }
    }

    static let layouts: [(String, ParquetWriterOptions)] = {
        var b = ParquetWriterOptions()
        b.codec = Codecs.isAvailable(.zstd) ? .zstd : .gzip
        b.dataPageVersion = 2
        b.dictionary = false
        b.dataPageSize = 256
        b.rowGroupRowLimit = 700
        b.writePageChecksums = true
        var c = SparkStyle.options(schema: [])
        c.keyValueMetadata = []
        c.dictionaryPageSizeLimit = 64
        c.dataPageSize = 100
        return [("v2-plain-checksums", b), ("spark-fallback", c)]
    }()

    @Test(arguments: names)
    func transcodes(_ expected: String) async throws {
        let file = Corpus.dataFile(for: expected)
        let reader = try await ParquetFileReader.open(try LocalFileSource(path: file.path))
        // Every file the reader reads, flat or nested, must get a writer schema: an error here fails the test.
        let specs = try ParquetSchemaNode.fields(of: reader.schema)
        #expect(!specs.isEmpty, "\(expected) has no columns")
        let original = try await catJSONLines(reader)
        for (label, options) in Self.layouts {
            let writer = try ParquetWriter(fields: specs, options: options)
            for g in reader.metadata.rowGroups.indices {
                try writer.write(try await reader.readRowGroup(g))
            }
            let bytes = try writer.finish()
            let copy = try await catJSONLines(try ParquetFileReader.open(MemorySource(name: "\(expected) (\(label))", bytes: bytes)))
            #expect(copy.count == original.count, "\(expected) \(label): \(copy.count) rows, original \(original.count)")
            if let i = zip(copy, original).enumerated().first(where: { $0.element.0 != $0.element.1 && !writerSameJSON([$0.element.0], [$0.element.1]) })?.offset {
                Issue.record("\(expected) \(label) row \(i):\n  copy     \(copy[i])\n  original \(original[i])")
            }
        }
    }

    @Test func rewritesNestedFiles() async throws {
        // Nested corpus files get a writer schema of the same shape, and their batches are accepted.
        var nested = 0
        for name in Self.names {
            let reader = try await ParquetFileReader.open(try LocalFileSource(path: Corpus.dataFile(for: name).path))
            guard reader.schema.columns.contains(where: { $0.path.count > 1 || $0.maxRepetitionLevel > 0 }),
                  reader.metadata.rowGroups.count > 0,
                  let fields = try? ParquetSchemaNode.fields(of: reader.schema),
                  let writer = try? ParquetWriter(fields: fields) else { continue }
            #expect(writer.leafPaths == reader.schema.columns.map(\.dottedPath))
            try writer.write(try await reader.readRowGroup(0))
            nested += 1
        }
        #expect(nested > 0)
    }

    @Test func writesNestedRows() async throws {
        let fields: [ParquetSchemaNode] = [
            .column(.int64("id", nullable: false)),
            .list("tags", element: .column(.string("element"))),
            .map("attrs", key: .column(.string("key")), value: .column(.int32("value"))),
            .group("s", [.column(.int32("a")), .list("b", element: .column(.decimal("element", precision: 18, scale: 2, nullable: false)), nullable: false)]),
            .repeated(.column(.int32("r", nullable: false))),
        ]
        var options = ParquetWriterOptions()
        options.dataPageVersion = 2
        options.dataPageSize = 16
        options.columns["tags.list.element"] = ParquetColumnOptions(encoding: .deltaByteArray, dictionary: false)
        let writer = try ParquetWriter(fields: fields, options: options)
        #expect(writer.leafPaths == ["id", "tags.list.element", "attrs.key_value.key", "attrs.key_value.value", "s.a", "s.b.list.element", "r"])
        try writer.write(rows: [
            [.int64(1), .list([.string("x"), .null, .string("y")]), .map([ParquetMapEntry(.string("k"), .int32(7))]),
             .group([.int32(3), .list([.int64(12345), .int64(-1)])]), .list([.int32(1), .int32(2)])],
            [.int64(2), .null, .map([]), .null, .null],
            [.int64(3), .list([]), .null, .group([.null, .list([])]), .list([.int32(9)])],
        ])
        #expect(throws: ParquetError.self) { try writer.write(rows: [[.null, .null, .null, .null, .null]]) }
        let bytes = try writer.finish()
        let lines = try await catJSONLines(try ParquetFileReader.open(MemorySource(name: "nested", bytes: bytes)))
        let want = [
            #"{"id": 1, "tags": ["x", null, "y"], "attrs": [{"key": "k", "value": 7}], "s": {"a": 3, "b": ["123.45", "-0.01"]}, "r": [1, 2]}"#,
            #"{"id": 2, "tags": null, "attrs": [], "s": null, "r": []}"#,
            #"{"id": 3, "tags": [], "attrs": null, "s": {"a": null, "b": []}, "r": [9]}"#,
        ]
        #expect(lines.count == 3)
        for (got, expected) in zip(lines, want) {
            #expect(writerSameJSON([got], [expected]), "got \(got)\nwant \(expected)")
        }
    }
}
