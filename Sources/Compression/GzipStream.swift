// Streaming gzip decompression via zlib: compressed bytes go in a chunk at a
// time, decompressed bytes come out a chunk at a time, in bounded memory.

import CZlib

/// Incremental gzip (RFC 1952) decompression. Zlib-wrapped (RFC 1950) input is
/// accepted too (zlib's automatic header detection).
///
/// Feed compressed data in chunks of any size with `inflate(_:into:)` (you
/// supply the output buffer) or `feed(_:_:)` (it hands you decompressed
/// pieces); call `finish()` after the last chunk to check the data was not
/// truncated.
///
/// Concatenated gzip members (as written by `cat a.gz b.gz`, or by writers
/// that flush in members) are decoded one after the other as one stream.
/// Zero bytes after the last member are tolerated (some writers pad); any
/// other bytes after zero padding are an error.
///
/// Errors are `CompressionError`s whose message names the compressed byte
/// offset (from the start of everything fed so far) where zlib gave up.
///
/// `GzipInflater` has value semantics: copying one and feeding both copies
/// decodes independently (the zlib state is copied on first write, with
/// `inflateCopy`).
public struct GzipInflater: Sendable {
    private var state: InflateState
    /// Compressed bytes consumed so far.
    public private(set) var totalIn: Int64 = 0
    /// Decompressed bytes produced so far.
    public private(set) var totalOut: Int64 = 0
    /// Gzip members completed so far.
    public private(set) var membersCompleted: Int = 0
    /// True between members: at the start, before any byte of a member was consumed,
    /// or right after a member's trailer.
    private var atMemberBoundary = true
    /// True once zero padding was seen after a member: only more zeros may follow.
    private var inPadding = false
    /// Set after an error: the stream is unusable.
    private var failure: CompressionError?
    private var scratch: [UInt8] = []

    /// Creates an inflater for a new stream.
    public init() throws {
        state = try InflateState()
    }

    /// True when the data fed so far ends exactly at the end of a gzip member
    /// (or padding after one), i.e. `finish()` would succeed. Also true before any input.
    public var isAtEnd: Bool { atMemberBoundary && failure == nil }

