// Manual interoperability check against the reference implementations
// (python-snappy, zstandard, lz4, brotli, gzip), skipped unless
// COMPRESSION_INTEROP_DIR is set. The Python side is a small script that is
// not part of the repository; it
//   1. writes NAME.raw samples and ref-CODEC-NAME.bin files compressed by the
//      reference libraries (codecs: snappy, gzip, zstd, zstdstream — a zstd
//      frame without content size —, lz4raw, lz4hadoop, lz4frame, brotli);
//   2. after this test ran, decompresses the ours-CODEC-NAME.bin files with
//      the reference libraries and compares them with NAME.raw.

import Compression
import Foundation
import Testing

@Test(.enabled(if: ProcessInfo.processInfo.environment["COMPRESSION_INTEROP_DIR"] != nil, "set COMPRESSION_INTEROP_DIR to a directory of reference-library outputs to run it"))
func interoperabilityWithReferenceLibraries() throws {
    let dir = ProcessInfo.processInfo.environment["COMPRESSION_INTEROP_DIR"]!
    let files = try FileManager.default.contentsOfDirectory(atPath: dir)
    let codecs: [String: CompressionCodec] = [
        "snappy": .snappy, "gzip": .gzip, "zstd": .zstd, "zstdstream": .zstd, "lz4raw": .lz4Raw,
        "lz4hadoop": .lz4, "lz4frame": .lz4, "brotli": .brotli,
    ]
    var checked = 0
    for file in files.sorted() where file.hasPrefix("ref-") && file.hasSuffix(".bin") {
        let parts = file.dropFirst(4).dropLast(4).split(separator: "-")
        let codecName = String(parts[0])
        let name = String(parts[1])
        let raw = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name).raw")))
        let compressed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(file)")))
        let codec = try #require(codecs[codecName])
        let out = try decompress(codec, compressed, size: raw.count)
        #expect(out == raw, "\(file)")
        checked += 1
        // Write our own compression of the same sample for the reference side to check.
        if codecName == "zstdstream" || codecName == "lz4frame" { continue }
        let ours = try compress(codec, raw)
        try Data(ours).write(to: URL(fileURLWithPath: "\(dir)/ours-\(codecName)-\(name).bin"))
    }
    print("decoded \(checked) files compressed by the reference libraries")
    #expect(checked > 0)
}
