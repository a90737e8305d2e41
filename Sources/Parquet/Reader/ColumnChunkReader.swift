import Compression

#if canImport(Glibc)
import Glibc
#endif

/// Sane limits that stop corrupt metadata from driving huge allocations.
public enum ReaderLimits {
    /// Largest uncompressed page accepted.
    public static let maxPageSize = 1 << 30
    /// Largest number of level entries in one page.
    public static let maxValuesPerPage = 1 << 28
    /// Largest number of entries in a dictionary.
    public static let maxDictionaryEntries = 1 << 28
    /// A page may inflate to at most this many times its compressed size (plus `smallPageAllowance`).
    public static let maxCompressionRatio = 4096
    public static let smallPageAllowance = 16 << 20
}

/// Options for reading.
public struct ReadOptions: Sendable {
    /// Verify page CRC32 checksums where the writer stored them.
    public var verifyChecksums: Bool
    public init(verifyChecksums: Bool = true) { self.verifyChecksums = verifyChecksums }
}

/// Accumulates a chunk's values across pages, keeping dictionary codes while every page is dictionary-encoded.
struct ValueBuffers {
    let physical: PhysicalType
    let width: Int
    var bools: [Bool] = []
    var int32s: [Int32] = []
    var int64s: [Int64] = []
    var int96s: [Int96] = []
    var floats: [Float] = []
    var doubles: [Double] = []
    var bytes = ByteArrays()
    var fixed: FixedByteArrays
    var codes: [Int32] = []
    var dictionary: ColumnData?
    /// True once a non-dictionary data page was seen: codes were materialized into plain values.
    var plainMode = false
    var count = 0

    init(physical: PhysicalType, width: Int) {
        self.physical = physical
        self.width = width
        self.fixed = FixedByteArrays(width: width)
    }

    /// Appends values decoded from a plain (non-dictionary) page.
    mutating func appendPlain(_ data: ColumnData) {
        switchToPlain()
        count += data.count
        switch data {
        case .boolean(let v): bools.append(contentsOf: v)
        case .int32(let v): int32s.append(contentsOf: v)
        case .int64(let v): int64s.append(contentsOf: v)
        case .int96(let v): int96s.append(contentsOf: v)
        case .float(let v): floats.append(contentsOf: v)
        case .double(let v): doubles.append(contentsOf: v)
        case .byteArray(let v):
            if bytes.count == 0 {
                bytes = v
            } else {
                let base = bytes.bytes.count
                bytes.bytes.append(contentsOf: v.bytes)
                bytes.offsets.reserveCapacity(bytes.offsets.count + v.count)
                for i in 1..<v.offsets.count { bytes.offsets.append(base + v.offsets[i]) }
            }
        case .fixedLenByteArray(let v): fixed.bytes.append(contentsOf: v.bytes)
        case .dictionary(let dict, let codes): appendMaterialized(dict, codes)
        }
    }

    /// Appends `n` fixed-width little-endian values straight from page bytes (one memcpy).
    mutating func appendFixedWidth(_ src: UnsafeRawPointer, count n: Int) {
        switchToPlain()
        count += n
        func extend<T: FixedWidthInteger>(_ array: inout [T]) {
            let old = array.count
            array.append(contentsOf: repeatElement(0, count: n))
            array.withUnsafeMutableBytes { dst in
                // Safe: the destination was just extended by n elements of MemoryLayout<T>.size bytes each.
                memcpy(dst.baseAddress! + old * MemoryLayout<T>.size, src, n * MemoryLayout<T>.size)
            }
        }
        func extendFloat<T: BinaryFloatingPoint>(_ array: inout [T]) {
            let old = array.count
            array.append(contentsOf: repeatElement(0, count: n))
            array.withUnsafeMutableBytes { dst in
                memcpy(dst.baseAddress! + old * MemoryLayout<T>.size, src, n * MemoryLayout<T>.size)
            }
        }
        switch physical {
        case .int32: extend(&int32s)
        case .int64: extend(&int64s)
        case .float: extendFloat(&floats)
        case .double: extendFloat(&doubles)
        default: preconditionFailure("appendFixedWidth on \(physical)")
        }
    }

