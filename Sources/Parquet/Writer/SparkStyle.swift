import Compression

/// Writer settings that make a file look like one Spark 3 wrote (parquet-mr, v1 pages, snappy), for demo data and
/// fixtures: the `created_by` string, the `spark_schema` root, PLAIN_DICTIONARY names and the Spark schema JSON in
/// `org.apache.spark.sql.parquet.row.metadata`.
public enum SparkStyle {
    public static let createdBy = "parquet-mr version 1.13.1 (build db4183109d5b734ec5930d870cdae161e408ddba)"

    /// Options for a Spark-like file of `schema`.
    public static func options(schema: [ParquetColumnSpec], sparkVersion: String = "3.5.1",
                               codec: CompressionCodec = .snappy) -> ParquetWriterOptions {
        var o = ParquetWriterOptions()
        o.codec = codec
        o.dataPageVersion = 1
        o.legacyDictionaryEncoding = true
        o.createdBy = createdBy
        o.schemaName = "spark_schema"
        o.keyValueMetadata = [
            KeyValue(key: "org.apache.spark.version", value: sparkVersion),
            KeyValue(key: "org.apache.spark.sql.parquet.row.metadata", value: rowMetadataJSON(schema)),
        ]
        return o
    }

    /// Spark's JSON schema (`StructType.json`) for a flat schema.
    public static func rowMetadataJSON(_ schema: [ParquetColumnSpec]) -> String {
        let fields = schema.map { spec in
            #"{"name":\#(jsonString(spec.name)),"type":\#(jsonString(sparkTypeName(spec))),"nullable":\#(spec.nullable),"metadata":{}}"#
        }
        return #"{"type":"struct","fields":["# + fields.joined(separator: ",") + "]}"
    }

    /// The Spark SQL type Spark reads the column as.
    public static func sparkTypeName(_ spec: ParquetColumnSpec) -> String {
        switch spec.logicalType {
        case .string?, .enumType?, .json?: return "string"
        case .date?: return "date"
        case .timestamp(let utc, _)?: return utc ? "timestamp" : "timestamp_ntz"
        case .decimal(let scale, let precision)?: return "decimal(\(precision),\(scale))"
        case .integer(let bits, let signed)?:
            switch (bits, signed) {
            case (8, true): return "byte"
            case (16, true), (8, false): return "short"
            case (32, true), (16, false): return "integer"
            case (64, true), (32, false): return "long"
            default: return "decimal(20,0)"
            }
        case .time?: return "long"
        default: break
        }
        switch spec.physicalType {
        case .boolean: return "boolean"
        case .int32: return "integer"
        case .int64: return "long"
        case .int96: return "timestamp"
        case .float: return "float"
        case .double: return "double"
        case .byteArray, .fixedLenByteArray: return "binary"
        }
    }

    /// `s` as a JSON string literal, escaped the way `cat` prints strings.
    static func jsonString(_ s: String) -> String {
        var out = ""
        RowValue.writeJSONString(s, to: &out)
        return out
    }
}
