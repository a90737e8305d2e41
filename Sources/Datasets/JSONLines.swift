// Streaming JSON Lines reading: blocks of rows with only the requested fields,
// from plain or gzip-compressed files, in bounded memory.

import Compression

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One JSON value of a requested field.
public enum JSONScalar: Sendable, Equatable {
    case null
    case bool(Bool)
    /// An integer without fraction or exponent that fits in Int64.
    case int(Int64)
    /// Any other number.
    case double(Double)
    case string(String)
    /// A nested object or array, as its raw JSON text.
    case other(String)
}

/// A line that is not a JSON object.
public struct RejectedLine: Sendable, Equatable {
    /// 1-based line number in the (decompressed) file; blank lines count.
    public var lineNumber: Int
    /// Offset of the line's first byte in the (decompressed) data.
    public var byteOffset: Int64
    /// Why it was rejected, e.g. `unexpected character 'x' at byte 17 of the line (expected ':')`.
    /// Byte positions in reasons count from 1 at the line's first byte.
    public var reason: String
    /// The line without its line terminator, truncated to 1000 bytes (invalid UTF-8 repaired).
    public var text: String

    public init(lineNumber: Int, byteOffset: Int64, reason: String, text: String) {
        self.lineNumber = lineNumber
        self.byteOffset = byteOffset
        self.reason = reason
        self.text = text
    }
}

/// Rows read from a JSON Lines file, column by column.
public struct JSONBlock: Sendable {
    /// 1-based line number of each row.
    public var lineNumbers: [Int]
    /// Offset of each row's line in the (decompressed) data.
    public var byteOffsets: [Int64]
    /// One array per requested field (in the order given to the reader), aligned
    /// with `lineNumbers`; a missing field is `.null`.
    public var columns: [[JSONScalar]]
    /// Malformed lines met while reading this block's rows.
    public var rejected: [RejectedLine]

    public init(lineNumbers: [Int] = [], byteOffsets: [Int64] = [], columns: [[JSONScalar]] = [],
                rejected: [RejectedLine] = []) {
        self.lineNumbers = lineNumbers
        self.byteOffsets = byteOffsets
        self.columns = columns
        self.rejected = rejected
    }

    /// The number of rows.
    public var count: Int { lineNumbers.count }
}

/// Reads a JSON Lines file (one JSON object per line) in blocks of rows,
/// extracting only the requested fields.
///
/// - The file may be plain or gzip-compressed (detected from the magic bytes
///   `1f 8b`, whatever its name), including concatenated gzip members. It is
///   read in 256 KiB chunks; memory stays bounded by the longest line.
/// - `fields` are top-level keys or dotted paths into nested objects (`a.b`
///   is key `b` of the object under key `a`; a dot always means nesting). A
///   field whose value is an object or array yields `.other` with its raw JSON
///   text. When a key occurs twice in an object, the last one wins.
/// - Numbers: an integer without fraction or exponent that fits in Int64 is
///   `.int`, any other number `.double` (correctly rounded; beyond Double's
///   range it is ±infinity).
/// - Parsing is strict RFC 8259: no trailing commas, comments, single quotes,
///   `NaN`, leading zeros or unescaped control characters in strings.
/// - Blank lines (only spaces, tabs, `\r`) are skipped. Lines may end with
///   `\n` or `\r\n`; the last line needs no terminator. A UTF-8 byte order mark
///   at the start of the file is skipped.
/// - A line that is not exactly one JSON object (invalid JSON, another kind of
///   value, trailing characters, invalid UTF-8 in a string, nesting deeper than
///   512 levels, or longer than `maxLineBytes`) becomes a `RejectedLine` in the
///   block; the reader does not throw for it. The whole line is checked, also
///   the values of fields that were not requested (which are skipped without
///   being built). Unpaired UTF-16 surrogates in `\u` escapes decode to U+FFFD.
///
/// `next()` throws only for I/O errors and corrupt or truncated gzip data
/// (a `DatasetError` naming the file and the compressed byte offset).
///
/// The reader has value semantics (copies read independently).
public struct JSONLinesReader: Sendable {
    /// The file being read.
    public let path: String
    /// The requested fields, in column order.
    public let fields: [String]
    /// The most rows in a block (a block also ends after this many rejected lines).
    public let blockRows: Int
    /// Lines longer than this (in bytes, without terminator) are rejected without being buffered whole.
    public let maxLineBytes: Int
    /// Whether the file is gzip-compressed.
    public let isGzip: Bool

