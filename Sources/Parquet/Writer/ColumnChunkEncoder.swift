import Compression

/// One column chunk, encoded: its pages (dictionary page first) and what its `ColumnMetaData` needs.
/// Offsets are relative to the chunk's first byte; the writer makes them absolute.
struct EncodedChunk {
    var bytes: [UInt8] = []
    /// Size (header + body) of the dictionary page at the start of `bytes`, if there is one.
    var dictionaryPageLength: Int?
    /// Level entries (rows, for flat columns), nulls included.
    var numValues: Int = 0
    /// Sum of page header sizes and uncompressed page sizes.
    var totalUncompressedSize: Int = 0
    var encodings: [Encoding] = []
    var encodingStats: [PageEncodingStats] = []
    var statistics: Statistics?
}

/// Tracks the indices of the smallest and largest ordered values seen.
struct MinMax {
    var min: Int?
    var max: Int?

    mutating func add<V: WritableValues>(_ i: Int, _ values: V) {
        guard values.isOrdered(i) else { return }
        if let m = min { if values.isLess(i, m) { min = i } } else { min = i }
        if let m = max { if values.isLess(m, i) { max = i } } else { max = i }
    }

    mutating func merge<V: WritableValues>(_ other: MinMax, _ values: V) {
        if let m = other.min { add(m, values) }
        if let m = other.max { add(m, values) }
    }
}

/// Assigns dictionary codes in order of first appearance.
struct DictionaryBuilder<V: WritableValues> {
    var codes: [V.Key: Int32] = [:]
    /// Value index of each entry's first occurrence.
    var entries: [Int] = []
    /// PLAIN size of the dictionary page body.
    var byteSize = 0

    mutating func code(for i: Int, in values: V) -> Int32 {
        let key = values.key(i)
        if let c = codes[key] { return c }
        let c = Int32(entries.count)
        codes[key] = c
        entries.append(i)
        byteSize += values.plainSize(i)
        return c
    }
}

/// Bits needed for values `0...maxValue`.
@inline(__always)
func bitWidth(forMax maxValue: Int) -> Int {
    maxValue <= 0 ? 0 : Int.bitWidth - maxValue.leadingZeroBitCount
}

/// Encodes the rows of one column of one row group into pages.
struct ColumnChunkEncoder {
    let column: ResolvedColumn
    let options: ParquetWriterOptions

