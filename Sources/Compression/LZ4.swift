// LZ4 through liblz4.so.1, loaded at run time: raw blocks (Parquet LZ4_RAW),
// the Hadoop framing of the deprecated Parquet LZ4 codec, and the LZ4 frame
// format as a last-resort fallback when reading.

/// The liblz4 functions we use, resolved once.
struct LZ4API: @unchecked Sendable {
    typealias DecompressSafeFn = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int32, Int32) -> Int32
    typealias CompressDefaultFn = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int32, Int32) -> Int32
    typealias CompressBoundFn = @convention(c) (Int32) -> Int32
    typealias FCreateDCtxFn = @convention(c) (UnsafeMutablePointer<OpaquePointer?>?, UInt32) -> Int
    typealias FFreeDCtxFn = @convention(c) (OpaquePointer?) -> Int
    typealias FDecompressFn = @convention(c) (
        OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?, UnsafeRawPointer?,
        UnsafeMutablePointer<Int>?, UnsafeRawPointer?
    ) -> Int
    typealias FIsErrorFn = @convention(c) (Int) -> UInt32
    typealias FGetErrorNameFn = @convention(c) (Int) -> UnsafePointer<CChar>?

    let decompressSafe: DecompressSafeFn
    let compressDefault: CompressDefaultFn
    let compressBound: CompressBoundFn

    /// LZ4 frame decoding, present in every liblz4 since 1.7; optional.
    struct Frame {
        let createDCtx: FCreateDCtxFn
        let freeDCtx: FFreeDCtxFn
        let decompress: FDecompressFn
        let isError: FIsErrorFn
        let getErrorName: FGetErrorNameFn
    }
    let frame: Frame?

    static func load() -> Result<LZ4API, CompressionError> {
        let lib = lz4Library
        guard lib.isLoaded else { return .failure(lib.missingError(codec: "LZ4")) }
        func sym<T>(_ name: String, _ type: T.Type) throws -> T {
            guard let f = lib.symbol(name, as: type) else { throw missingSymbolError(name, in: lib) }
            return f
        }
        do {
            var frame: Frame?
            if let c = lib.symbol("LZ4F_createDecompressionContext", as: FCreateDCtxFn.self),
                let f = lib.symbol("LZ4F_freeDecompressionContext", as: FFreeDCtxFn.self),
                let d = lib.symbol("LZ4F_decompress", as: FDecompressFn.self),
                let e = lib.symbol("LZ4F_isError", as: FIsErrorFn.self),
                let n = lib.symbol("LZ4F_getErrorName", as: FGetErrorNameFn.self)
            {
                frame = Frame(createDCtx: c, freeDCtx: f, decompress: d, isError: e, getErrorName: n)
            }
            return .success(
                LZ4API(
                    decompressSafe: try sym("LZ4_decompress_safe", DecompressSafeFn.self),
                    compressDefault: try sym("LZ4_compress_default", CompressDefaultFn.self),
                    compressBound: try sym("LZ4_compressBound", CompressBoundFn.self),
                    frame: frame))
        } catch {
            return .failure(error as! CompressionError)
        }
    }
}

/// Loaded on first use; global `let`s are initialised once, thread-safely.
let lz4API: Result<LZ4API, CompressionError> = LZ4API.load()

enum LZ4 {
    /// `LZ4F_VERSION` from lz4frame.h.
    static let frameVersion: UInt32 = 100
    /// Little-endian magic number at the start of an LZ4 frame.
    static let frameMagic: UInt32 = 0x184D_2204

    // MARK: Raw blocks