    /// Lines seen so far, including blank and rejected ones.
    public var linesRead: Int { nextLine - 1 }
    /// Decompressed bytes read from the file so far (what line offsets refer to).
    public var bytesRead: Int64 { bufferBase + Int64(end) }
    /// Compressed bytes read from the file so far (equal to `bytesRead` for a plain file).
    public var fileBytesRead: Int64 { filePosition }

    static let readChunk = 256 << 10

    /// The size of the line buffer (for tests of bounded memory).
    var bufferCapacity: Int { buffer.count }

    private let file: OpenFile
    private let matcher: FieldMatcher
    private var filePosition: Int64 = 0
    private var fileDone = false
    private var sourceDone = false
    private var finished = false
    private var inflater: GzipInflater?
    private var compressed: [UInt8] = []
    private var compressedStart = 0
    private var compressedEnd = 0
    private var buffer: [UInt8] = []
    /// Start of the current (first unprocessed) line in `buffer`.
    private var start = 0
    /// End of the valid data in `buffer`.
    private var end = 0
    /// Where to resume the search for a newline (no newline in start..<scanFrom).
    private var scanFrom = 0
    /// Offset in the decompressed data of `buffer[0]`.
    private var bufferBase: Int64 = 0
    /// 1-based number of the line starting at `start`.
    private var nextLine = 1
    /// Inside a line longer than `maxLineBytes`, already rejected: drop bytes up to the next newline.
    private var discarding = false

    /// Opens `path` for reading `fields`, `blockRows` rows at a time.
    public init(path: String, fields: [String], blockRows: Int = 8192) throws {
        try self.init(path: path, fields: fields, blockRows: blockRows, maxLineBytes: 16 << 20)
    }

    /// Opens `path`, rejecting lines longer than `maxLineBytes` bytes.
    public init(path: String, fields: [String], blockRows: Int = 8192, maxLineBytes: Int) throws {
        guard blockRows > 0 else { throw DatasetError("\(path): blockRows must be positive, got \(blockRows)") }
        guard maxLineBytes > 0 else { throw DatasetError("\(path): maxLineBytes must be positive") }
        self.path = path
        self.fields = fields
        self.blockRows = blockRows
        self.maxLineBytes = maxLineBytes
        let file = try OpenFile(path)
        self.file = file
        matcher = FieldMatcher(fields)
        var magic: (UInt8, UInt8) = (0, 0)
        let n = try withUnsafeMutableBytes(of: &magic) { try file.read(into: $0, at: 0, path: path) }
        isGzip = n == 2 && magic.0 == 0x1f && magic.1 == 0x8b
        if isGzip {
            do { inflater = try GzipInflater() } catch { throw DatasetError("\(path): \(error)") }
            compressed = [UInt8](repeating: 0, count: Self.readChunk)
        }
        buffer = [UInt8](repeating: 0, count: min(1 << 20, maxLineBytes + Self.readChunk + 1))
    }

