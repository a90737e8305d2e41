import Compression

/// One column chunk, encoded: its pages (dictionary page first) and what its `ColumnMetaData` needs.
/// Offsets are relative to the chunk's first byte; the writer makes them absolute.
struct EncodedChunk {
    var bytes: [UInt8] = []
    /// Size (header + body) of the dictionary page at the start of `bytes`, if there is one.
    var dictionaryPageLength: Int?
    /// Level entries (rows, for flat columns), nulls included.
    var numValues: Int = 0
    /// Each data page: its offset from the chunk's first byte, its size (header included) and its first row.
    var pageLocations: [(offset: Int, size: Int, firstRow: Int)] = []
    /// The chunk's ColumnIndex, unless one cannot be written (no order, or a page whose min/max is unknown).
    var columnIndex: ColumnIndex?
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

/// Encodes the entries of one column of one row group into pages.
struct ColumnChunkEncoder {
    let column: ResolvedColumn
    let settings: ColumnSettings
    let options: ParquetWriterOptions
    /// The buffer's levels (empty when the column has none of that kind), indexed like the entries.
    let definitionLevels: [UInt16]
    let repetitionLevels: [UInt16]

    /// Encodes entries `levels` (whole records, `rows` of them) whose non-null values are `values` (indices into `data`).
    func encode<V: WritableValues>(_ data: V, levels levelRange: Range<Int>, values valueRange: Range<Int>, rows: Int) throws -> EncodedChunk {
        var chunk = EncodedChunk()
        chunk.numValues = levelRange.count
        var chunkMinMax = MinMax()
        let ordered = column.order != .none
        let isV2 = options.dataPageVersion == 2
        let maxDef = column.maxDefinitionLevel
        let maxRep = column.maxRepetitionLevel
        let maxDefinition = UInt16(maxDef)
        let legacyNames = options.legacyDictionaryEncoding && !isV2
        let dictionaryPageEncoding: Encoding = legacyNames ? .plainDictionary : .plain
        let dictionaryDataEncoding: Encoding = legacyNames ? .plainDictionary : .rleDictionary
        let valueEncoding: Encoding = settings.encoding ?? (isV2 && column.physical == .boolean ? .rle : .plain)
        var dictionary: DictionaryBuilder<V>? = settings.dictionary ? DictionaryBuilder() : nil
        /// Dictionary entries kept when the chunk fell back to PLAIN part way (pages before keep using them).
        var keptDictionary: [Int]?
        var dictionaryPages = 0
        var dataBytes: [UInt8] = []
        var dataUncompressed = 0
        var pageCounts: [(type: PageType, encoding: Encoding, count: Int32)] = []
        var valueEncodings: [Encoding] = []
        let levelBits = LevelDecoder.bitWidth(forMaxLevel: maxDef) + LevelDecoder.bitWidth(forMaxLevel: maxRep)
        // The page index: per page, null page or not, min/max value indices, null count.
        var pageIndexEntries: [(minMax: MinMax, nulls: Int, values: Int)] = []

        var level = levelRange.lowerBound
        var value = valueRange.lowerBound
        var row = 0
        while level < levelRange.upperBound {
            let pageLevelStart = level
            let pageValueStart = value
            let pageRowStart = row
            let entriesAtPageStart = dictionary?.entries.count ?? 0
            var codes: [Int32] = []
            var plainBytes = 0
            // Choose the page's records: stop at the byte target or the row limit, never inside a record.
            while level < levelRange.upperBound && row - pageRowStart < options.dataPageRowLimit {
                repeat {
                    if maxDef == 0 || definitionLevels[level] == maxDefinition {
                        if dictionary != nil {
                            codes.append(dictionary!.code(for: value, in: data))
                        } else {
                            plainBytes += data.plainSize(value)
                        }
                        value += 1
                    }
                    level += 1
                } while maxRep > 0 && level < levelRange.upperBound && repetitionLevels[level] != 0
                row += 1
                let levelBytes = (level - pageLevelStart) * levelBits / 8
                let valueBytes: Int
                if let entries = dictionary?.entries.count {
                    valueBytes = (codes.count * bitWidth(forMax: entries - 1) + 7) / 8
                } else {
                    valueBytes = plainBytes
                }
                if levelBytes + valueBytes >= options.dataPageSize { break }
            }
            if let d = dictionary, d.byteSize > settings.dictionaryPageSizeLimit {
                // The dictionary outgrew its limit on this page: keep the entries of the pages already written,
                // and write this page and the rest of the chunk in the column's fallback encoding.
                keptDictionary = Array(d.entries.prefix(entriesAtPageStart))
                dictionary = nil
                level = pageLevelStart
                value = pageValueStart
                row = pageRowStart
                continue
            }

            // Values.
            let encoding: Encoding
            var valueBytes: [UInt8] = []
            if let d = dictionary {
                encoding = dictionaryDataEncoding
                valueBytes = DictionaryIndexEncoder.encode(codes, dictionarySize: d.entries.count)
                dictionaryPages += 1
            } else {
                encoding = valueEncoding
                data.appendEncoded(pageValueStart..<value, encoding, to: &valueBytes)
            }
            if !valueEncodings.contains(encoding) { valueEncodings.append(encoding) }

            // Statistics.
            var pageMinMax = MinMax()
            if ordered {
                for i in pageValueStart..<value { pageMinMax.add(i, data) }
                chunkMinMax.merge(pageMinMax, data)
            }
            let entryCount = level - pageLevelStart
            let pageRows = row - pageRowStart
            let nulls = entryCount - (value - pageValueStart)
            pageIndexEntries.append((pageMinMax, nulls, value - pageValueStart))
            let pageStatistics = settings.writeStatistics ? statistics(pageMinMax, nulls: nulls, data) : nil

            // The page.
            let pageType: PageType = isV2 ? .dataPageV2 : .dataPage
            var header: PageHeader
            var stored: [UInt8]
            var uncompressedSize: Int
            let compressed = settings.codec != .uncompressed
            let defSlice = maxDef > 0 ? Array(definitionLevels[pageLevelStart..<level]) : []
            let repSlice = maxRep > 0 ? Array(repetitionLevels[pageLevelStart..<level]) : []
            if isV2 {
                let repBytes = LevelEncoder.encodeV2(repSlice, maxLevel: maxRep)
                let defBytes = LevelEncoder.encodeV2(defSlice, maxLevel: maxDef)
                stored = repBytes + defBytes
                stored.append(contentsOf: compressed ? try self.compress(valueBytes) : valueBytes)
                uncompressedSize = repBytes.count + defBytes.count + valueBytes.count
                header = PageHeader(
                    type: pageType, uncompressedPageSize: try int32(uncompressedSize, "page"), compressedPageSize: try int32(stored.count, "page"),
                    dataPageHeaderV2: DataPageHeaderV2(
                        numValues: try int32(entryCount, "page"), numNulls: Int32(nulls), numRows: Int32(pageRows), encoding: encoding,
                        definitionLevelsByteLength: Int32(defBytes.count), repetitionLevelsByteLength: Int32(repBytes.count),
                        isCompressed: compressed, statistics: pageStatistics))
            } else {
                var body = LevelEncoder.encodeV1(repSlice, maxLevel: maxRep)
                body.append(contentsOf: LevelEncoder.encodeV1(defSlice, maxLevel: maxDef))
                body.append(contentsOf: valueBytes)
                uncompressedSize = body.count
                stored = compressed ? try compress(body) : body
                header = PageHeader(
                    type: pageType, uncompressedPageSize: try int32(uncompressedSize, "page"), compressedPageSize: try int32(stored.count, "page"),
                    dataPageHeader: DataPageHeader(
                        numValues: try int32(entryCount, "page"), encoding: encoding, definitionLevelEncoding: .rle,
                        repetitionLevelEncoding: .rle, statistics: pageStatistics))
            }
            if options.writePageChecksums { header.crc = checksum(stored) }
            let headerBytes = header.encoded()
            chunk.pageLocations.append((dataBytes.count, headerBytes.count + stored.count, pageRowStart))
            dataBytes.append(contentsOf: headerBytes)
            dataBytes.append(contentsOf: stored)
            dataUncompressed += headerBytes.count + uncompressedSize
            if let k = pageCounts.firstIndex(where: { $0.type == pageType && $0.encoding == encoding }) {
                pageCounts[k].count += 1
            } else {
                pageCounts.append((pageType, encoding, 1))
            }
        }
        precondition(row == rows, "column '\(column.dottedPath)': \(row) records encoded, expected \(rows)")

        // The dictionary page, ahead of the data pages.
        let dictionaryEntries = dictionary?.entries ?? keptDictionary
        if let entries = dictionaryEntries, dictionaryPages > 0 {
            var body: [UInt8] = []
            data.appendPlain(indices: entries, to: &body)
            let stored = settings.codec == .uncompressed ? body : try compress(body)
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
            let shift = headerBytes.count + stored.count
            chunk.pageLocations = chunk.pageLocations.map { ($0.offset + shift, $0.size, $0.firstRow) }
        }
        chunk.bytes.append(contentsOf: dataBytes)
        chunk.totalUncompressedSize += dataUncompressed
        // Levels are RLE (v1 headers name RLE even for REQUIRED columns).
        for e in [Encoding.rle] + valueEncodings where !chunk.encodings.contains(e) { chunk.encodings.append(e) }
        chunk.encodingStats += pageCounts.map { PageEncodingStats(pageType: $0.type, encoding: $0.encoding, count: $0.count) }
        if settings.writeStatistics {
            chunk.statistics = statistics(chunkMinMax, nulls: levelRange.count - valueRange.count, data)
        }
        if options.writePageIndex && ordered {
            chunk.columnIndex = columnIndex(pageIndexEntries, data)
        }
        return chunk
    }

