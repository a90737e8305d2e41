// Brotli through libbrotlidec.so.1 / libbrotlienc.so.1, loaded at run time.

/// The libbrotlidec function we use, resolved once.
struct BrotliDecoderAPI: @unchecked Sendable {
    /// BrotliDecoderDecompress(encoded_size, encoded_buffer, *decoded_size, decoded_buffer)
    typealias DecompressFn = @convention(c) (Int, UnsafePointer<UInt8>?, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<UInt8>?)
        -> Int32
    let decompress: DecompressFn

    static func load() -> Result<BrotliDecoderAPI, CompressionError> {
        let lib = brotliDecoderLibrary
        guard lib.isLoaded else { return .failure(lib.missingError(codec: "BROTLI decompression")) }
        guard let f = lib.symbol("BrotliDecoderDecompress", as: DecompressFn.self) else {
            return .failure(missingSymbolError("BrotliDecoderDecompress", in: lib))
        }
        return .success(BrotliDecoderAPI(decompress: f))
    }
}

/// The libbrotlienc functions we use, resolved once.
struct BrotliEncoderAPI: @unchecked Sendable {
    /// BrotliEncoderCompress(quality, lgwin, mode, input_size, input_buffer, *encoded_size, encoded_buffer)
    typealias CompressFn = @convention(c) (
        Int32, Int32, Int32, Int, UnsafePointer<UInt8>?, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<UInt8>?
    ) -> Int32
    typealias MaxCompressedSizeFn = @convention(c) (Int) -> Int
    let compress: CompressFn
    let maxCompressedSize: MaxCompressedSizeFn

    static func load() -> Result<BrotliEncoderAPI, CompressionError> {
        let lib = brotliEncoderLibrary
        guard lib.isLoaded else { return .failure(lib.missingError(codec: "BROTLI compression")) }
        guard let c = lib.symbol("BrotliEncoderCompress", as: CompressFn.self) else {
            return .failure(missingSymbolError("BrotliEncoderCompress", in: lib))
        }
        guard let m = lib.symbol("BrotliEncoderMaxCompressedSize", as: MaxCompressedSizeFn.self) else {
            return .failure(missingSymbolError("BrotliEncoderMaxCompressedSize", in: lib))
        }
        return .success(BrotliEncoderAPI(compress: c, maxCompressedSize: m))
    }
}

let brotliDecoderAPI: Result<BrotliDecoderAPI, CompressionError> = BrotliDecoderAPI.load()
let brotliEncoderAPI: Result<BrotliEncoderAPI, CompressionError> = BrotliEncoderAPI.load()

enum Brotli {
    // BrotliDecoderResult values.
    static let resultError: Int32 = 0
    static let resultSuccess: Int32 = 1
    static let resultNeedsMoreInput: Int32 = 2
    static let resultNeedsMoreOutput: Int32 = 3

    /// Decodes a brotli stream with BrotliDecoderDecompress, which writes at
    /// most `output.count` bytes and reports "needs more output" beyond that.
    static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        let api = try brotliDecoderAPI.get()
        guard input.count > 0 else {
            throw CompressionError("BROTLI: empty input, but \(output.count) bytes were expected")
        }
        var decodedSize = output.count
        let dst = (output.baseAddress ?? emptyBufferPlaceholder).assumingMemoryBound(to: UInt8.self)
        let result = api.decompress(
            input.count, input.baseAddress!.assumingMemoryBound(to: UInt8.self), &decodedSize, dst)
        switch result {
        case resultSuccess:
            return decodedSize
        case resultNeedsMoreOutput:
            throw CompressionError("BROTLI data decompresses to more than the expected \(output.count) bytes")
        case resultNeedsMoreInput:
            throw CompressionError("BROTLI data is truncated")
        default:
            throw CompressionError("BROTLI data is corrupt")
        }
    }

    /// Compresses with BrotliEncoderCompress (generic mode, 4 MiB window).
    static func compress(_ input: UnsafeRawBufferPointer, level: Int?) throws -> [UInt8] {
        let api = try brotliEncoderAPI.get()
        let quality = level ?? 8
        guard (0...11).contains(quality) else {
            throw CompressionError("BROTLI: quality must be in 0...11, got \(quality)")
        }
        let bound = api.maxCompressedSize(input.count)
        guard bound > 0 else { throw CompressionError("BROTLI: input of \(input.count) bytes is too large") }
        let src = (input.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(emptyBufferPlaceholder))
            .assumingMemoryBound(to: UInt8.self)
        var ok = true
        let out = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            var size = bound
            let r = api.compress(Int32(quality), 22, 0, input.count, src, &size, buffer.baseAddress)
            ok = r != 0
            count = ok ? size : 0
        }
        if !ok { throw CompressionError("BROTLI compression failed") }
        return out
    }
}