    /// The next block of rows, or nil at the end of the file. A block may hold
    /// no rows but some rejected lines.
    public mutating func next() throws -> JSONBlock? {
        if finished { return nil }
        var block = BlockBuilder(slots: matcher.slotCount, reserve: min(blockRows, 1 << 16))
        var buf = buffer
        buffer = []
        defer { buffer = buf }
        while block.rowCount < blockRows && block.rejected.count < blockRows {
            if scanFrom < end {
                let full = buf.withUnsafeBufferPointer { p -> Bool in
                    let base = p.baseAddress!
                    while block.rowCount < blockRows && block.rejected.count < blockRows {
                        guard let found = memchr(base + scanFrom, 0x0A, end - scanFrom) else {
                            scanFrom = end
                            return false
                        }
                        let newline = UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - base
                        if discarding {
                            discarding = false
                        } else {
                            handleLine(base + start, count: newline - start, number: nextLine,
                                       offset: bufferBase + Int64(start), into: &block)
                        }
                        nextLine += 1
                        start = newline + 1
                        scanFrom = start
                    }
                    return true
                }
                if full { break }
            }
            // No complete line in start..<end.
            if sourceDone {
                if start < end || discarding {
                    if !discarding {
                        buf.withUnsafeBufferPointer { p in
                            handleLine(p.baseAddress! + start, count: end - start, number: nextLine,
                                       offset: bufferBase + Int64(start), into: &block)
                        }
                    }
                    nextLine += 1
                    discarding = false
                    start = end
                    scanFrom = end
                }
                finished = true
                break
            }
            if !discarding && end - start > maxLineBytes {
                let text = buf.withUnsafeBufferPointer { Self.lineText($0.baseAddress! + start, count: end - start) }
                block.rejected.append(RejectedLine(
                    lineNumber: nextLine, byteOffset: bufferBase + Int64(start),
                    reason: "line is longer than the limit of \(maxLineBytes) bytes", text: text))
                discarding = true
            }
            if discarding {
                start = end
                scanFrom = end
            }
            try refill(&buf)
        }
        if finished && block.rowCount == 0 && block.rejected.isEmpty { return nil }
        return block.build(fieldSlots: matcher.fieldSlots)
    }

    /// Reads every remaining block, calling `body` for each.
    public mutating func forEachBlock(_ body: (JSONBlock) throws -> Void) throws {
        while let block = try next() { try body(block) }
    }

    // MARK: Lines

    private func handleLine(
        _ line: UnsafePointer<UInt8>, count: Int, number: Int, offset: Int64, into block: inout BlockBuilder
    ) {
        var p = line
        var n = count
        if n > 0 && p[n - 1] == 0x0D { n -= 1 }
        if offset == 0 && n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF {  // byte order mark
            p += 3
            n -= 3
        }
        var i = 0
        while i < n && (p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0D) { i += 1 }
        if i == n { return }  // blank line
        if n > maxLineBytes {
            block.rejected.append(RejectedLine(
                lineNumber: number, byteOffset: offset,
                reason: "line is longer than the limit of \(maxLineBytes) bytes", text: Self.lineText(p, count: n)))
            return
        }
        block.resetRow()
        var parser = LineParser(p, count: n, matcher: matcher)
        do throws(LineError) {
            try parser.parseLine(into: &block.row)
            block.appendRow(line: number, offset: offset)
        } catch {
            block.rejected.append(RejectedLine(
                lineNumber: number, byteOffset: offset, reason: error.message, text: Self.lineText(p, count: n)))
        }
    }