    /// Encodes rows `rows` of a column whose non-null values `values` (indices into `data`) belong to those rows.
    /// `validity` (indexed like `rows`) says which rows hold a value; nil means all do.
    func encode<V: WritableValues>(_ data: V, values valueRange: Range<Int>, validity: [Bool]?, rows: Range<Int>) throws -> EncodedChunk {
        var chunk = EncodedChunk()
        chunk.numValues = rows.count
        var chunkMinMax = MinMax()
        let ordered = options.writeStatistics && column.order != .none
        let isV2 = options.dataPageVersion == 2
        let maxDef = column.maxDefinitionLevel
        let legacyNames = options.legacyDictionaryEncoding && !isV2
        let dictionaryPageEncoding: Encoding = legacyNames ? .plainDictionary : .plain
        let dictionaryDataEncoding: Encoding = legacyNames ? .plainDictionary : .rleDictionary
        var dictionary: DictionaryBuilder<V>? = options.dictionary && column.physical != .boolean ? DictionaryBuilder() : nil
        /// Dictionary entries kept when the chunk fell back to PLAIN part way (pages before keep using them).
        var keptDictionary: [Int]?
        var dictionaryPages = 0
        var dataBytes: [UInt8] = []
        var dataUncompressed = 0
        var pageCounts: [(type: PageType, encoding: Encoding, count: Int32)] = []
        var valueEncodings: [Encoding] = []

        var row = rows.lowerBound
        var value = valueRange.lowerBound
        while row < rows.upperBound {
            let pageRowStart = row
            let pageValueStart = value
            let entriesAtPageStart = dictionary?.entries.count ?? 0
            var codes: [Int32] = []
            var plainBytes = 0
            // Choose the page's rows: stop at the byte target or the row limit.
            while row < rows.upperBound && row - pageRowStart < options.dataPageRowLimit {
                if validity?[row] ?? true {
                    if dictionary != nil {
                        codes.append(dictionary!.code(for: value, in: data))
                    } else {
                        plainBytes += data.plainSize(value)
                    }
                    value += 1
                }
                row += 1
                let levelBytes = maxDef > 0 ? (row - pageRowStart) / 8 : 0
                let valueBytes: Int
                if let entries = dictionary?.entries.count {
                    valueBytes = (codes.count * bitWidth(forMax: entries - 1) + 7) / 8
                } else {
                    valueBytes = plainBytes
                }
                if levelBytes + valueBytes >= options.dataPageSize { break }
            }
            if let d = dictionary, d.byteSize > options.dictionaryPageSizeLimit {
                // The dictionary outgrew its limit on this page: keep the entries of the pages already written,
                // and write this page and the rest of the chunk PLAIN.
                keptDictionary = Array(d.entries.prefix(entriesAtPageStart))
                dictionary = nil
                row = pageRowStart
                value = pageValueStart
                continue
            }

            // Values.
            let encoding: Encoding
            var valueBytes: [UInt8] = []
            if let d = dictionary {
                encoding = dictionaryDataEncoding
                valueBytes = DictionaryIndexEncoder.encode(codes, dictionarySize: d.entries.count)
                dictionaryPages += 1
            } else if isV2, let booleans = data as? BooleanValues {
                encoding = .rle
                booleans.appendRLE(pageValueStart..<value, to: &valueBytes)
            } else {
                encoding = .plain
                data.appendPlain(pageValueStart..<value, to: &valueBytes)
            }
            if !valueEncodings.contains(encoding) { valueEncodings.append(encoding) }

            // Definition levels (a flat column has no repetition levels).
            var levels: [UInt16] = []
            if maxDef > 0 {
                levels.reserveCapacity(row - pageRowStart)
                if let validity {
                    for r in pageRowStart..<row { levels.append(validity[r] ? 1 : 0) }
                } else {
                    levels.append(contentsOf: repeatElement(1, count: row - pageRowStart))
                }
            }

            // Statistics.
            var pageMinMax = MinMax()
            if ordered {
                for i in pageValueStart..<value { pageMinMax.add(i, data) }
                chunkMinMax.merge(pageMinMax, data)
            }
            let rowCount = row - pageRowStart
            let nulls = rowCount - (value - pageValueStart)
            let pageStatistics = options.writeStatistics ? statistics(pageMinMax, nulls: nulls, data) : nil

            // The page.
            let pageType: PageType = isV2 ? .dataPageV2 : .dataPage
            var header: PageHeader
            var stored: [UInt8]
            var uncompressedSize: Int
            if isV2 {
                let levelBytes = LevelEncoder.encodeV2(levels, maxLevel: maxDef)
                let compress = options.codec != .uncompressed
                stored = levelBytes
                stored.append(contentsOf: compress ? try self.compress(valueBytes) : valueBytes)
                uncompressedSize = levelBytes.count + valueBytes.count
                header = PageHeader(
                    type: pageType, uncompressedPageSize: try int32(uncompressedSize, "page"), compressedPageSize: try int32(stored.count, "page"),
                    dataPageHeaderV2: DataPageHeaderV2(
                        numValues: try int32(rowCount, "page"), numNulls: Int32(nulls), numRows: Int32(rowCount), encoding: encoding,
                        definitionLevelsByteLength: Int32(levelBytes.count), repetitionLevelsByteLength: 0,
                        isCompressed: compress, statistics: pageStatistics))
            } else {
                var body = LevelEncoder.encodeV1(levels, maxLevel: maxDef)
                body.append(contentsOf: valueBytes)
                uncompressedSize = body.count
                stored = options.codec == .uncompressed ? body : try compress(body)
                header = PageHeader(
                    type: pageType, uncompressedPageSize: try int32(uncompressedSize, "page"), compressedPageSize: try int32(stored.count, "page"),
                    dataPageHeader: DataPageHeader(
                        numValues: try int32(rowCount, "page"), encoding: encoding, definitionLevelEncoding: .rle,
                        repetitionLevelEncoding: .rle, statistics: pageStatistics))
            }
            if options.writePageChecksums { header.crc = checksum(stored) }
            let headerBytes = header.encoded()
            dataBytes.append(contentsOf: headerBytes)
            dataBytes.append(contentsOf: stored)
            dataUncompressed += headerBytes.count + uncompressedSize
            if let k = pageCounts.firstIndex(where: { $0.type == pageType && $0.encoding == encoding }) {
                pageCounts[k].count += 1
            } else {
                pageCounts.append((pageType, encoding, 1))
            }
        }

        // The dictionary page, ahead of the data pages.
        let dictionaryEntries = dictionary?.entries ?? keptDictionary
        if let entries = dictionaryEntries, dictionaryPages > 0 {
            var body: [UInt8] = []
            data.appendPlain(indices: entries, to: &body)
            let stored = options.codec == .uncompressed ? body : try compress(body)
            var header = PageHeader(
                type: .dictionaryPage, uncompressedPageSize: try int32(body.count, "dictionary page"),
                compressedPageSize: try int32(stored.count, "dictionary page"),
                dictionaryPageHeader: DictionaryPageHeader(numValues: Int32(entries.count), encoding: dictionaryPageEncoding))
            if options.writePageChecksums { header.crc = checksum(stored) }
            let headerBytes = header.encoded()
            chunk.bytes.reserveCapacity(headerBytes.count + stored.count + dataBytes.count)
            chunk.bytes.append(contentsOf: headerBytes)
            chunk.bytes.append(contentsOf: stored)
            chunk.dictionaryPageLength = headerBytes.count + stored.count
            chunk.totalUncompressedSize = headerBytes.count + body.count
            chunk.encodings.append(dictionaryPageEncoding)
            chunk.encodingStats.append(PageEncodingStats(pageType: .dictionaryPage, encoding: dictionaryPageEncoding, count: 1))
        }
        chunk.bytes.append(contentsOf: dataBytes)
        chunk.totalUncompressedSize += dataUncompressed
        // Levels are RLE (v1 headers name RLE even for REQUIRED columns).
        for e in [Encoding.rle] + valueEncodings where !chunk.encodings.contains(e) { chunk.encodings.append(e) }
        chunk.encodingStats += pageCounts.map { PageEncodingStats(pageType: $0.type, encoding: $0.encoding, count: $0.count) }
        if options.writeStatistics {
            chunk.statistics = statistics(chunkMinMax, nulls: rows.count - valueRange.count, data)
        }
        return chunk
    }