    /// Whether byte-string min/max values may be truncated (unsigned byte order), and whether as UTF-8 text.
    private var truncation: (allowed: Bool, utf8: Bool) {
        guard column.order == .unsignedBytes else { return (false, false) }
        switch column.spec.logicalType {
        case .string?, .enumType?, .json?: return (true, true)
        default: return (true, false)
        }
    }

    /// Min and max statistics bytes of `minMax`, truncated to `limit` where the type allows; nil when unknown.
    private func bounds<V: WritableValues>(_ minMax: MinMax, _ data: V, limit: Int?) -> (min: [UInt8], max: [UInt8], minExact: Bool, maxExact: Bool)? {
        guard column.order != .none, let lo = minMax.min, let hi = minMax.max else { return nil }
        var minBytes = data.statisticsBytes(lo, asMin: true)
        var maxBytes = data.statisticsBytes(hi, asMin: false)
        var minExact = true
        var maxExact = true
        let (allowed, utf8) = truncation
        if let limit, allowed {
            if minBytes.count > limit {
                minBytes = StatisticsTruncation.truncatedMin(minBytes, limit: limit, utf8: utf8)
                minExact = false
            }
            if maxBytes.count > limit, let t = StatisticsTruncation.truncatedMax(maxBytes, limit: limit, utf8: utf8) {
                maxBytes = t
                maxExact = false
            }
        }
        return (minBytes, maxBytes, minExact, maxExact)
    }