    /// At most 1000 bytes of a line, cut at a character boundary, as text.
    static func lineText(_ p: UnsafePointer<UInt8>, count: Int) -> String {
        var n = count
        if n > 1000 {
            n = 1000
            // Do not cut a UTF-8 sequence in two.
            var back = 0
            while back < 3 && n > 0 && p[n] & 0xC0 == 0x80 { n -= 1; back += 1 }
        }
        if n > 0 && p[n - 1] == 0x0D { n -= 1 }
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    // MARK: Input

    /// Appends more decompressed data to `buf[end...]`, or sets `sourceDone`.
    private mutating func refill(_ buf: inout [UInt8]) throws {
        let minFree = Self.readChunk
        if buf.count - end < minFree {
            if start > 0 {
                let keep = end - start
                if keep > 0 {
                    buf.withUnsafeMutableBytes { b in
                        _ = memmove(b.baseAddress!, b.baseAddress! + start, keep)
                    }
                }
                bufferBase += Int64(start)
                end = keep
                scanFrom -= start
                start = 0
            }
            if buf.count - end < minFree {
                // Doubling, but never past what the longest allowed line needs.
                let grown = max(end + minFree, min(buf.count * 2, maxLineBytes + minFree + 1))
                buf.append(contentsOf: repeatElement(0, count: grown - buf.count))
            }
        }
        if !isGzip {
            let n = try buf.withUnsafeMutableBytes { b in
                try file.read(into: UnsafeMutableRawBufferPointer(rebasing: b[end...]), at: filePosition, path: path)
            }
            if n == 0 { sourceDone = true } else { end += n; filePosition += Int64(n) }
            return
        }
        while true {
            if compressedStart == compressedEnd && !fileDone {
                let n = try compressed.withUnsafeMutableBytes { b in
                    try file.read(into: b, at: filePosition, path: path)
                }
                compressedStart = 0
                compressedEnd = n
                filePosition += Int64(n)
                if n == 0 { fileDone = true }
            }
            let (consumed, produced): (Int, Int)
            do {
                (consumed, produced) = try compressed.withUnsafeBytes { input in
                    try buf.withUnsafeMutableBytes { output in
                        try inflater!.inflate(UnsafeRawBufferPointer(rebasing: input[compressedStart..<compressedEnd]),
                                              into: UnsafeMutableRawBufferPointer(rebasing: output[end...]))
                    }
                }
            } catch {
                throw DatasetError("\(path): \(error)")
            }
            compressedStart += consumed
            end += produced
            if produced > 0 { return }
            if fileDone && compressedStart == compressedEnd {
                do { try inflater!.finish() } catch { throw DatasetError("\(path): \(error)") }
                sourceDone = true
                return
            }
            if consumed == 0 && compressedStart < compressedEnd {
                throw DatasetError("\(path): gzip decompression made no progress at compressed byte offset "
                    + "\(inflater!.totalIn)")
            }
        }
    }
}

/// Owns a file descriptor.
private final class OpenFile: Sendable {
    let fd: Int32

    init(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw DatasetError("\(path): cannot open (\(String(cString: strerror(errno))))") }
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw DatasetError("\(path): is a directory")
        }
        self.fd = fd
    }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String) throws -> Int {
        var total = 0
        while total < buffer.count {
            let n = pread(fd, buffer.baseAddress! + total, buffer.count - total, off_t(offset + Int64(total)))
            if n < 0 {
                if errno == EINTR { continue }
                throw DatasetError(
                    "\(path): read failed at byte \(offset + Int64(total)) (\(String(cString: strerror(errno))))")
            }
            if n == 0 { break }
            total += n
        }
        return total
    }

    deinit { close(fd) }
}

/// Collects one block's rows by slot (distinct field path).
struct BlockBuilder {
    var lineNumbers: [Int] = []
    var byteOffsets: [Int64] = []
    var slots: [[JSONScalar]]
    var rejected: [RejectedLine] = []
    var row: [JSONScalar]

    init(slots: Int, reserve: Int) {
        self.slots = (0..<slots).map { _ in
            var column: [JSONScalar] = []
            column.reserveCapacity(reserve)
            return column
        }
        row = [JSONScalar](repeating: .null, count: slots)
        lineNumbers.reserveCapacity(reserve)
        byteOffsets.reserveCapacity(reserve)
    }

    var rowCount: Int { lineNumbers.count }

    mutating func resetRow() {
        for i in row.indices { row[i] = .null }
    }

    mutating func appendRow(line: Int, offset: Int64) {
        lineNumbers.append(line)
        byteOffsets.append(offset)
        for i in row.indices { slots[i].append(row[i]) }
    }

    func build(fieldSlots: [Int]) -> JSONBlock {
        JSONBlock(lineNumbers: lineNumbers, byteOffsets: byteOffsets, columns: fieldSlots.map { slots[$0] },
                  rejected: rejected)
    }
}
