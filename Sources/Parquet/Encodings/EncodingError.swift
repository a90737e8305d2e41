#if _endian(big)
#error("The Parquet encodings assume a little-endian host")
#endif

/// A malformed or unsupported encoded value stream. The message says what was wrong and where.
public struct EncodingError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
