/// One field of a schema to write: a primitive column or a group of fields, with its repetition
/// (REQUIRED, OPTIONAL or REPEATED). Groups annotated LIST or MAP are built by `list` and `map` in the layout
/// parquet-format specifies and Spark, parquet-mr and Arrow write:
///
/// ```
/// <optional|required> group a (LIST) { repeated group list { <optional|required> <element type> element; } }
/// <optional|required> group m (MAP) { repeated group key_value { required <key type> key; <optional|required> <value type> value; } }
/// ```
public struct ParquetSchemaNode: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A leaf column. The physical and logical types, type length and field id come from `spec`; its
        /// `nullable` flag is ignored (the node's `repetition` decides).
        case primitive(ParquetColumnSpec)
        /// A group of fields; `logicalType` is nil for a struct, `.list` or `.map` for the annotated layouts.
        case group([ParquetSchemaNode], logicalType: LogicalType?)
    }

    public var name: String
    public var repetition: Repetition
    public var kind: Kind
    /// Optional `field_id` of a group (a primitive's comes from its spec).
    public var fieldId: Int32?

    public init(name: String, repetition: Repetition, kind: Kind, fieldId: Int32? = nil) {
        self.name = name
        self.repetition = repetition
        self.kind = kind
        self.fieldId = fieldId
    }

    public var children: [ParquetSchemaNode] {
        if case .group(let children, _) = kind { return children }
        return []
    }
}

// MARK: Building schemas

extension ParquetSchemaNode {
    /// A primitive column, OPTIONAL when `spec.nullable`, else REQUIRED.
    public static func column(_ spec: ParquetColumnSpec) -> Self {
        Self(name: spec.name, repetition: spec.nullable ? .optional : .required, kind: .primitive(spec))
    }

    /// A struct of `fields`.
    public static func group(_ name: String, _ fields: [ParquetSchemaNode], nullable: Bool = true, fieldId: Int32? = nil) -> Self {
        Self(name: name, repetition: nullable ? .optional : .required, kind: .group(fields, logicalType: nil), fieldId: fieldId)
    }

    /// A LIST of `element` (whose name is replaced by `element`), three levels deep.
    public static func list(_ name: String, element: ParquetSchemaNode, nullable: Bool = true, fieldId: Int32? = nil) -> Self {
        var element = element
        element.rename("element")
        let repeated = Self(name: "list", repetition: .repeated, kind: .group([element], logicalType: nil))
        return Self(name: name, repetition: nullable ? .optional : .required, kind: .group([repeated], logicalType: .list), fieldId: fieldId)
    }

    /// A MAP from `key` (made REQUIRED and named `key`) to `value` (named `value`).
    public static func map(_ name: String, key: ParquetSchemaNode, value: ParquetSchemaNode, nullable: Bool = true,
                           fieldId: Int32? = nil) -> Self {
        var key = key
        key.rename("key")
        key.repetition = .required
        var value = value
        value.rename("value")
        let entries = Self(name: "key_value", repetition: .repeated, kind: .group([key, value], logicalType: nil))
        return Self(name: name, repetition: nullable ? .optional : .required, kind: .group([entries], logicalType: .map), fieldId: fieldId)
    }

    /// `node` as a REPEATED field (a bare repeated column or group, without a LIST annotation).
    public static func repeated(_ node: ParquetSchemaNode) -> Self {
        var node = node
        node.repetition = .repeated
        return node
    }

    private mutating func rename(_ newName: String) {
        name = newName
        if case .primitive(var spec) = kind {
            spec.name = newName
            kind = .primitive(spec)
        }
    }
}

// MARK: From a file being read

extension ParquetSchemaNode {
    /// The top-level fields of a file's schema, to write its data again with the same shape (transcoding).
    /// Legacy converted types become their logical types; an unknown logical type is dropped.
    public static func fields(of schema: ParquetSchema) throws -> [ParquetSchemaNode] {
        try schema.root.children.map { try ParquetSchemaNode(node: $0) }
    }

    public init(node: SchemaNode) throws {
        let e = node.element
        if node.isLeaf {
            let descriptor = ColumnDescriptor(path: node.path, element: e, physicalType: e.type!,
                                              maxDefinitionLevel: 0, maxRepetitionLevel: 0, index: node.leafIndex ?? 0)
            let spec = try ParquetColumnSpec(leaf: descriptor)
            self.init(name: e.name, repetition: node.repetition, kind: .primitive(spec))
            return
        }
        var logical: LogicalType?
        switch e.logicalType {
        case .list?: logical = .list
        case .map?: logical = .map
        default:
            if e.convertedType == .list { logical = .list }
            if e.convertedType == .map || e.convertedType == .mapKeyValue { logical = .map }
        }
        // MAP_KEY_VALUE on the repeated group inside a MAP is legacy: the MAP annotation on its parent says it all.
        if node.repetition == .repeated && logical == .map && e.convertedType == .mapKeyValue && e.logicalType == nil {
            logical = nil
        }
        self.init(name: e.name, repetition: node.repetition,
                  kind: .group(try node.children.map { try ParquetSchemaNode(node: $0) }, logicalType: logical),
                  fieldId: e.fieldId)
    }
}

// MARK: Resolution

/// A schema checked and flattened for writing: the Thrift elements, the leaf columns with their levels, and the
/// tree the record shredder walks.
struct WriterSchema {
    let fields: [ParquetSchemaNode]
    /// Depth-first, root first.
    let elements: [SchemaElement]
    let leaves: [ResolvedColumn]
    let shredTree: [ShredNode]