    /// Reserves `n` more dictionary codes and returns the index where they start.
    mutating func extendCodes(_ n: Int) -> Int {
        let old = codes.count
        codes.append(contentsOf: repeatElement(0, count: n))
        count += n
        return old
    }

    private mutating func switchToPlain() {
        guard !plainMode else { return }
        plainMode = true
        if let dictionary, !codes.isEmpty {
            let pending = codes
            codes = []
            count -= pending.count
            appendMaterialized(dictionary, pending)
        }
    }

    /// Appends dictionary values looked up by code (indices were checked against the dictionary size).
    mutating func appendMaterialized(_ dict: ColumnData, _ codes: [Int32]) {
        count += codes.count
        switch dict {
        case .boolean(let d): bools.append(contentsOf: codes.lazy.map { d[Int($0)] })
        case .int32(let d): ValueBuffers.gather(d, codes, into: &int32s)
        case .int64(let d): ValueBuffers.gather(d, codes, into: &int64s)
        case .int96(let d): int96s.append(contentsOf: codes.lazy.map { d[Int($0)] })
        case .float(let d): ValueBuffers.gather(d, codes, into: &floats)
        case .double(let d): ValueBuffers.gather(d, codes, into: &doubles)
        case .byteArray(let d):
            for c in codes { bytes.append(d[Int(c)]) }
        case .fixedLenByteArray(let d):
            for c in codes { fixed.bytes.append(contentsOf: d[Int(c)]) }
        case .dictionary: preconditionFailure("nested dictionary")
        }
    }

    /// Appends `dict[code]` for each code (codes were checked against the dictionary size when decoded).
    static func gather<T>(_ dict: [T], _ codes: [Int32], into out: inout [T]) {
        guard let first = dict.first, !codes.isEmpty else { return }
        let old = out.count
        out.append(contentsOf: repeatElement(first, count: codes.count))
        out.withUnsafeMutableBufferPointer { o in
            dict.withUnsafeBufferPointer { d in
                codes.withUnsafeBufferPointer { c in
                    let dst = o.baseAddress! + old
                    for i in 0..<c.count { dst[i] = d[Int(c[i])] }
                }
            }
        }
    }

    func finish() -> ColumnData {
        if !plainMode, let dictionary {
            return .dictionary(dictionary: dictionary, codes: codes)
        }
        switch physical {
        case .boolean: return .boolean(bools)
        case .int32: return .int32(int32s)
        case .int64: return .int64(int64s)
        case .int96: return .int96(int96s)
        case .float: return .float(floats)
        case .double: return .double(doubles)
        case .byteArray: return .byteArray(bytes)
        case .fixedLenByteArray: return .fixedLenByteArray(fixed)
        }
    }
}

/// Decodes all pages of one column chunk held in memory into a `Column`.
struct ColumnChunkReader {
    let descriptor: ColumnDescriptor
    let codec: CompressionCodec
    let options: ReadOptions
    /// File, column and row group, for errors.
    let location: ErrorLocation
    /// File offset of the first byte of the buffer.
    let baseOffset: Int64
    /// Level entries the metadata promises (`num_values`).
    let expectedValues: Int
    /// Rows in the row group.
    let expectedRows: Int

    private func fail(_ message: String, page: Int?, at offset: Int) -> ParquetError {
        var at = location
        at.page = page
        at.offset = baseOffset + Int64(offset)
        return .corrupt(at, message)
    }