    func statistics<V: WritableValues>(_ minMax: MinMax, nulls: Int, _ data: V) -> Statistics {
        var s = Statistics(nullCount: Int64(nulls))
        guard let b = bounds(minMax, data, limit: options.statisticsTruncateLength) else { return s }
        guard b.min.count <= options.maxStatisticsSize, b.max.count <= options.maxStatisticsSize else { return s }
        s.minValue = b.min
        s.maxValue = b.max
        s.isMinValueExact = b.minExact
        s.isMaxValueExact = b.maxExact
        if column.writesLegacyMinMax {
            s.min = b.min
            s.max = b.max
        }
        return s
    }

    /// The ColumnIndex of the chunk's pages, or nil when a page with values has no min/max (all NaN, or too long).
    private func columnIndex<V: WritableValues>(_ pages: [(minMax: MinMax, nulls: Int, values: Int)], _ data: V) -> ColumnIndex? {
        var index = ColumnIndex(nullPages: [], minValues: [], maxValues: [], boundaryOrder: .unordered, nullCounts: [])
        var ordered: [(min: Int, max: Int, minBytes: [UInt8], maxBytes: [UInt8])] = []
        for page in pages {
            index.nullCounts!.append(Int64(page.nulls))
            if page.values == 0 {
                index.nullPages.append(true)
                index.minValues.append([])
                index.maxValues.append([])
                continue
            }
            guard let b = bounds(page.minMax, data, limit: options.columnIndexTruncateLength),
                  b.min.count <= options.maxStatisticsSize, b.max.count <= options.maxStatisticsSize else { return nil }
            index.nullPages.append(false)
            index.minValues.append(b.min)
            index.maxValues.append(b.max)
            ordered.append((page.minMax.min!, page.minMax.max!, b.min, b.max))
        }
        // Byte strings compare as stored (possibly truncated); other types by value.
        let byBytes = column.order == .unsignedBytes
        func lessOrEqual(_ a: Int, _ b: Int, _ x: [UInt8], _ y: [UInt8]) -> Bool {
            if byBytes { return !y.lexicographicallyPrecedes(x) }
            return !data.isLess(b, a)
        }
        var ascending = true
        var descending = true
        for k in ordered.indices.dropFirst() {
            let p = ordered[k - 1], q = ordered[k]
            if !(lessOrEqual(p.min, q.min, p.minBytes, q.minBytes) && lessOrEqual(p.max, q.max, p.maxBytes, q.maxBytes)) { ascending = false }
            if !(lessOrEqual(q.min, p.min, q.minBytes, p.minBytes) && lessOrEqual(q.max, p.max, q.maxBytes, p.maxBytes)) { descending = false }
        }
        index.boundaryOrder = ascending ? .ascending : descending ? .descending : .unordered
        return index
    }

    private func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        do {
            return try bytes.withUnsafeBytes { try Codecs.compress(settings.codec, $0, level: settings.compressionLevel) }
        } catch {
            throw ParquetError.invalidArgument("column '\(column.dottedPath)': \(settings.codec.name) compression failed: \(error)")
        }
    }

    private func checksum(_ bytes: [UInt8]) -> Int32 {
        Int32(bitPattern: bytes.withUnsafeBytes { CRC32.checksum($0) })
    }

    private func int32(_ value: Int, _ what: String) throws -> Int32 {
        guard let v = Int32(exactly: value) else {
            throw ParquetError.invalidArgument("column '\(column.dottedPath)': a \(what) of \(value) bytes or values is too large for Parquet (limit \(Int32.max)); lower dataPageSize")
        }
        return v
    }
}
