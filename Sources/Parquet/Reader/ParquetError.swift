/// Where in a file something went wrong: enough for one clear line.
public struct ErrorLocation: Sendable, CustomStringConvertible {
    public var file: String
    public var column: String?
    public var rowGroup: Int?
    public var page: Int?
    /// Absolute byte offset in the file.
    public var offset: Int64?

    public init(file: String, column: String? = nil, rowGroup: Int? = nil, page: Int? = nil, offset: Int64? = nil) {
        self.file = file
        self.column = column
        self.rowGroup = rowGroup
        self.page = page
        self.offset = offset
    }

    public var description: String {
        var parts = [file]
        if let column { parts.append("column '\(column)'") }
        if let rowGroup { parts.append("row group \(rowGroup)") }
        if let page { parts.append("page \(page)") }
        if let offset { parts.append("byte \(offset)") }
        return parts.joined(separator: ", ")
    }
}

/// Errors from reading or writing Parquet. Each names what was wrong and, where known, where.
public enum ParquetError: Error, Sendable, CustomStringConvertible {
    /// The file is not Parquet or its footer is unusable.
    case notParquet(String)
    /// The schema tree is malformed.
    case invalidSchema(String)
    /// Anything wrong at a known place in the file.
    case corrupt(ErrorLocation, String)
    /// A page checksum did not match.
    case checksumMismatch(ErrorLocation, expected: UInt32, actual: UInt32)
    /// A feature the reader does not implement.
    case unsupported(ErrorLocation, String)
    /// An error from an I/O source.
    case io(String)
    /// Bad use of the API (unknown column, bad argument).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .notParquet(let m): return m
        case .invalidSchema(let m): return "invalid schema: \(m)"
        case .corrupt(let at, let m): return "\(at): \(m)"
        case .checksumMismatch(let at, let expected, let actual):
            return "\(at): page CRC mismatch (header says \(String(expected, radix: 16)), data has \(String(actual, radix: 16))); use --no-verify-checksums to read anyway"
        case .unsupported(let at, let m): return "\(at): unsupported: \(m)"
        case .io(let m): return m
        case .invalidArgument(let m): return m
        }
    }
}