    func read(_ chunk: UnsafeRawBufferPointer) throws -> Column {
        let maxDef = descriptor.maxDefinitionLevel
        let maxRep = descriptor.maxRepetitionLevel
        var defLevels: [UInt16]? = maxDef > 0 ? [] : nil
        var repLevels: [UInt16]? = maxRep > 0 ? [] : nil
        let reserve = min(expectedValues, 1 << 20)
        defLevels?.reserveCapacity(reserve)
        repLevels?.reserveCapacity(reserve)
        var values = ValueBuffers(physical: descriptor.physicalType, width: descriptor.typeLength)
        var levelsRead = 0
        var position = 0
        var pageIndex = 0
        var dictionarySize = 0
        var scratch = ScratchBuffer()
        defer { scratch.free() }

        while levelsRead < expectedValues && position < chunk.count {
            let headerStart = position
            let parsed: (header: PageHeader, length: Int)
            do {
                parsed = try PageHeader.decode(UnsafeRawBufferPointer(rebasing: chunk[position...]))
            } catch {
                throw fail("bad page header: \(error)", page: pageIndex, at: headerStart)
            }
            let header = parsed.header
            position += parsed.length
            let compressedSize = Int(header.compressedPageSize)
            let uncompressedSize = Int(header.uncompressedPageSize)
            guard compressedSize >= 0, uncompressedSize >= 0 else {
                throw fail("negative page size (compressed \(compressedSize), uncompressed \(uncompressedSize))", page: pageIndex, at: headerStart)
            }
            guard compressedSize <= chunk.count - position else {
                throw fail("page of \(compressedSize) bytes runs past the end of the column chunk (\(chunk.count - position) bytes left)", page: pageIndex, at: headerStart)
            }
            guard uncompressedSize <= ReaderLimits.maxPageSize,
                  uncompressedSize <= compressedSize * ReaderLimits.maxCompressionRatio + ReaderLimits.smallPageAllowance
            else {
                throw fail("page claims \(uncompressedSize) uncompressed bytes from \(compressedSize) compressed bytes; refusing (limit \(ReaderLimits.maxPageSize))", page: pageIndex, at: headerStart)
            }
            let stored = UnsafeRawBufferPointer(rebasing: chunk[position..<(position + compressedSize)])
            let pageStart = position
            position += compressedSize

            if options.verifyChecksums, let crc = header.crc {
                let actual = CRC32.checksum(stored)
                if actual != UInt32(bitPattern: crc) {
                    var at = location
                    at.page = pageIndex
                    at.offset = baseOffset + Int64(headerStart)
                    throw ParquetError.checksumMismatch(at, expected: UInt32(bitPattern: crc), actual: actual)
                }
            }

            switch header.type {
            case .dictionaryPage:
                guard let dict = header.dictionaryPageHeader else {
                    throw fail("dictionary page without a dictionary page header", page: pageIndex, at: headerStart)
                }
                guard values.count == 0 && values.dictionary == nil else {
                    throw fail("a second dictionary page, or a dictionary page after data pages", page: pageIndex, at: headerStart)
                }
                let n = Int(dict.numValues)
                guard n >= 0, n <= ReaderLimits.maxDictionaryEntries else {
                    throw fail("dictionary page has an invalid value count \(dict.numValues)", page: pageIndex, at: headerStart)
                }
                let body = try decompress(stored, to: uncompressedSize, scratch: &scratch, page: pageIndex, at: pageStart)
                do {
                    let decoded = try PageValues.decodePlain(body, physical: descriptor.physicalType, width: descriptor.typeLength, count: n)
                    values.dictionary = decoded
                    dictionarySize = n
                } catch {
                    throw fail("dictionary: \(error)", page: pageIndex, at: pageStart)
                }

            case .dataPage, .dataPageV2:
                let isV2 = header.type == .dataPageV2
                let numValues: Int
                let encoding: Encoding
                if isV2 {
                    guard let h = header.dataPageHeaderV2 else { throw fail("v2 data page without its header", page: pageIndex, at: headerStart) }
                    numValues = Int(h.numValues)
                    encoding = h.encoding
                } else {
                    guard let h = header.dataPageHeader else { throw fail("data page without its header", page: pageIndex, at: headerStart) }
                    numValues = Int(h.numValues)
                    encoding = h.encoding
                }
                guard numValues >= 0, numValues <= ReaderLimits.maxValuesPerPage else {
                    throw fail("data page has an invalid value count \(numValues)", page: pageIndex, at: headerStart)
                }
                guard numValues <= expectedValues - levelsRead else {
                    throw fail("data page holds \(numValues) values but the column chunk has only \(expectedValues - levelsRead) left of the \(expectedValues) its metadata states", page: pageIndex, at: headerStart)
                }
                // Levels.
                var body: UnsafeRawBufferPointer
                var nonNull = numValues
                do {
                    if isV2 {
                        let h = header.dataPageHeaderV2!
                        let repLength = Int(h.repetitionLevelsByteLength)
                        let defLength = Int(h.definitionLevelsByteLength)
                        guard repLength >= 0, defLength >= 0, repLength + defLength <= compressedSize,
                              repLength + defLength <= uncompressedSize
                        else {
                            throw fail("v2 page level lengths (\(repLength), \(defLength)) do not fit the page", page: pageIndex, at: headerStart)
                        }
                        if maxRep > 0 {
                            try appendLevels(&repLevels!, count: numValues) { out in
                                try LevelDecoder.decodeV2(UnsafeRawBufferPointer(rebasing: stored[0..<repLength]), maxLevel: maxRep, count: numValues, into: out)
                            }
                        }
                        if maxDef > 0 {
                            nonNull = try appendLevels(&defLevels!, count: numValues, maxLevel: maxDef) { out in
                                try LevelDecoder.decodeV2(UnsafeRawBufferPointer(rebasing: stored[repLength..<(repLength + defLength)]), maxLevel: maxDef, count: numValues, into: out)
                            }
                        }
                        let payload = UnsafeRawBufferPointer(rebasing: stored[(repLength + defLength)...])
                        let payloadSize = uncompressedSize - repLength - defLength
                        if h.isCompressed && codec != .uncompressed {
                            body = try decompress(payload, to: payloadSize, scratch: &scratch, page: pageIndex, at: pageStart + repLength + defLength)
                        } else {
                            body = payload
                        }
                    } else {
                        let h = header.dataPageHeader!
                        body = try decompress(stored, to: uncompressedSize, scratch: &scratch, page: pageIndex, at: pageStart)
                        if maxRep > 0 {
                            var used = 0
                            try appendLevels(&repLevels!, count: numValues) { out in
                                used = try LevelDecoder.decodeV1(body, encoding: h.repetitionLevelEncoding, maxLevel: maxRep, count: numValues, into: out)
                            }
                            body = UnsafeRawBufferPointer(rebasing: body[used...])
                        }
                        if maxDef > 0 {
                            var used = 0
                            nonNull = try appendLevels(&defLevels!, count: numValues, maxLevel: maxDef) { out in
                                used = try LevelDecoder.decodeV1(body, encoding: h.definitionLevelEncoding, maxLevel: maxDef, count: numValues, into: out)
                            }
                            body = UnsafeRawBufferPointer(rebasing: body[used...])
                        }
                    }
                } catch let error as ParquetError {
                    throw error
                } catch {
                    throw fail("levels: \(error)", page: pageIndex, at: pageStart)
                }
                if levelsRead == 0, let rep = repLevels, let first = rep.first, first != 0 {
                    throw fail("the first repetition level is \(first); a column chunk must start a new record (0)", page: pageIndex, at: pageStart)
                }
                // Values.
                do {
                    try decodeValues(body, encoding: encoding, count: nonNull, into: &values, dictionarySize: dictionarySize)
                } catch let error as ParquetError {
                    throw error
                } catch {
                    throw fail("\(encoding) values: \(error)", page: pageIndex, at: pageStart)
                }
                levelsRead += numValues

            default:
                break  // index pages and unknown page types are skipped
            }
            pageIndex += 1
        }
        guard levelsRead == expectedValues else {
            throw fail("column chunk ended after \(levelsRead) of the \(expectedValues) values its metadata states", page: pageIndex, at: position)
        }
        // Rows.
        let rows: Int
        if let rep = repLevels {
            rows = rep.withUnsafeBufferPointer { buf in buf.reduce(0) { $0 + ($1 == 0 ? 1 : 0) } }
        } else {
            rows = levelsRead
        }
        guard rows == expectedRows else {
            throw fail("column chunk has \(rows) rows but its row group has \(expectedRows)", page: nil, at: 0)
        }
        return Column(descriptor: descriptor, levelCount: levelsRead, definitionLevels: defLevels,
                      repetitionLevels: repLevels, values: values.finish())
    }

