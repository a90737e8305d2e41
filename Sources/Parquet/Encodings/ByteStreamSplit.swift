/// BYTE_STREAM_SPLIT: for values of `k` bytes, byte `j` of value `i` is stored at `j * count + i`
/// (k streams of `count` bytes each).
public enum ByteStreamSplit {
    @inline(__always)
    static func unsplitKernel(_ src: UnsafeRawPointer, _ count: Int, _ k: Int, _ dst: UnsafeMutableRawPointer) {
        for i in 0..<count {
            for j in 0..<k {
                dst.storeBytes(of: src.load(fromByteOffset: j &* count &+ i, as: UInt8.self), toByteOffset: i &* k &+ j, as: UInt8.self)
            }
        }
    }

    @inline(__always)
    static func splitKernel(_ src: UnsafeRawPointer, _ count: Int, _ k: Int, _ dst: UnsafeMutableRawPointer) {
        for i in 0..<count {
            for j in 0..<k {
                dst.storeBytes(of: src.load(fromByteOffset: i &* k &+ j, as: UInt8.self), toByteOffset: j &* count &+ i, as: UInt8.self)
            }
        }
    }

    /// Reassembles `count` values of `width` bytes from `src` (needs `count * width` bytes) into `dst`.
    static func unsplit(_ src: UnsafeRawPointer, count: Int, width: Int, into dst: UnsafeMutableRawPointer) {
        switch width {
        case 4: unsplitKernel(src, count, 4, dst)
        case 8: unsplitKernel(src, count, 8, dst)
        case 2: unsplitKernel(src, count, 2, dst)
        case 16: unsplitKernel(src, count, 16, dst)
        default: unsplitKernel(src, count, width, dst)
        }
    }

    static func split(_ src: UnsafeRawPointer, count: Int, width: Int, into dst: UnsafeMutableRawPointer) {
        switch width {
        case 4: splitKernel(src, count, 4, dst)
        case 8: splitKernel(src, count, 8, dst)
        default: splitKernel(src, count, width, dst)
        }
    }

    static func checkSize(_ data: UnsafeRawBufferPointer, count: Int, width: Int) throws -> Int {
        guard count >= 0 else { throw EncodingError("BYTE_STREAM_SPLIT: negative value count \(count)") }
        guard width > 0 else { throw EncodingError("BYTE_STREAM_SPLIT: width \(width) is invalid (must be positive)") }
        guard count <= data.count / width else {
            throw EncodingError("BYTE_STREAM_SPLIT: \(count) values of \(width) bytes need \(count.multipliedReportingOverflow(by: width).partialValue) bytes, \(data.count) available")
        }
        return count * width
    }

    /// Decodes `count` fixed-width values (FLOAT, DOUBLE, INT32, INT64) into `dst`.
    /// - Returns: bytes consumed (`count * MemoryLayout<T>.size`).
    @discardableResult
    public static func decode<T: BitwiseCopyable>(_ data: UnsafeRawBufferPointer, count: Int, into dst: UnsafeMutablePointer<T>) throws -> Int {
        let n = try checkSize(data, count: count, width: MemoryLayout<T>.size)
        if count > 0 { unsplit(data.baseAddress!, count: count, width: MemoryLayout<T>.size, into: UnsafeMutableRawPointer(dst)) }
        return n
    }

    static func decodeArray<T: BitwiseCopyable>(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: [T], bytesConsumed: Int) {
        let n = try checkSize(data, count: count, width: MemoryLayout<T>.size)
        let values = [T](unsafeUninitializedCapacity: count) { buf, k in
            if count > 0 { unsplit(data.baseAddress!, count: count, width: MemoryLayout<T>.size, into: UnsafeMutableRawPointer(buf.baseAddress!)) }
            k = count
        }
        return (values, n)
    }

    public static func decodeFloat(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: [Float], bytesConsumed: Int) { try decodeArray(data, count: count) }
    public static func decodeDouble(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: [Double], bytesConsumed: Int) { try decodeArray(data, count: count) }
    public static func decodeInt32(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: [Int32], bytesConsumed: Int) { try decodeArray(data, count: count) }
    public static func decodeInt64(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: [Int64], bytesConsumed: Int) { try decodeArray(data, count: count) }

    /// FIXED_LEN_BYTE_ARRAY of `width` bytes.
    public static func decodeFixedByteArrays(_ data: UnsafeRawBufferPointer, count: Int, width: Int) throws -> (values: FixedByteArrays, bytesConsumed: Int) {
        let n = try checkSize(data, count: count, width: width)
        let bytes = [UInt8](unsafeUninitializedCapacity: n) { buf, k in
            if n > 0 { unsplit(data.baseAddress!, count: count, width: width, into: UnsafeMutableRawPointer(buf.baseAddress!)) }
            k = n
        }
        return (FixedByteArrays(width: width, bytes: bytes), n)
    }

    // MARK: Encoding

    /// Splits `bytes` (values of `width` bytes each) into `width` streams, appending to `out`.
    public static func encode(bytes: UnsafeRawBufferPointer, width: Int, into out: inout [UInt8]) {
        precondition(width > 0 && bytes.count % width == 0, "BYTE_STREAM_SPLIT: \(bytes.count) bytes are not whole values of \(width) bytes")
        let count = bytes.count / width
        guard count > 0 else { return }
        let encoded = [UInt8](unsafeUninitializedCapacity: bytes.count) { buf, k in
            split(bytes.baseAddress!, count: count, width: width, into: UnsafeMutableRawPointer(buf.baseAddress!))
            k = bytes.count
        }
        out.append(contentsOf: encoded)
    }

    static func encodeArray<T: BitwiseCopyable>(_ values: [T]) -> [UInt8] {
        var out = [UInt8]()
        values.withUnsafeBytes { encode(bytes: $0, width: MemoryLayout<T>.size, into: &out) }
        return out
    }

    public static func encode(_ values: [Float]) -> [UInt8] { encodeArray(values) }
    public static func encode(_ values: [Double]) -> [UInt8] { encodeArray(values) }
    public static func encode(_ values: [Int32]) -> [UInt8] { encodeArray(values) }
    public static func encode(_ values: [Int64]) -> [UInt8] { encodeArray(values) }
    public static func encode(_ values: FixedByteArrays) -> [UInt8] {
        var out = [UInt8]()
        values.bytes.withUnsafeBytes { encode(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<(values.count * values.width)]), width: values.width, into: &out) }
        return out
    }
}