    /// Decompresses as much of `input` as fits into `output`.
    ///
    /// Returns how many input bytes were consumed and how many output bytes
    /// were written. Call again with the rest of the input (`input[consumed...]`)
    /// while `consumed < input.count`; if `produced == output.count`, more output
    /// may be pending even when all input was consumed, so call again (with an
    /// empty input) until `produced < output.count`.
    public mutating func inflate(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws -> (consumed: Int, produced: Int) {
        if let failure { throw failure }
        if !isKnownUniquelyReferenced(&state) { state = try state.copy(offset: totalIn) }
        let stream = state.stream
        var consumed = 0
        var produced = 0
        // zlib rejects a NULL next_out/next_in even with zero lengths.
        var dummy: UInt8 = 0
        return try withUnsafeMutablePointer(to: &dummy) { dummyPointer in
            let outBase = output.baseAddress?.assumingMemoryBound(to: Bytef.self) ?? dummyPointer
            let inBase = input.baseAddress?.assumingMemoryBound(to: Bytef.self) ?? UnsafePointer(dummyPointer)
            while true {
                let inLeft = input.count - consumed
                let outLeft = output.count - produced
                if atMemberBoundary {
                    // Between members: skip zero padding, or start the next member.
                    if inLeft == 0 { break }
                    if inPadding || (membersCompleted > 0 && inBase[consumed] == 0) {
                        var i = consumed
                        while i < input.count && inBase[i] == 0 { i += 1 }
                        totalIn += Int64(i - consumed)
                        consumed = i
                        if i < input.count {
                            throw fail("unexpected data after the end of the gzip stream "
                                + "(after zero padding) at compressed byte offset \(totalIn)")
                        }
                        inPadding = true
                        break
                    }
                    if membersCompleted > 0 {
                        let rc = inflateReset(stream)
                        guard rc == Z_OK else { throw fail("inflateReset failed (\(rc))") }
                    }
                    atMemberBoundary = false
                }
                if outLeft == 0 { break }
                let inChunk = min(inLeft, Int(UInt32.max / 2))
                let outChunk = min(outLeft, Int(UInt32.max / 2))
                stream.pointee.next_in = UnsafeMutablePointer(mutating: inBase + consumed)
                stream.pointee.avail_in = uInt(inChunk)
                stream.pointee.next_out = outBase + produced
                stream.pointee.avail_out = uInt(outChunk)
                let rc = CZlib.inflate(stream, Z_NO_FLUSH)
                let usedIn = inChunk - Int(stream.pointee.avail_in)
                let usedOut = outChunk - Int(stream.pointee.avail_out)
                consumed += usedIn
                produced += usedOut
                totalIn += Int64(usedIn)
                totalOut += Int64(usedOut)
                switch rc {
                case Z_STREAM_END:
                    membersCompleted += 1
                    atMemberBoundary = true
                case Z_OK:
                    if usedIn == 0 && usedOut == 0 { return (consumed, produced) }
                case Z_BUF_ERROR:
                    // No progress possible: needs more input or more room.
                    return (consumed, produced)
                case Z_NEED_DICT:
                    throw fail("gzip data needs a preset dictionary, at compressed byte offset \(totalIn)")
                case Z_MEM_ERROR:
                    throw fail("zlib ran out of memory at compressed byte offset \(totalIn)")
                default:
                    let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                    throw fail("gzip data is corrupt at compressed byte offset \(totalIn): \(message)")
                }
            }
            return (consumed, produced)
        }
    }

    /// Decompresses all of `chunk`, handing the decompressed bytes to `sink` in
    /// pieces of at most 64 KiB. Each piece is only valid during the call.
    public mutating func feed(
        _ chunk: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        if scratch.isEmpty { scratch = [UInt8](repeating: 0, count: 1 << 16) }
        var buffer = scratch
        scratch = []  // keep `buffer` uniquely referenced while we write into it
        defer { scratch = buffer }
        var offset = 0
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: chunk[offset...])
            let (consumed, produced) = try buffer.withUnsafeMutableBytes { out in
                try inflate(rest, into: out)
            }
            offset += consumed
            if produced > 0 {
                try buffer.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[..<produced])) }
            }
            if produced < buffer.count && (offset == chunk.count || consumed == 0) {
                if offset < chunk.count {
                    throw fail("zlib made no progress at compressed byte offset \(totalIn)")
                }
                return
            }
        }
    }

    /// Decompresses all of `chunk` and returns the bytes it produced.
    public mutating func feed(_ chunk: [UInt8]) throws -> [UInt8] {
        var result: [UInt8] = []
        try chunk.withUnsafeBytes { input in
            try feed(input) { result.append(contentsOf: $0) }
        }
        return result
    }

    /// Checks that the data fed so far is a complete gzip stream: throws when it
    /// ends inside a member (truncated data). An inflater that was fed nothing
    /// finishes without error.
    public func finish() throws {
        if let failure { throw failure }
        if !atMemberBoundary {
            throw CompressionError(
                "gzip data is truncated: it ends inside a gzip member at compressed byte offset \(totalIn)")
        }
    }

    private mutating func fail(_ message: String) -> CompressionError {
        let error = CompressionError(message)
        failure = error
        return error
    }
}

/// Owns a `z_stream` at a stable address (zlib keeps a pointer back to it).
private final class InflateState: @unchecked Sendable {
    // Safety: only mutated through `GzipInflater`, which copies the state
    // before writing unless it holds the only reference.
    let stream: UnsafeMutablePointer<z_stream>

    init() throws {
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 32: a 32 KiB window, with automatic gzip/zlib header detection.
        let rc = inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deallocate()
            throw CompressionError("gzip: inflateInit2 failed (\(rc))")
        }
    }

    private init(copying other: InflateState, offset: Int64) throws {
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = inflateCopy(stream, other.stream)
        guard rc == Z_OK else {
            stream.deallocate()
            throw CompressionError("gzip: inflateCopy failed (\(rc)) at compressed byte offset \(offset)")
        }
    }

    func copy(offset: Int64) throws -> InflateState { try InflateState(copying: self, offset: offset) }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }
}
