/// Dictionary indices in RLE_DICTIONARY / PLAIN_DICTIONARY data pages: one byte of bit width, then
/// the RLE/bit-packed hybrid (no length prefix).
public enum DictionaryIndexDecoder {
    /// Decodes `count` indices into `dst`, checking each is `< dictionarySize`.
    /// - Returns: bytes consumed.
    @discardableResult
    public static func decodeDictionaryIndices(_ data: UnsafeRawBufferPointer, count: Int, dictionarySize: Int,
                                               into dst: UnsafeMutablePointer<Int32>) throws -> Int {
        guard count >= 0 else { throw EncodingError("negative index count \(count)") }
        if count == 0 { return data.isEmpty ? 0 : 1 }
        guard !data.isEmpty else {
            throw EncodingError("dictionary indices: data is empty, expected a bit-width byte and \(count) indices")
        }
        let w = Int(data[0])
        guard w <= 32 else {
            throw EncodingError("dictionary index bit width \(w) at byte 0 is invalid (max 32)")
        }
        let body = UnsafeRawBufferPointer(rebasing: data[1...])
        var dec = try RLEHybridDecoder(body, bitWidth: w)
        let m: UInt64
        do {
            m = try dec.decodeReturningMax(count: count, into: dst)
        } catch let e as EncodingError {
            throw EncodingError("dictionary indices (after the bit-width byte): \(e.message)")
        }
        if m >= UInt64(max(0, dictionarySize)) {
            for i in 0..<count where Int(dst[i]) >= dictionarySize {
                throw EncodingError("dictionary index \(dst[i]) at position \(i) is out of range for a dictionary of \(dictionarySize) entries")
            }
        }
        return 1 + dec.bytesConsumed
    }

    /// Array-returning convenience.
    public static func decodeDictionaryIndices(_ data: UnsafeRawBufferPointer, count: Int, dictionarySize: Int) throws -> [Int32] {
        guard count >= 0 else { throw EncodingError("negative index count \(count)") }
        return try [Int32](unsafeUninitializedCapacity: count) { buf, initialized in
            if count > 0 {
                try decodeDictionaryIndices(data, count: count, dictionarySize: dictionarySize, into: buf.baseAddress!)
            }
            initialized = count
        }
    }
}

public enum DictionaryIndexEncoder {
    /// Bit-width byte (bits needed for the largest index, or for `dictionarySize - 1` if given) then
    /// RLE/bit-packed hybrid.
    public static func encode(_ indices: UnsafeBufferPointer<Int32>, dictionarySize: Int? = nil) -> [UInt8] {
        var maxIndex: UInt32 = 0
        if let size = dictionarySize, size > 0 { maxIndex = UInt32(truncatingIfNeeded: size - 1) }
        for i in indices { maxIndex = max(maxIndex, UInt32(bitPattern: i)) }
        let w = Varint.bitWidth(UInt64(maxIndex))
        var enc = RLEHybridEncoder(bitWidth: w)
        enc.reserveCapacity(indices.count * w / 8 + 16)
        for i in indices { enc.append(UInt32(bitPattern: i)) }
        var out: [UInt8] = [UInt8(w)]
        out.append(contentsOf: enc.finish())
        return out
    }

    public static func encode(_ indices: [Int32], dictionarySize: Int? = nil) -> [UInt8] {
        indices.withUnsafeBufferPointer { encode($0, dictionarySize: dictionarySize) }
    }
}
