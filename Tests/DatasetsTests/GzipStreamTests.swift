import Compression
import TestSupport
import Testing

private func sampleText(_ n: Int) -> [UInt8] {
    var out: [UInt8] = []
    var rng = SeededRNG(seed: 12345)
    for i in 0..<n {
        out += Array("line \(i) value \(rng.next() >> 40)\n".utf8)
    }
    return out
}

@Suite struct GzipStreamTests {
    @Test func inflatesInSmallChunks() throws {
        let original = sampleText(20_000)
        let compressed = try gzip(original)
        for chunk in [1, 7, 4096, compressed.count] {
            var inflater = try GzipInflater()
            var out: [UInt8] = []
            var offset = 0
            while offset < compressed.count {
                let piece = Array(compressed[offset..<min(offset + chunk, compressed.count)])
                out += try inflater.feed(piece)
                offset += chunk
            }
            try inflater.finish()
            #expect(out == original)
            #expect(inflater.totalIn == Int64(compressed.count))
            #expect(inflater.totalOut == Int64(original.count))
            #expect(inflater.membersCompleted == 1)
        }
    }

    @Test func smallOutputBuffer() throws {
        let original = sampleText(3000)
        let compressed = try gzip(original)
        var inflater = try GzipInflater()
        var out: [UInt8] = []
        var window = [UInt8](repeating: 0, count: 100)
        try compressed.withUnsafeBytes { input in
            var offset = 0
            while true {
                let rest = UnsafeRawBufferPointer(rebasing: input[offset...])
                let (consumed, produced) = try window.withUnsafeMutableBytes { try inflater.inflate(rest, into: $0) }
                offset += consumed
                out += window[..<produced]
                if produced < window.count && offset == input.count { break }
            }
        }
        try inflater.finish()
        #expect(out == original)
    }

    @Test func concatenatedMembersAndPadding() throws {
        let a = Array("first member\n".utf8)
        let b = sampleText(500)
        let both = try gzip(a) + gzip(b) + [0, 0, 0, 0]
        var inflater = try GzipInflater()
        #expect(try inflater.feed(both) == a + b)
        try inflater.finish()
        #expect(inflater.membersCompleted == 2)
        // Byte by byte across the member boundary.
        var slow = try GzipInflater()
        var out: [UInt8] = []
        for byte in both { out += try slow.feed([byte]) }
        try slow.finish()
        #expect(out == a + b)
    }

    @Test func errorsNameTheCompressedOffset() throws {
        let compressed = try gzip(sampleText(2000))
        // Truncated.
        var t = try GzipInflater()
        _ = try t.feed(Array(compressed.prefix(compressed.count / 2)))
        #expect(!t.isAtEnd)
        let truncated = #expect(throws: CompressionError.self) { try t.finish() }
        #expect(truncated?.message.contains("truncated") == true)
        #expect(truncated?.message.contains("offset \(compressed.count / 2)") == true)
        // Corrupt deflate data.
        var corrupt = compressed
        for k in 20..<40 { corrupt[k] = 0xFF }
        var c = try GzipInflater()
        let error = #expect(throws: CompressionError.self) { _ = try c.feed(corrupt) }
        #expect(error?.message.contains("corrupt at compressed byte offset") == true)
        // Errors are sticky.
        #expect(throws: CompressionError.self) { _ = try c.feed([1, 2, 3]) }
        // Garbage after padding.
        var g = try GzipInflater()
        let garbage = #expect(throws: CompressionError.self) { _ = try g.feed(compressed + [0, 0, 7]) }
        #expect(garbage?.message.contains("offset \(compressed.count + 2)") == true)
    }

    @Test func copiesAreIndependent() throws {
        let original = sampleText(5000)
        let compressed = try gzip(original)
        var a = try GzipInflater()
        let half = compressed.count / 2
        let first = try a.feed(Array(compressed[..<half]))
        var b = a
        let restA = try a.feed(Array(compressed[half...]))
        let restB = try b.feed(Array(compressed[half...]))
        #expect(restA == restB)
        #expect(first + restA == original)
        try a.finish()
        try b.finish()
    }

    @Test func emptyInput() throws {
        let inflater = try GzipInflater()
        #expect(inflater.isAtEnd)
        try inflater.finish()
    }
}