    func statistics<V: WritableValues>(_ minMax: MinMax, nulls: Int, _ data: V) -> Statistics {
        var s = Statistics(nullCount: Int64(nulls))
        guard column.order != .none, let lo = minMax.min, let hi = minMax.max else { return s }
        let minBytes = data.statisticsBytes(lo, asMin: true)
        let maxBytes = data.statisticsBytes(hi, asMin: false)
        guard minBytes.count <= options.maxStatisticsSize, maxBytes.count <= options.maxStatisticsSize else { return s }
        s.minValue = minBytes
        s.maxValue = maxBytes
        s.isMinValueExact = true
        s.isMaxValueExact = true
        if column.writesLegacyMinMax {
            s.min = minBytes
            s.max = maxBytes
        }
        return s
    }

    private func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        do {
            return try bytes.withUnsafeBytes { try Codecs.compress(options.codec, $0, level: options.compressionLevel) }
        } catch {
            throw ParquetError.invalidArgument("column '\(column.name)': \(options.codec.name) compression failed: \(error)")
        }
    }

    private func checksum(_ bytes: [UInt8]) -> Int32 {
        Int32(bitPattern: bytes.withUnsafeBytes { CRC32.checksum($0) })
    }

    private func int32(_ value: Int, _ what: String) throws -> Int32 {
        guard let v = Int32(exactly: value) else {
            throw ParquetError.invalidArgument("column '\(column.name)': a \(what) of \(value) bytes or values is too large for Parquet (limit \(Int32.max)); lower dataPageSize")
        }
        return v
    }
}
