#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random access to the bytes of one object: a local file now, an S3 object (ranged GETs) later.
/// Parquet reads the footer first and then only the byte ranges of the column chunks it needs.
public protocol ByteSource: Sendable {
    /// A name for error messages (a path or URL).
    var name: String { get }
    /// Total size in bytes.
    var size: Int64 { get }
    /// Reads exactly `length` bytes at `offset`; throws if the range is outside the object.
    func read(offset: Int64, length: Int) async throws -> [UInt8]
}

/// A local file read with `pread`, so concurrent reads of different ranges are safe.
public final class LocalFileSource: ByteSource, @unchecked Sendable {
    public let name: String
    public let size: Int64
    /// Size and modification time identify this version of the file.
    public let modificationTime: Double
    private let fd: Int32

    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ParquetError.io("\(path): cannot open: \(String(cString: strerror(errno)))") }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ParquetError.io("\(path): cannot stat: \(message)")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw ParquetError.io("\(path): is a directory")
        }
        self.fd = fd
        self.name = path
        self.size = Int64(st.st_size)
        self.modificationTime = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
    }

    deinit { close(fd) }

    public func read(offset: Int64, length: Int) async throws -> [UInt8] {
        try readSync(offset: offset, length: length)
    }

    /// Synchronous read (local files need no suspension).
    public func readSync(offset: Int64, length: Int) throws -> [UInt8] {
        guard offset >= 0, length >= 0, offset <= size, Int64(length) <= size - offset else {
            throw ParquetError.io("\(name): read of \(length) bytes at \(offset) is outside the file (\(size) bytes)")
        }
        if length == 0 { return [] }
        return try [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            var done = 0
            while done < length {
                let n = pread(fd, buffer.baseAddress! + done, length - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ParquetError.io("\(name): read failed at \(offset + Int64(done)): \(String(cString: strerror(errno)))")
                }
                if n == 0 { throw ParquetError.io("\(name): unexpected end of file at \(offset + Int64(done))") }
                done += n
            }
            initialized = length
        }
    }
}

/// Bytes already in memory (tests, small objects).
public struct MemorySource: ByteSource {
    public let name: String
    public let bytes: [UInt8]
    public init(name: String = "memory", bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }
    public var size: Int64 { Int64(bytes.count) }
    public func read(offset: Int64, length: Int) async throws -> [UInt8] {
        guard offset >= 0, length >= 0, offset <= size, Int64(length) <= size - offset else {
            throw ParquetError.io("\(name): read of \(length) bytes at \(offset) is outside the object (\(size) bytes)")
        }
        return Array(bytes[Int(offset)..<(Int(offset) + length)])
    }
}