    init(fields: [ParquetSchemaNode], rootName: String) throws {
        guard !fields.isEmpty else { throw ParquetError.invalidSchema("the schema has no columns") }
        var elements = [SchemaElement(name: rootName, numChildren: Int32(fields.count))]
        var leaves: [ResolvedColumn] = []
        func resolve(_ node: ParquetSchemaNode, path: [String], def: Int, rep: Int, repeatedDefs: [Int], depth: Int) throws -> ShredNode {
            let path = path + [node.name]
            let dotted = path.joined(separator: ".")
            guard !node.name.isEmpty else { throw ParquetError.invalidSchema("a field under '\(path.dropLast().joined(separator: "."))' has an empty name") }
            guard depth <= ParquetSchema.maxDepth else {
                throw ParquetError.invalidSchema("'\(dotted)': nesting deeper than \(ParquetSchema.maxDepth)")
            }
            let def = def + (node.repetition == .required ? 0 : 1)
            let rep = rep + (node.repetition == .repeated ? 1 : 0)
            let repeatedDefs = node.repetition == .repeated ? repeatedDefs + [def] : repeatedDefs
            switch node.kind {
            case .primitive(var spec):
                spec.name = node.name
                var leaf = try ResolvedColumn(spec, index: leaves.count, path: path, repetition: node.repetition,
                                              maxDefinitionLevel: def, maxRepetitionLevel: rep)
                leaf.repeatedAncestorDefinitionLevels = repeatedDefs
                leaves.append(leaf)
                elements.append(leaf.element)
                return ShredNode(path: dotted, repetition: node.repetition, definitionLevel: def, repetitionLevel: rep,
                                 kind: .leaf(leaf.index))
            case .group(let children, let logical):
                guard !children.isEmpty else { throw ParquetError.invalidSchema("group '\(dotted)' has no fields") }
                var names = Set<String>()
                for child in children where !names.insert(child.name).inserted {
                    throw ParquetError.invalidSchema("group '\(dotted)': the name '\(child.name)' is used twice")
                }
                var converted: ConvertedType?
                switch logical {
                case nil: break
                case .list?: converted = .list
                case .map?: converted = .map
                case let other?: throw ParquetError.invalidSchema("group '\(dotted)': logical type \(other) cannot annotate a group")
                }
                elements.append(SchemaElement(repetitionType: node.repetition, name: node.name, numChildren: Int32(children.count),
                                              convertedType: converted, fieldId: node.fieldId, logicalType: logical))
                let resolved = try children.map {
                    try resolve($0, path: path, def: def, rep: rep, repeatedDefs: repeatedDefs, depth: depth + 1)
                }
                let kind: ShredNode.Kind
                if logical != nil, resolved.count == 1, resolved[0].repetition == .repeated {
                    let inner = resolved[0]
                    if logical == .map {
                        guard case .fields(let kv) = inner.kind, kv.count == 2 else {
                            throw ParquetError.invalidSchema("MAP '\(dotted)': its repeated group must hold exactly a key and a value")
                        }
                        kind = .map(inner)
                    } else {
                        // The element is the repeated group's only field, unless the group is the element itself
                        // (the legacy two-level layouts: a group named `array` or `<name>_tuple`, or several fields).
                        var elementIsChild = false
                        if case .fields(let f) = inner.kind, f.count == 1,
                           children[0].name != "array", children[0].name != node.name + "_tuple" {
                            elementIsChild = true
                        }
                        kind = .list(inner, elementIsChild: elementIsChild)
                    }
                } else if logical != nil {
                    throw ParquetError.invalidSchema("\(logical == .map ? "MAP" : "LIST") '\(dotted)' must have exactly one field, and it must be REPEATED")
                } else {
                    kind = .fields(resolved)
                }
                return ShredNode(path: dotted, repetition: node.repetition, definitionLevel: def, repetitionLevel: rep, kind: kind)
            }
        }
        var names = Set<String>()
        var tree: [ShredNode] = []
        for (i, field) in fields.enumerated() {
            guard names.insert(field.name).inserted else {
                throw ParquetError.invalidSchema("column \(i): the name '\(field.name)' is used twice")
            }
            tree.append(try resolve(field, path: [], def: 0, rep: 0, repeatedDefs: [], depth: 1))
        }
        guard leaves.count <= Int(Int32.max) else { throw ParquetError.invalidSchema("too many columns") }
        self.fields = fields
        self.elements = elements
        self.leaves = leaves
        self.shredTree = tree
    }
}

/// A schema node as the record shredder sees it: levels reached when present, and how its value is laid out.
struct ShredNode: Sendable {
    indirect enum Kind: Sendable {
        case leaf(Int)
        /// A struct: the value is `.group` with one value per field.
        case fields([ShredNode])
        /// A LIST: the value is `.list`; each item is one occurrence of the repeated node, or, with
        /// `elementIsChild`, the value of that node's only field.
        case list(ShredNode, elementIsChild: Bool)
        /// A MAP: the value is `.map`; each entry is one occurrence of the repeated key/value group.
        case map(ShredNode)
    }

    let path: String
    let repetition: Repetition
    let definitionLevel: Int
    let repetitionLevel: Int
    let kind: Kind

    /// Indices of every leaf below (or at) this node.
    var leaves: [Int] {
        switch kind {
        case .leaf(let i): return [i]
        case .fields(let children): return children.flatMap(\.leaves)
        case .list(let inner, _), .map(let inner): return inner.leaves
        }
    }
}
