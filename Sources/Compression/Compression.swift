// Public entry points of the Compression module: codec identifiers, the error
// type and the `Codecs` dispatcher used by the Parquet reader and writer.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A Parquet page compression codec.
///
/// The raw values are those of the `CompressionCodec` enum in the Parquet
/// Thrift definition, so a value read from a `ColumnMetaData` can be turned
/// into a codec with `CompressionCodec(rawValue:)`.
public enum CompressionCodec: Int32, Sendable, CaseIterable {
    /// No compression: the page bytes are stored as is.
    case uncompressed = 0
    /// Raw Snappy block format (no framing). Implemented in pure Swift.
    case snappy = 1
    /// Gzip (RFC 1952) via zlib. Zlib-wrapped (RFC 1950) data is accepted too.
    case gzip = 2
    /// LZO. Not supported: using it throws a `CompressionError`.
    case lzo = 3
    /// Brotli, via `libbrotlidec.so.1` / `libbrotlienc.so.1` loaded at run time.
    case brotli = 4
    /// The deprecated Parquet `LZ4` codec: Hadoop-framed LZ4 blocks, with
    /// fallbacks to a raw LZ4 block and to the LZ4 frame format when reading.
    /// Uses `liblz4.so.1`, loaded at run time.
    case lz4 = 5
    /// Zstandard, via `libzstd.so.1` loaded at run time.
    case zstd = 6
    /// A single raw LZ4 block (Parquet `LZ4_RAW`), via `liblz4.so.1`.
    case lz4Raw = 7

    /// The codec's name as spelled in the Parquet specification,
    /// e.g. `"SNAPPY"` or `"LZ4_RAW"`.
    public var name: String {
        switch self {
        case .uncompressed: return "UNCOMPRESSED"
        case .snappy: return "SNAPPY"
        case .gzip: return "GZIP"
        case .lzo: return "LZO"
        case .brotli: return "BROTLI"
        case .lz4: return "LZ4"
        case .zstd: return "ZSTD"
        case .lz4Raw: return "LZ4_RAW"
        }
    }
}

/// An error raised while compressing or decompressing, or when a codec's
/// library is not available. `message` is meant for people and says what went
/// wrong (for example how many bytes were expected and how many were produced).
public struct CompressionError: Error, CustomStringConvertible, Sendable {
    /// A human-readable explanation of the failure.
    public let message: String

    /// Creates an error with the given explanation.
    public init(_ message: String) {
        self.message = message
    }

    /// The same as `message`.
    public var description: String { message }
}

