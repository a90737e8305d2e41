import Foundation
import TestSupport
import Testing
@testable import Parquet

/// Random truncations and byte flips of corpus files must end in an error or a result: never a crash or a hang.
@Suite struct FuzzTests {
    static var smallFiles: [String] {
        Corpus.files(Corpus.parquet.appendingPathComponent("data"), suffix: ".parquet").filter { name in
            let size = (try? FileManager.default.attributesOfItem(atPath: Corpus.parquet.appendingPathComponent("data/" + name).path)[.size] as? Int) ?? 0
            return size > 0 && size < 20_000
        }
    }

    /// Reads everything in the file, returning the number of rows, or throwing.
    static func readAll(_ bytes: [UInt8]) async throws -> Int {
        let reader = try await ParquetFileReader.open(MemorySource(name: "fuzz", bytes: bytes))
        var rows = 0
        for g in reader.metadata.rowGroups.indices {
            let batch = try await reader.readRowGroup(g)
            var assembler = RowAssembler(schema: reader.schema, batch: batch)
            while let row = try assembler.next() {
                _ = RowValue.object(row).json
                rows += 1
            }
        }
        return rows
    }

    @Test(arguments: smallFiles)
    func mutationsNeverCrash(_ name: String) async throws {
        let original = [UInt8](try Data(contentsOf: Corpus.parquet.appendingPathComponent("data/" + name)))
        var rng = SeededRNG(seed: name.utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 })
        var errors = 0, reads = 0
        for round in 0..<150 {
            var bytes = original
            switch round % 3 {
            case 0:
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            case 1:
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
                }
            default:
                // Flip bytes inside the footer, where sizes and offsets live.
                let footer = max(0, bytes.count - 300)
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: footer..<bytes.count, using: &rng)
                    bytes[i] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            do {
                _ = try await Self.readAll(bytes)
                reads += 1
            } catch {
                errors += 1
                #expect(!"\(error)".isEmpty)
            }
        }
        #expect(errors + reads == 150)
        #expect(errors > 0, "no mutation of \(name) was rejected")
    }
}
