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

    @inline(__always)
    static func swapBlocks(_ a: inout UInt64, _ b: inout UInt64, _ shift: UInt64, _ mask: UInt64) {
        let t = ((a &>> shift) ^ b) & mask
        b ^= t
        a ^= t &<< shift
    }

    /// 8-byte values: 8 values at a time, as an 8x8 byte-matrix transpose in registers.
    static func unsplit8(_ src: UnsafeRawPointer, _ count: Int, _ dst: UnsafeMutableRawPointer) {
        let blocks = count / 8
        for blk in 0..<blocks {
            let i = blk &* 8
            @inline(__always) func row(_ j: Int) -> UInt64 {
                UInt64(littleEndian: src.loadUnaligned(fromByteOffset: j &* count &+ i, as: UInt64.self))
            }
            var r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5), r6 = row(6), r7 = row(7)
            let m32: UInt64 = 0x0000_0000_FFFF_FFFF, m16: UInt64 = 0x0000_FFFF_0000_FFFF, m8: UInt64 = 0x00FF_00FF_00FF_00FF
            swapBlocks(&r0, &r4, 32, m32); swapBlocks(&r1, &r5, 32, m32); swapBlocks(&r2, &r6, 32, m32); swapBlocks(&r3, &r7, 32, m32)
            swapBlocks(&r0, &r2, 16, m16); swapBlocks(&r1, &r3, 16, m16); swapBlocks(&r4, &r6, 16, m16); swapBlocks(&r5, &r7, 16, m16)
            swapBlocks(&r0, &r1, 8, m8); swapBlocks(&r2, &r3, 8, m8); swapBlocks(&r4, &r5, 8, m8); swapBlocks(&r6, &r7, 8, m8)
            let o = i &* 8
            dst.storeBytes(of: r0.littleEndian, toByteOffset: o, as: UInt64.self)
            dst.storeBytes(of: r1.littleEndian, toByteOffset: o &+ 8, as: UInt64.self)
            dst.storeBytes(of: r2.littleEndian, toByteOffset: o &+ 16, as: UInt64.self)
            dst.storeBytes(of: r3.littleEndian, toByteOffset: o &+ 24, as: UInt64.self)
            dst.storeBytes(of: r4.littleEndian, toByteOffset: o &+ 32, as: UInt64.self)
            dst.storeBytes(of: r5.littleEndian, toByteOffset: o &+ 40, as: UInt64.self)
            dst.storeBytes(of: r6.littleEndian, toByteOffset: o &+ 48, as: UInt64.self)
            dst.storeBytes(of: r7.littleEndian, toByteOffset: o &+ 56, as: UInt64.self)
        }
        for i in (blocks &* 8)..<count {
            for j in 0..<8 {
                dst.storeBytes(of: src.load(fromByteOffset: j &* count &+ i, as: UInt8.self), toByteOffset: i &* 8 &+ j, as: UInt8.self)
            }
        }
    }

    /// 4-byte values: 8 values at a time, as two 4x4 byte-matrix transposes in the halves of 4 registers.
    static func unsplit4(_ src: UnsafeRawPointer, _ count: Int, _ dst: UnsafeMutableRawPointer) {
        let blocks = count / 8
        for blk in 0..<blocks {
            let i = blk &* 8
            @inline(__always) func row(_ j: Int) -> UInt64 {
                UInt64(littleEndian: src.loadUnaligned(fromByteOffset: j &* count &+ i, as: UInt64.self))
            }
            var r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3)
            let m16: UInt64 = 0x0000_FFFF_0000_FFFF, m8: UInt64 = 0x00FF_00FF_00FF_00FF
            swapBlocks(&r0, &r2, 16, m16); swapBlocks(&r1, &r3, 16, m16)
            swapBlocks(&r0, &r1, 8, m8); swapBlocks(&r2, &r3, 8, m8)
            let o = i &* 4
            dst.storeBytes(of: UInt32(truncatingIfNeeded: r0).littleEndian, toByteOffset: o, as: UInt32.self)
            dst.storeBytes(of: UInt32(truncatingIfNeeded: r1).littleEndian, toByteOffset: o &+ 4, as: UInt32.self)
            dst.storeBytes(of: UInt32(truncatingIfNeeded: r2).littleEndian, toByteOffset: o &+ 8, as: UInt32.self)
            dst.storeBytes(of: UInt32(truncatingIfNeeded: r3).littleEndian, toByteOffset: o &+ 12, as: UInt32.self)
            dst.storeBytes(of: UInt32(truncatingIfNeeded: r0 &>> 32).littleEndian, toByteOffset: o &+ 16, as: UInt32.self)
            dst.storeBytes(of: UInt32(truncatingIfNeeded: r1 &>> 32).littleEndian, toByteOffset: o &+ 20, as: UInt32.self)
            dst.storeBytes(of: UInt32(truncatingIfNeeded: r2 &>> 32).littleEndian, toByteOffset: o &+ 24, as: UInt32.self)
            dst.storeBytes(of: UInt32(truncatingIfNeeded: r3 &>> 32).littleEndian, toByteOffset: o &+ 28, as: UInt32.self)
        }
        for i in (blocks &* 8)..<count {
            for j in 0..<4 {
                dst.storeBytes(of: src.load(fromByteOffset: j &* count &+ i, as: UInt8.self), toByteOffset: i &* 4 &+ j, as: UInt8.self)
            }
        }
    }

    /// Reassembles `count` values of `width` bytes from `src` (needs `count * width` bytes) into `dst`.
    static func unsplit(_ src: UnsafeRawPointer, count: Int, width: Int, into dst: UnsafeMutableRawPointer) {
        switch width {
        case 4: unsplit4(src, count, dst)
        case 8: unsplit8(src, count, dst)
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
        guard values.width > 0 else { return [] }
        var out = [UInt8]()
        values.bytes.withUnsafeBytes { encode(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<(values.count * values.width)]), width: values.width, into: &out) }
        return out
    }
}