    /// Extends `levels` by `count` entries, lets `decode` fill them, and (with `maxLevel`) returns how many equal it.
    @discardableResult
    private func appendLevels(_ levels: inout [UInt16], count: Int, maxLevel: Int = -1,
                              _ decode: (UnsafeMutablePointer<UInt16>) throws -> Void) throws -> Int {
        let old = levels.count
        levels.append(contentsOf: repeatElement(0, count: count))
        return try levels.withUnsafeMutableBufferPointer { buf in
            let out = buf.baseAddress! + old
            try decode(out)
            guard maxLevel >= 0 else { return 0 }
            let top = UInt16(maxLevel)
            var n = 0
            for i in 0..<count where out[i] == top { n += 1 }
            return n
        }
    }

    private func decompress(_ stored: UnsafeRawBufferPointer, to size: Int, scratch: inout ScratchBuffer, page: Int, at offset: Int) throws -> UnsafeRawBufferPointer {
        if codec == .uncompressed {
            guard stored.count == size else {
                throw fail("uncompressed page stores \(stored.count) bytes but its header says \(size)", page: page, at: offset)
            }
            return stored
        }
        if size == 0 && stored.isEmpty { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let out = scratch.reserve(size)
        do {
            let n = try Codecs.decompress(codec, stored, into: out)
            guard n == size else {
                throw fail("\(codec.name) page inflated to \(n) bytes, header says \(size)", page: page, at: offset)
            }
        } catch let error as ParquetError {
            throw error
        } catch {
            throw fail("\(codec.name) decompression failed: \(error)", page: page, at: offset)
        }
        return UnsafeRawBufferPointer(out)
    }

    private func decodeValues(_ body: UnsafeRawBufferPointer, encoding: Encoding, count: Int, into values: inout ValueBuffers, dictionarySize: Int) throws {
        let physical = descriptor.physicalType
        switch encoding {
        case .plainDictionary, .rleDictionary:
            guard values.dictionary != nil else {
                throw EncodingError("dictionary-encoded page but the column chunk has no dictionary page")
            }
            if values.plainMode {
                var codes = [Int32](repeating: 0, count: count)
                try codes.withUnsafeMutableBufferPointer { buf in
                    try PageValues.decodeIndices(body, count: count, dictionarySize: dictionarySize, into: buf.baseAddress!)
                }
                values.appendMaterialized(values.dictionary!, codes)
            } else {
                let start = values.extendCodes(count)
                try values.codes.withUnsafeMutableBufferPointer { buf in
                    try PageValues.decodeIndices(body, count: count, dictionarySize: dictionarySize, into: buf.baseAddress! + start)
                }
            }
        case .plain where physical == .int32 || physical == .int64 || physical == .float || physical == .double:
            let width = (physical == .int32 || physical == .float) ? 4 : 8
            guard body.count >= count * width else {
                throw EncodingError("PLAIN \(physical) needs \(count * width) bytes for \(count) values, page has \(body.count)")
            }
            if count > 0 { values.appendFixedWidth(body.baseAddress!, count: count) }
        default:
            values.appendPlain(try PageValues.decode(body, encoding: encoding, physical: physical, width: descriptor.typeLength, count: count))
        }
    }
}

/// A reusable decompression buffer (one per chunk read), so pages do not each allocate.
struct ScratchBuffer {
    private var buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    mutating func reserve(_ size: Int) -> UnsafeMutableRawBufferPointer {
        if buffer.count < size {
            buffer.deallocate()
            buffer = .allocate(byteCount: max(size, 64), alignment: 16)
        }
        return UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size])
    }
    mutating func free() {
        buffer.deallocate()
        buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    }
}