    /// Decodes one raw LZ4 block with `LZ4_decompress_safe`, which never
    /// writes past `capacity` bytes. Returns the decoded length, or nil when
    /// the block is corrupt or needs more room.
    private static func decodeBlock(
        _ api: LZ4API, _ src: UnsafeRawPointer, _ srcCount: Int, _ dst: UnsafeMutableRawPointer, _ capacity: Int
    ) -> Int? {
        guard let s = Int32(exactly: srcCount), let c = Int32(exactly: capacity) else { return nil }
        let r = api.decompressSafe(
            src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self), s, c)
        return r < 0 ? nil : Int(r)
    }

    /// Parquet `LZ4_RAW`: the whole input is one raw LZ4 block.
    static func decompressRaw(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        let api = try lz4API.get()
        guard input.count <= Int32.max, output.count <= Int32.max else {
            throw CompressionError("LZ4_RAW: blocks larger than 2 GiB are not supported")
        }
        guard let src = input.baseAddress, input.count > 0 else {
            throw CompressionError("LZ4_RAW: empty input, but \(output.count) bytes were expected")
        }
        let dst = output.baseAddress ?? emptyBufferPlaceholder
        guard let n = decodeBlock(api, src, input.count, dst, output.count) else {
            throw CompressionError(
                "LZ4_RAW data is corrupt, or decompresses to more than the expected \(output.count) bytes")
        }
        return n
    }

    // MARK: Parquet LZ4 (Hadoop framing, with fallbacks)

    /// Parquet `LZ4`: tries the Hadoop framing first, then a single raw block,
    /// then the LZ4 frame format; writers have produced all three.
    static func decompressHadoopOrFallback(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws -> Int {
        let api = try lz4API.get()
        guard let src = input.baseAddress, input.count > 0 else {
            throw CompressionError("LZ4: empty input, but \(output.count) bytes were expected")
        }
        let dst = output.baseAddress ?? emptyBufferPlaceholder
        if let n = decodeHadoop(api, src, input.count, dst, output.count) { return n }
        if let n = decodeBlock(api, src, input.count, dst, output.count), n == output.count { return n }
        let looksLikeFrame = input.count >= 4 && UInt32(littleEndian: src.loadUnaligned(as: UInt32.self)) == frameMagic
        if let frame = api.frame {
            do {
                return try decodeFrames(frame, input, dst, output.count)
            } catch let error as CompressionError where looksLikeFrame {
                throw error
            } catch {}
        }
        throw CompressionError(
            "LZ4 data is corrupt: it decodes neither as Hadoop-framed LZ4 blocks, nor as a raw LZ4 block, "
                + "nor as an LZ4 frame, of the expected \(output.count) bytes")
    }

    /// Hadoop's BlockCompressorStream layout: chunks of
    /// [uncompressed length, 4 bytes big-endian] followed by one or more
    /// [compressed length, 4 bytes big-endian][raw LZ4 block] until the chunk's
    /// uncompressed length is reached. Returns nil unless the whole input
    /// parses exactly and fills `capacity` bytes.
    private static func decodeHadoop(
        _ api: LZ4API, _ src: UnsafeRawPointer, _ count: Int, _ dst: UnsafeMutableRawPointer, _ capacity: Int
    ) -> Int? {
        func be32(_ at: Int) -> Int { Int(UInt32(bigEndian: src.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
        var ip = 0
        var op = 0
        while ip < count {
            guard count - ip >= 8 else { return nil }
            let chunkLength = be32(ip)
            guard chunkLength <= capacity - op else { return nil }
            ip += 4
            var chunkProduced = 0
            var first = true
            // The first block is read even for an empty chunk (Arrow writes one).
            while first || chunkProduced < chunkLength {
                guard count - ip >= 4 else { return nil }
                let blockLength = be32(ip)
                ip += 4
                guard blockLength <= count - ip, blockLength > 0 else { return nil }
                guard
                    let n = decodeBlock(
                        api, src + ip, blockLength, dst + op + chunkProduced, chunkLength - chunkProduced)
                else { return nil }
                guard first || n > 0 else { return nil }
                ip += blockLength
                chunkProduced += n
                first = false
            }
            op += chunkProduced
        }
        return op == capacity ? op : nil
    }

    /// Decodes one or more LZ4 frames with LZ4F_decompress, never writing
    /// beyond `capacity` bytes.
    private static func decodeFrames(
        _ frame: LZ4API.Frame, _ input: UnsafeRawBufferPointer, _ dst: UnsafeMutableRawPointer, _ capacity: Int
    ) throws -> Int {
        var dctx: OpaquePointer?
        let created = frame.createDCtx(&dctx, frameVersion)
        guard frame.isError(created) == 0, let dctx else {
            throw CompressionError("LZ4: could not create a frame decompression context")
        }
        defer { _ = frame.freeDCtx(dctx) }
        var consumed = 0
        var produced = 0
        var pending = 1  // LZ4F's hint; 0 once a frame is complete
        while consumed < input.count {
            var dstSize = capacity - produced
            var srcSize = input.count - consumed
            let hint = frame.decompress(
                dctx, dst + produced, &dstSize, input.baseAddress! + consumed, &srcSize, nil)
            if frame.isError(hint) != 0 {
                let name = frame.getErrorName(hint).map { String(cString: $0) } ?? "error"
                throw CompressionError("LZ4 frame data is corrupt: \(name)")
            }
            produced += dstSize
            consumed += srcSize
            pending = hint
            if dstSize == 0 && srcSize == 0 {
                if produced == capacity {
                    throw CompressionError("LZ4 frame data decompresses to more than the expected \(capacity) bytes")
                }
                throw CompressionError("LZ4 frame data is truncated")
            }
        }
        // Flush anything LZ4F still holds once all input has been consumed.
        while pending != 0 {
            var dstSize = capacity - produced
            var srcSize = 0
            let hint = frame.decompress(dctx, dst + produced, &dstSize, input.baseAddress! + consumed, &srcSize, nil)
            if frame.isError(hint) != 0 {
                let name = frame.getErrorName(hint).map { String(cString: $0) } ?? "error"
                throw CompressionError("LZ4 frame data is corrupt: \(name)")
            }
            produced += dstSize
            pending = hint
            if dstSize == 0 {
                if produced == capacity && hint != 0 {
                    throw CompressionError("LZ4 frame data decompresses to more than the expected \(capacity) bytes")
                }
                if hint != 0 { throw CompressionError("LZ4 frame data is truncated") }
            }
        }
        return produced
    }

    // MARK: Compression

    /// One raw LZ4 block (`LZ4_compress_default`).
    static func compressRaw(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        let api = try lz4API.get()
        return try compressBlock(api, input, headerBytes: 0)
    }

    /// Hadoop framing of a single block:
    /// [uncompressed length BE32][compressed length BE32][raw LZ4 block].
    static func compressHadoop(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        let api = try lz4API.get()
        var out = try compressBlock(api, input, headerBytes: 8)
        let compressedLength = UInt32(out.count - 8)
        let uncompressedLength = UInt32(input.count)
        out.withUnsafeMutableBytes { b in
            b.storeBytes(of: uncompressedLength.bigEndian, toByteOffset: 0, as: UInt32.self)
            b.storeBytes(of: compressedLength.bigEndian, toByteOffset: 4, as: UInt32.self)
        }
        return out
    }

    /// Compresses `input` into a new array after `headerBytes` reserved bytes.
    private static func compressBlock(_ api: LZ4API, _ input: UnsafeRawBufferPointer, headerBytes: Int) throws
        -> [UInt8]
    {
        guard let n = Int32(exactly: input.count), n <= 0x7E00_0000 else {
            throw CompressionError("LZ4: input of \(input.count) bytes is too large for one LZ4 block")
        }
        let bound = Int(api.compressBound(n))
        guard bound > 0 else { throw CompressionError("LZ4: input of \(input.count) bytes is too large") }
        let src = input.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(emptyBufferPlaceholder)
        var failed = false
        let out = [UInt8](unsafeUninitializedCapacity: headerBytes + bound) { buffer, count in
            let dst = UnsafeMutableRawPointer(buffer.baseAddress!) + headerBytes
            let r = api.compressDefault(
                src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self), n, Int32(bound))
            if r <= 0 {
                failed = true
                count = 0
            } else {
                // Zero the header; the caller fills it in.
                UnsafeMutableRawPointer(buffer.baseAddress!).initializeMemory(
                    as: UInt8.self, repeating: 0, count: headerBytes)
                count = headerBytes + Int(r)
            }
        }
        if failed { throw CompressionError("LZ4 compression failed") }
        return out
    }
}
