// A hand-run micro benchmark of Snappy decompression, skipped unless
// SNAPPY_BENCH is set. Run it on an optimised build, e.g.:
//
//   SNAPPY_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter snappyDecompressionThroughput
//
// (`-enable-testing` is only needed because other test targets of the package
// use `@testable import`; this file does not.)

import Compression
import Foundation
import TestSupport
import Testing

/// ~1 MiB pages shaped like Parquet column chunks: PLAIN int64 ids and
/// timestamps, doubles, byte-array strings, low-cardinality strings and
/// bit-packed dictionary indices.
func benchmarkPages(totalBytes: Int, pageSize: Int = 1 << 20, seed: UInt64 = 2024) -> [[UInt8]] {
    var rng = SeededRNG(seed: seed)
    var pages: [[UInt8]] = []
    let countries = ["US", "DE", "FR", "GB", "JP", "BR", "IN", "CN", "NL", "SE"].map { Array($0.utf8) }
    var id: Int64 = 10_000_000
    var ts: Int64 = 1_700_000_000_000_000
    while pages.count * pageSize < totalBytes {
        var page: [UInt8] = []
        page.reserveCapacity(pageSize + 64)
        let kind = pages.count % 6
        while page.count < pageSize {
            switch kind {
            case 0:  // sequential ids
                id += 1
                withUnsafeBytes(of: id.littleEndian) { page += $0 }
            case 1:  // timestamps with jitter
                ts += Int64(rng.next() % 5_000_000)
                withUnsafeBytes(of: ts.littleEndian) { page += $0 }
            case 2:  // prices with two decimals
                let price = Double(rng.next() % 100_000) / 100
                withUnsafeBytes(of: price.bitPattern.littleEndian) { page += $0 }
            case 3:  // PLAIN byte arrays: 4-byte length + text
                let s = textBytes(Int(rng.next() % 40) + 5, seed: rng.next())
                withUnsafeBytes(of: UInt32(s.count).littleEndian) { page += $0 }
                page += s
            case 4:  // low-cardinality strings
                let s = countries[Int(rng.next() % UInt64(rng.next() % 3 == 0 ? 10 : 3))]
                withUnsafeBytes(of: UInt32(s.count).littleEndian) { page += $0 }
                page += s
            default:  // bit-packed dictionary indices (skewed)
                let v = rng.next()
                page.append(UInt8(truncatingIfNeeded: v & (v >> 8) & (v >> 16)))
            }
        }
        pages.append(Array(page.prefix(pageSize)))
    }
    return pages
}

@Test(.enabled(if: ProcessInfo.processInfo.environment["SNAPPY_BENCH"] != nil, "a benchmark: set SNAPPY_BENCH=1 to run it"))
func snappyDecompressionThroughput() throws {
    let pages = benchmarkPages(totalBytes: 100 << 20)
    let compressed = try pages.map { try compress(.snappy, $0) }
    let rawBytes = pages.reduce(0) { $0 + $1.count }
    let compressedBytes = compressed.reduce(0) { $0 + $1.count }
    var output = [UInt8](repeating: 0, count: pages.map(\.count).max()!)
    let clock = ContinuousClock()

    func decodeAll() throws -> Duration {
        try clock.measure {
            for (i, c) in compressed.enumerated() {
                let size = pages[i].count
                _ = try c.withUnsafeBytes { input in
                    try output.withUnsafeMutableBytes { out in
                        try Codecs.decompress(.snappy, input, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<size]))
                    }
                }
            }
        }
    }
    _ = try decodeAll()  // warm up
    var best = Duration.seconds(1000)
    for _ in 0..<10 { best = min(best, try decodeAll()) }
    let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
    let mbps = Double(rawBytes) / 1e6 / seconds

    // Compression speed, for information.
    let compressTime = try clock.measure { for p in pages { _ = try compress(.snappy, p) } }
    let cSeconds = Double(compressTime.components.seconds) + Double(compressTime.components.attoseconds) / 1e18

    print(
        """
        snappy benchmark: \(pages.count) pages, \(rawBytes) bytes raw, \(compressedBytes) bytes compressed \
        (ratio \(String(format: "%.2f", Double(rawBytes) / Double(compressedBytes))))
        snappy decompress: \(String(format: "%.0f", mbps)) MB/s (best of 10, \(String(format: "%.3f", seconds)) s)
        snappy compress: \(String(format: "%.0f", Double(rawBytes) / 1e6 / cSeconds)) MB/s
        """)
    if let dir = ProcessInfo.processInfo.environment["SNAPPY_BENCH_DUMP"] {
        // For comparing with other implementations by hand.
        try Data(pages.joined()).write(to: URL(fileURLWithPath: dir + "/bench-raw.bin"))
        for (i, c) in compressed.enumerated() where i < 6 {
            try Data(c).write(to: URL(fileURLWithPath: dir + "/bench-page\(i).snappy"))
        }
    }
}
