// Streaming JSON Lines reading: blocks of rows with only the requested fields,
// from plain or gzip-compressed files, in bounded memory.

import Compression
import Parquet

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
///   read sequentially through a `ByteSource` (a local file, or ranged GETs of
///   an S3 object) in chunks of `readChunk` bytes, decompressed as a stream;
///   memory stays bounded by a chunk plus the longest line, never the object.
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

    /// Bytes read from the source at a time.
    public let readChunk: Int
    /// The chunk size for local files.
    public static let localReadChunk = 256 << 10

    /// The size of the line buffer (for tests of bounded memory).
    var bufferCapacity: Int { buffer.count }

    private let source: any ByteSource
    private let matcher: FieldMatcher
    private var filePosition: Int64 = 0
    private var fileDone = false
    private var sourceDone = false
    private var finished = false
    private var inflater: GzipInflater?
    private var compressed: [UInt8] = []
    private var compressedStart = 0
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
        try Self.check(path, blockRows: blockRows, maxLineBytes: maxLineBytes, readChunk: Self.localReadChunk)
        let file: LocalFileSource
        let magic: [UInt8]
        do {
            file = try LocalFileSource(path: path)
            magic = try file.readSync(offset: 0, length: Int(min(2, file.size)))
        } catch {
            throw DatasetError("\(error)")
        }
        self.init(source: file, magic: magic, fields: fields, blockRows: blockRows, maxLineBytes: maxLineBytes,
                  readChunk: Self.localReadChunk)
    }

    /// Reads the object `source` reads (named by `source.name` in errors), `readChunk` bytes at a time.
    public init(source: any ByteSource, fields: [String], blockRows: Int = 8192, maxLineBytes: Int = 16 << 20,
                readChunk: Int = 4 << 20) async throws {
        try Self.check(source.name, blockRows: blockRows, maxLineBytes: maxLineBytes, readChunk: readChunk)
        let magic: [UInt8]
        do { magic = try await source.read(offset: 0, length: Int(min(2, source.size))) } catch { throw DatasetError("\(error)") }
        self.init(source: source, magic: magic, fields: fields, blockRows: blockRows, maxLineBytes: maxLineBytes, readChunk: readChunk)
    }

    private static func check(_ name: String, blockRows: Int, maxLineBytes: Int, readChunk: Int) throws {
        guard blockRows > 0 else { throw DatasetError("\(name): blockRows must be positive, got \(blockRows)") }
        guard maxLineBytes > 0 else { throw DatasetError("\(name): maxLineBytes must be positive") }
        guard readChunk > 0 else { throw DatasetError("\(name): readChunk must be positive") }
    }

    private init(source: any ByteSource, magic: [UInt8], fields: [String], blockRows: Int, maxLineBytes: Int, readChunk: Int) {
        self.path = source.name
        self.source = source
        self.fields = fields
        self.blockRows = blockRows
        self.maxLineBytes = maxLineBytes
        self.readChunk = readChunk
        matcher = FieldMatcher(fields)
        isGzip = magic.count == 2 && magic[0] == 0x1f && magic[1] == 0x8b
        buffer = [UInt8](repeating: 0, count: min(1 << 20, maxLineBytes + readChunk + 1))
    }

    /// The next block of rows, or nil at the end of the file. A block may hold
    /// no rows but some rejected lines.
    public mutating func next() async throws -> JSONBlock? {
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
            try await refill(&buf)
        }
        if finished && block.rowCount == 0 && block.rejected.isEmpty { return nil }
        return block.build(fieldSlots: matcher.fieldSlots)
    }

    /// Reads every remaining block, calling `body` for each.
    public mutating func forEachBlock(_ body: (JSONBlock) throws -> Void) async throws {
        while let block = try await next() { try body(block) }
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
    private mutating func refill(_ buf: inout [UInt8]) async throws {
        let minFree = readChunk
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
            let chunk = try await readNext(max: buf.count - end)
            if chunk.isEmpty { sourceDone = true; return }
            buf.withUnsafeMutableBufferPointer { b in
                chunk.withUnsafeBufferPointer { c in
                    _ = memcpy(b.baseAddress! + end, c.baseAddress!, c.count)
                }
            }
            end += chunk.count
            return
        }
        if inflater == nil {
            do { inflater = try GzipInflater() } catch { throw DatasetError("\(path): \(error)") }
        }
        while true {
            if compressedStart == compressed.count && !fileDone {
                compressed = try await readNext(max: readChunk)
                compressedStart = 0
                if compressed.isEmpty { fileDone = true }
            }
            let (consumed, produced): (Int, Int)
            do {
                (consumed, produced) = try compressed.withUnsafeBytes { input in
                    try buf.withUnsafeMutableBytes { output in
                        try inflater!.inflate(UnsafeRawBufferPointer(rebasing: input[compressedStart...]),
                                              into: UnsafeMutableRawBufferPointer(rebasing: output[end...]))
                    }
                }
            } catch {
                throw DatasetError("\(path): \(error)")
            }
            compressedStart += consumed
            end += produced
            if produced > 0 { return }
            if fileDone && compressedStart == compressed.count {
                do { try inflater!.finish() } catch { throw DatasetError("\(path): \(error)") }
                sourceDone = true
                return
            }
            if consumed == 0 && compressedStart < compressed.count {
                throw DatasetError("\(path): gzip decompression made no progress at compressed byte offset "
                    + "\(inflater!.totalIn)")
            }
        }
    }

    /// The next at most `max` (and at most `readChunk`) bytes of the object; empty at its end.
    private mutating func readNext(max: Int) async throws -> [UInt8] {
        let n = Int(min(Int64(Swift.min(max, readChunk)), source.size - filePosition))
        guard n > 0 else { return [] }
        let bytes: [UInt8]
        do { bytes = try await source.read(offset: filePosition, length: n) } catch let error as DatasetError { throw error } catch {
            throw DatasetError("\(error)")
        }
        guard bytes.count == n else {
            throw DatasetError("\(path): asked for \(n) bytes at byte \(filePosition), got \(bytes.count)")
        }
        filePosition += Int64(n)
        return bytes
    }
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
