/// One column of a `ColumnBatch`: Dremel levels plus densely packed non-null values.
///
/// For a flat required column there are no levels and `values.count == levelCount`.
/// For a flat optional column `definitionLevels[i] == maxDefinitionLevel` marks row `i` as non-null;
/// the k-th non-null row holds `values[k]`.
public struct Column: Sendable {
    public var descriptor: ColumnDescriptor
    /// Number of level entries (rows for flat columns).
    public var levelCount: Int
    /// Definition levels, or nil when the column cannot be null (`maxDefinitionLevel == 0`).
    public var definitionLevels: [UInt16]?
    /// Repetition levels, or nil when the column is not repeated (`maxRepetitionLevel == 0`).
    public var repetitionLevels: [UInt16]?
    /// Non-null values in the physical type; dictionary-encoded chunks keep their dictionary and codes.
    public var values: ColumnData

    public init(descriptor: ColumnDescriptor, levelCount: Int, definitionLevels: [UInt16]?, repetitionLevels: [UInt16]?, values: ColumnData) {
        self.descriptor = descriptor
        self.levelCount = levelCount
        self.definitionLevels = definitionLevels
        self.repetitionLevels = repetitionLevels
        self.values = values
    }

    /// Number of null (or empty) entries.
    public var nullCount: Int { levelCount - values.count }

    /// For flat columns: per row, whether it holds a value (nil when every row does).
    public var validity: [Bool]? {
        guard let def = definitionLevels, descriptor.maxRepetitionLevel == 0 else { return nil }
        let maxDef = UInt16(descriptor.maxDefinitionLevel)
        return def.map { $0 == maxDef }
    }
}

/// Decoded columns of one row group (or part of one): the unit the engine folds.
public struct ColumnBatch: Sendable {
    /// Number of rows (records) in the batch.
    public var rowCount: Int
    /// The requested columns, in the order asked for.
    public var columns: [Column]
    /// The index of the row group this batch came from.
    public var rowGroup: Int

    public init(rowCount: Int, columns: [Column], rowGroup: Int) {
        self.rowCount = rowCount
        self.columns = columns
        self.rowGroup = rowGroup
    }

    /// The column with the given dotted path, if it was read.
    public func column(named name: String) -> Column? {
        columns.first { $0.descriptor.dottedPath == name }
    }
}
