/// One node of a Parquet schema tree: a group (with children) or a primitive leaf column.
public struct SchemaNode: Sendable {
    /// The Thrift schema element this node was built from.
    public var element: SchemaElement
    /// Child nodes, in schema order (empty for a leaf).
    public var children: [SchemaNode]
    /// Names from the root's child down to this node.
    public var path: [String]
    /// The definition level a value reaches when this node is present (counts optional and repeated ancestors, inclusive).
    public var definitionLevel: Int
    /// The repetition level of this node (counts repeated ancestors, inclusive).
    public var repetitionLevel: Int
    /// For leaves: the index of this column among all leaves (the order of column chunks in a row group).
    public var leafIndex: Int?

    public var name: String { element.name }
    public var isLeaf: Bool { element.type != nil && children.isEmpty && (element.numChildren ?? 0) == 0 }
    public var repetition: Repetition { element.repetitionType ?? .required }
}

/// A leaf column: where it sits in the schema and how to read its values.
public struct ColumnDescriptor: Sendable {
    /// Path from the root's child to the leaf, e.g. `["a", "list", "element"]`.
    public var path: [String]
    /// The leaf's schema element (physical type, logical type, type length, decimal scale and precision).
    public var element: SchemaElement
    public var physicalType: PhysicalType
    public var maxDefinitionLevel: Int
    public var maxRepetitionLevel: Int
    /// Position among the leaves (and so among a row group's column chunks).
    public var index: Int

    /// The dotted path, as `backfill schema` and `--columns` show it.
    public var dottedPath: String { path.joined(separator: ".") }
    /// Fixed byte width for FIXED_LEN_BYTE_ARRAY columns.
    public var typeLength: Int { Int(element.typeLength ?? 0) }
}

/// A file's schema as a tree plus the flat list of leaf columns.
public struct ParquetSchema: Sendable {
    /// The root group (its name is usually `schema` or `spark_schema`).
    public var root: SchemaNode
    /// Leaf columns in file order.
    public var columns: [ColumnDescriptor]

    /// Limits that keep a corrupt schema from driving recursion or allocation.
    static let maxDepth = 100
    static let maxLevel = Int(UInt16.max) - 1

    /// Builds the tree from the flattened depth-first list in `FileMetaData.schema`.
    public init(elements: [SchemaElement]) throws {
        guard let first = elements.first else { throw ParquetError.invalidSchema("the schema has no elements") }
        var position = 1
        var columns: [ColumnDescriptor] = []
        func build(_ element: SchemaElement, path: [String], def: Int, rep: Int, depth: Int) throws -> SchemaNode {
            guard depth <= ParquetSchema.maxDepth else {
                throw ParquetError.invalidSchema("schema nesting deeper than \(ParquetSchema.maxDepth) at '\(path.joined(separator: "."))'")
            }
            guard def <= ParquetSchema.maxLevel, rep <= ParquetSchema.maxLevel else {
                throw ParquetError.invalidSchema("too many nested levels at '\(path.joined(separator: "."))'")
            }
            let childCount = Int(element.numChildren ?? 0)
            guard childCount >= 0, childCount <= elements.count - position else {
                throw ParquetError.invalidSchema(
                    "schema element '\(element.name)' claims \(childCount) children but only \(elements.count - position) elements follow")
            }
            var node = SchemaNode(element: element, children: [], path: path, definitionLevel: def, repetitionLevel: rep, leafIndex: nil)
            if childCount == 0 {
                guard let physical = element.type else {
                    if depth == 0 { return node }  // an empty root: a file with no columns
                    throw ParquetError.invalidSchema("schema element '\(path.joined(separator: "."))' has neither a type nor children")
                }
                if physical == .fixedLenByteArray {
                    guard let width = element.typeLength, width >= 0, width <= 1 << 20 else {
                        throw ParquetError.invalidSchema("FIXED_LEN_BYTE_ARRAY column '\(path.joined(separator: "."))' has an invalid type length \(element.typeLength.map(String.init) ?? "(missing)")")
                    }
                }
                node.leafIndex = columns.count
                columns.append(ColumnDescriptor(path: path, element: element, physicalType: physical,
                                                maxDefinitionLevel: def, maxRepetitionLevel: rep, index: columns.count))
                return node
            }
            node.children.reserveCapacity(childCount)
            for _ in 0..<childCount {
                let child = elements[position]
                position += 1
                let repetition = child.repetitionType ?? .required
                let childDef = def + (repetition == .required ? 0 : 1)
                let childRep = rep + (repetition == .repeated ? 1 : 0)
                node.children.append(try build(child, path: path + [child.name], def: childDef, rep: childRep, depth: depth + 1))
            }
            return node
        }
        root = try build(first, path: [], def: 0, rep: 0, depth: 0)
        guard position == elements.count else {
            throw ParquetError.invalidSchema("schema has \(elements.count - position) elements not reachable from the root")
        }
        self.columns = columns
    }
}
