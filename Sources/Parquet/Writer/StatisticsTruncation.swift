/// Shortening of long byte-string min/max values, as parquet-mr's `BinaryTruncator` does: a prefix is a valid
/// lower bound; a prefix whose last byte (for UTF-8 text, last character) is incremented is a valid upper bound.
enum StatisticsTruncation {
    /// A lower bound of at most `limit` bytes (for valid UTF-8 `utf8` text, cut at a character boundary).
    static func truncatedMin(_ bytes: [UInt8], limit: Int, utf8: Bool) -> [UInt8] {
        guard bytes.count > limit else { return bytes }
        if utf8, String(validating: bytes, as: UTF8.self) != nil {
            return Array(bytes[..<characterBoundary(bytes, atMost: limit)])
        }
        return Array(bytes[..<limit])
    }

    /// An upper bound of at most `limit` bytes, or nil when there is none shorter than the value (every byte 0xFF).
    static func truncatedMax(_ bytes: [UInt8], limit: Int, utf8: Bool) -> [UInt8]? {
        guard bytes.count > limit else { return bytes }
        if utf8, let text = String(validating: bytes, as: UTF8.self) {
            var scalars: [Unicode.Scalar] = []
            var size = 0
            for scalar in text.unicodeScalars {
                let n = UTF8.width(scalar)
                if size + n > limit { break }
                scalars.append(scalar)
                size += n
            }
            while let last = scalars.popLast() {
                var v = last.value + 1
                if (0xD800...0xDFFF).contains(v) { v = 0xE000 }
                guard let next = Unicode.Scalar(v) else { continue }  // past U+10FFFF: drop it and carry
                var out: [UInt8] = []
                for s in scalars + [next] { out.append(contentsOf: String(s).utf8) }
                if out.count <= limit { return out }
            }
            return nil
        }
        var out = Array(bytes[..<limit])
        while let last = out.popLast() {
            if last < 0xFF {
                out.append(last + 1)
                return out
            }
        }
        return nil
    }

    /// The largest index ≤ `limit` that starts a UTF-8 character (or ends the bytes).
    private static func characterBoundary(_ bytes: [UInt8], atMost limit: Int) -> Int {
        var cut = limit
        while cut > 0 && cut < bytes.count && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        return cut
    }
}