/// Compression and decompression of Parquet page data for every supported codec.
///
/// All functions are thread-safe. Zstd, LZ4 and Brotli are loaded from the
/// system's shared libraries with `dlopen` the first time they are needed;
/// `isAvailable(_:)` tells whether that worked.
public enum Codecs {
    /// Decompresses `input` into `output`, which must have exactly the expected
    /// uncompressed size (known from the Parquet page header).
    ///
    /// Never writes outside `output` and never allocates in proportion to what
    /// the input claims: data that would decompress to more than `output.count`
    /// bytes is rejected once the bound is reached.
    ///
    /// - Returns: the number of bytes written, which is always `output.count`.
    /// - Throws: `CompressionError` if the data is corrupt or truncated, if it
    ///   would produce more than `output.count` bytes, if it produces fewer
    ///   (the message says how many were expected and produced), if the codec
    ///   is LZO, or if the codec's shared library cannot be loaded.
    public static func decompress(
        _ codec: CompressionCodec, _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws -> Int {
        // A Parquet page may have zero compressed bytes for zero values.
        if input.count == 0 && output.count == 0 { return 0 }
        let produced: Int
        switch codec {
        case .uncompressed:
            guard input.count == output.count else {
                throw CompressionError(
                    "UNCOMPRESSED page: expected \(output.count) bytes, but the page holds \(input.count) bytes")
            }
            if let dst = output.baseAddress, let src = input.baseAddress {
                memcpy(dst, src, input.count)
            }
            produced = input.count
        case .snappy:
            produced = try Snappy.decompress(input, into: output)
        case .gzip:
            produced = try Gzip.decompress(input, into: output)
        case .lzo:
            throw lzoUnsupported
        case .brotli:
            produced = try Brotli.decompress(input, into: output)
        case .lz4:
            produced = try LZ4.decompressHadoopOrFallback(input, into: output)
        case .zstd:
            produced = try Zstd.decompress(input, into: output)
        case .lz4Raw:
            produced = try LZ4.decompressRaw(input, into: output)
        }
        guard produced == output.count else {
            throw CompressionError(
                "\(codec.name) data decompressed to \(produced) bytes, but \(output.count) bytes were expected")
        }
        return produced
    }

    /// Decompresses `input` into a new array of exactly `uncompressedSize` bytes.
    ///
    /// A convenience over `decompress(_:_:into:)`, with the same checks.
    public static func decompress(
        _ codec: CompressionCodec, _ input: UnsafeRawBufferPointer, uncompressedSize: Int
    ) throws -> [UInt8] {
        guard uncompressedSize >= 0 else {
            throw CompressionError("negative uncompressed size \(uncompressedSize)")
        }
        return try [UInt8](unsafeUninitializedCapacity: uncompressedSize) { buffer, count in
            count = try decompress(codec, input, into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// Compresses `input` with `codec`.
    ///
    /// - Parameter level: a codec-specific compression level, or `nil` for the
    ///   default. GZIP: -1...9 (default -1, zlib's default, i.e. 6). ZSTD: any
    ///   level libzstd accepts (default 3). BROTLI: quality 0...11 (default 8).
    ///   SNAPPY, LZ4, LZ4_RAW and UNCOMPRESSED ignore it.
    /// - Returns: the compressed bytes. `LZ4` output uses the Hadoop framing
    ///   (one block), `LZ4_RAW` is a single raw block, `SNAPPY` is the raw block
    ///   format and `GZIP` is a single gzip member.
    /// - Throws: `CompressionError` for LZO, an invalid level, an input too
    ///   large for the format, or a missing shared library.
    public static func compress(
        _ codec: CompressionCodec, _ input: UnsafeRawBufferPointer, level: Int? = nil
    ) throws -> [UInt8] {
        switch codec {
        case .uncompressed:
            return [UInt8](input)
        case .snappy:
            return try Snappy.compress(input)
        case .gzip:
            return try Gzip.compress(input, level: level)
        case .lzo:
            throw lzoUnsupported
        case .brotli:
            return try Brotli.compress(input, level: level)
        case .lz4:
            return try LZ4.compressHadoop(input)
        case .zstd:
            return try Zstd.compress(input, level: level)
        case .lz4Raw:
            return try LZ4.compressRaw(input)
        }
    }

    /// Whether `codec` can be used on this machine.
    ///
    /// Always `true` for UNCOMPRESSED, SNAPPY and GZIP, always `false` for LZO.
    /// For ZSTD, LZ4, LZ4_RAW and BROTLI it tells whether the shared library
    /// (`libzstd.so.1`, `liblz4.so.1`, `libbrotlidec.so.1` and
    /// `libbrotlienc.so.1`) could be loaded; BROTLI needs both of its libraries.
    public static func isAvailable(_ codec: CompressionCodec) -> Bool {
        switch codec {
        case .uncompressed, .snappy, .gzip: return true
        case .lzo: return false
        case .zstd: return zstdLibrary.isLoaded
        case .lz4, .lz4Raw: return lz4Library.isLoaded
        case .brotli: return brotliDecoderLibrary.isLoaded && brotliEncoderLibrary.isLoaded
        }
    }

    private static var lzoUnsupported: CompressionError {
        CompressionError("LZO is not supported (Parquet files compressed with LZO cannot be read or written)")
    }
}
