// Zstandard through libzstd.so.1, loaded at run time.

/// The libzstd functions we use, resolved once.
struct ZstdAPI: @unchecked Sendable {
    typealias CompressFn = @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int, Int32) -> Int
    typealias CompressBoundFn = @convention(c) (Int) -> Int
    typealias IsErrorFn = @convention(c) (Int) -> UInt32
    typealias GetErrorNameFn = @convention(c) (Int) -> UnsafePointer<CChar>?
    typealias GetErrorCodeFn = @convention(c) (Int) -> Int32
    typealias CreateDCtxFn = @convention(c) () -> OpaquePointer?
    typealias FreeDCtxFn = @convention(c) (OpaquePointer?) -> Int
    typealias DecompressDCtxFn = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int) -> Int

    let compress: CompressFn
    let compressBound: CompressBoundFn
    let isError: IsErrorFn
    let getErrorName: GetErrorNameFn
    let getErrorCode: GetErrorCodeFn?
    let createDCtx: CreateDCtxFn
    let freeDCtx: FreeDCtxFn
    let decompressDCtx: DecompressDCtxFn

    /// `ZSTD_error_dstSize_tooSmall` from zstd_errors.h (stable since zstd 1.3).
    static let dstSizeTooSmall: Int32 = 70

    static func load() -> Result<ZstdAPI, CompressionError> {
        let lib = zstdLibrary
        guard lib.isLoaded else { return .failure(lib.missingError(codec: "ZSTD")) }
        func sym<T>(_ name: String, _ type: T.Type) throws -> T {
            guard let f = lib.symbol(name, as: type) else { throw missingSymbolError(name, in: lib) }
            return f
        }
        do {
            return .success(
                ZstdAPI(
                    compress: try sym("ZSTD_compress", CompressFn.self),
                    compressBound: try sym("ZSTD_compressBound", CompressBoundFn.self),
                    isError: try sym("ZSTD_isError", IsErrorFn.self),
                    getErrorName: try sym("ZSTD_getErrorName", GetErrorNameFn.self),
                    getErrorCode: lib.symbol("ZSTD_getErrorCode", as: GetErrorCodeFn.self),
                    createDCtx: try sym("ZSTD_createDCtx", CreateDCtxFn.self),
                    freeDCtx: try sym("ZSTD_freeDCtx", FreeDCtxFn.self),
                    decompressDCtx: try sym("ZSTD_decompressDCtx", DecompressDCtxFn.self)))
        } catch {
            return .failure(error as! CompressionError)
        }
    }

    func errorText(_ code: Int) -> String {
        guard let name = getErrorName(code) else { return "error \(code)" }
        return String(cString: name)
    }
}

/// Loaded on first use; global `let`s are initialised once, thread-safely.
let zstdAPI: Result<ZstdAPI, CompressionError> = ZstdAPI.load()

enum Zstd {
    /// Decompresses one or more concatenated zstd frames (skippable and empty
    /// frames included) into `output`, never writing past its end.
    ///
    /// `ZSTD_decompressDCtx` decodes straight into `output`, and fails with
    /// "destination buffer too small" as soon as the data needs more room,
    /// whether or not the frame header declares a content size, so a
    /// decompression bomb never gets past `output.count` bytes.
    static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        let api = try zstdAPI.get()
        guard input.count > 0 else { return 0 }
        guard let dctx = api.createDCtx() else { throw CompressionError("ZSTD: could not create a decompression context") }
        defer { _ = api.freeDCtx(dctx) }
        let dst = output.baseAddress ?? emptyBufferPlaceholder
        let result = api.decompressDCtx(dctx, dst, output.count, input.baseAddress, input.count)
        if api.isError(result) != 0 {
            if let code = api.getErrorCode?(result), code == ZstdAPI.dstSizeTooSmall {
                throw CompressionError(
                    "ZSTD data decompresses to more than the expected \(output.count) bytes (\(api.errorText(result)))")
            }
            throw CompressionError("ZSTD data is corrupt or truncated: \(api.errorText(result))")
        }
        return result
    }

    /// Compresses `input` as a single zstd frame with `ZSTD_compress`.
    static func compress(_ input: UnsafeRawBufferPointer, level: Int?) throws -> [UInt8] {
        let api = try zstdAPI.get()
        let lvl = level ?? 3
        guard let level32 = Int32(exactly: lvl) else { throw CompressionError("ZSTD: invalid level \(lvl)") }
        let bound = api.compressBound(input.count)
        guard api.isError(bound) == 0, bound > 0 else {
            throw CompressionError("ZSTD: input of \(input.count) bytes is too large to compress")
        }
        let src = input.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(emptyBufferPlaceholder)
        var failure: CompressionError?
        let out = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            let n = api.compress(buffer.baseAddress, bound, src, input.count, level32)
            if api.isError(n) != 0 {
                failure = CompressionError("ZSTD compression failed: \(api.errorText(n))")
                count = 0
            } else {
                count = n
            }
        }
        if let failure { throw failure }
        return out
    }
}
