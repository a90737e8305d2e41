/// Decodes the value section of a page (after levels) for each encoding the reader supports.
enum PageValues {
    /// PLAIN values (also the dictionary page's encoding).
    static func decodePlain(_ body: UnsafeRawBufferPointer, physical: PhysicalType, width: Int, count: Int) throws -> ColumnData {
        switch physical {
        case .boolean: return .boolean(try PlainDecoder.decodeBooleans(body, count: count).values)
        case .int32: return .int32(try PlainDecoder.decodeInt32(body, count: count).values)
        case .int64: return .int64(try PlainDecoder.decodeInt64(body, count: count).values)
        case .int96: return .int96(try PlainDecoder.decodeInt96(body, count: count).values)
        case .float: return .float(try PlainDecoder.decodeFloat(body, count: count).values)
        case .double: return .double(try PlainDecoder.decodeDouble(body, count: count).values)
        case .byteArray: return .byteArray(try PlainDecoder.decodeByteArrays(body, count: count).values)
        case .fixedLenByteArray: return .fixedLenByteArray(try PlainDecoder.decodeFixedByteArrays(body, count: count, width: width).values)
        }
    }

    /// Dictionary indices (bit-width byte + RLE hybrid), each checked against the dictionary size.
    static func decodeIndices(_ body: UnsafeRawBufferPointer, count: Int, dictionarySize: Int, into out: UnsafeMutablePointer<Int32>) throws {
        try DictionaryIndexDecoder.decodeDictionaryIndices(body, count: count, dictionarySize: dictionarySize, into: out)
    }

    /// Any non-dictionary encoding.
    static func decode(_ body: UnsafeRawBufferPointer, encoding: Encoding, physical: PhysicalType, width: Int, count: Int) throws -> ColumnData {
        switch (encoding, physical) {
        case (.plain, _):
            return try decodePlain(body, physical: physical, width: width, count: count)
        case (.rle, .boolean):
            // RLE booleans: 4-byte length prefix, then the RLE/bit-packed hybrid with bit width 1.
            guard body.count >= 4 || count == 0 else { throw EncodingError("RLE boolean page has no length prefix") }
            if count == 0 { return .boolean([]) }
            let length = Int(body.loadUnaligned(fromByteOffset: 0, as: UInt32.self).littleEndian)
            guard length <= body.count - 4 else { throw EncodingError("RLE boolean run length \(length) exceeds the page (\(body.count - 4) bytes)") }
            var decoder = try RLEHybridDecoder(UnsafeRawBufferPointer(rebasing: body[4..<(4 + length)]), bitWidth: 1)
            var bits = [UInt8](repeating: 0, count: count)
            try bits.withUnsafeMutableBufferPointer { try decoder.decode(count: count, into: $0.baseAddress!) }
            return .boolean(bits.map { $0 != 0 })
        case (.deltaBinaryPacked, .int32):
            return .int32(try DeltaBinaryPackedDecoder.decodeInt32(body, count: count).values)
        case (.deltaBinaryPacked, .int64):
            return .int64(try DeltaBinaryPackedDecoder.decodeInt64(body, count: count).values)
        case (.deltaLengthByteArray, .byteArray):
            return .byteArray(try DeltaByteArrayDecoder.decodeDeltaLength(body, count: count).values)
        case (.deltaByteArray, .byteArray):
            return .byteArray(try DeltaByteArrayDecoder.decodeDelta(body, count: count).values)
        case (.deltaByteArray, .fixedLenByteArray):
            return .fixedLenByteArray(try DeltaByteArrayDecoder.decodeDeltaFixed(body, count: count, width: width).values)
        case (.byteStreamSplit, .float):
            return .float(try ByteStreamSplit.decodeFloat(body, count: count).values)
        case (.byteStreamSplit, .double):
            return .double(try ByteStreamSplit.decodeDouble(body, count: count).values)
        case (.byteStreamSplit, .int32):
            return .int32(try ByteStreamSplit.decodeInt32(body, count: count).values)
        case (.byteStreamSplit, .int64):
            return .int64(try ByteStreamSplit.decodeInt64(body, count: count).values)
        case (.byteStreamSplit, .fixedLenByteArray):
            return .fixedLenByteArray(try ByteStreamSplit.decodeFixedByteArrays(body, count: count, width: width).values)
        default:
            throw EncodingError("encoding \(encoding) is not valid for \(physical) values")
        }
    }
}
