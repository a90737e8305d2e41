import Compression
import Foundation
import TestSupport
import Testing
@testable import Parquet

/// Real-world files (the shared apache/parquet-testing corpus) read by our reader, written again by our writer with
/// other layouts, and read back: every row must come out the same.
@Suite struct WriterTranscodeTests {
    /// Flat corpus files the reader accepts.
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
        b.rowGroupSize = 700
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
        let nested = reader.schema.columns.contains { $0.path.count > 1 || $0.maxRepetitionLevel > 0 }
        try skipCase(unless: !nested, "\(expected) has nested columns, which flat specs refuse (refusesNestedColumns checks that)")
        // Every flat column must become a spec the writer takes: an error here fails the test.
        let specs = try reader.schema.columns.map { try ParquetColumnSpec(column: $0) }
        #expect(!specs.isEmpty, "\(expected) has no columns")
        let original = try await catJSONLines(reader)
        for (label, options) in Self.layouts {
            let writer = try ParquetWriter(schema: specs, options: options)
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

    @Test func refusesNestedColumns() async throws {
        // Nested corpus files: their nested leaves cannot become flat specs, nor can their batches be written.
        var checked = 0
        for name in Self.names {
            let reader = try await ParquetFileReader.open(try LocalFileSource(path: Corpus.dataFile(for: name).path))
            let deep = reader.schema.columns.filter { $0.path.count > 1 || $0.maxRepetitionLevel > 0 }
            for column in deep {
                #expect(throws: ParquetError.self) { _ = try ParquetColumnSpec(column: column) }
                checked += 1
            }
            if let column = deep.first, reader.metadata.rowGroups.count > 0 {
                let writer = try ParquetWriter(schema: [.int32("x")])
                let batch = try await reader.readRowGroup(0, columns: [column.index])
                #expect(throws: ParquetError.self) { try writer.write(batch) }
            }
        }
        #expect(checked > 0)
    }
}
