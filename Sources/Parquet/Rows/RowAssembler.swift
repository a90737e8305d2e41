/// Rebuilds records (structs, lists, maps) from the Dremel levels of a batch's leaf columns.
///
/// A null or empty node at definition level d has exactly one level entry in every leaf below it;
/// a present node is read child by child; a repeated node continues while the next entry of its first
/// leaf has the node's repetition level.
public struct RowAssembler {
    private let schema: ParquetSchema
    private let batch: ColumnBatch
    /// Batch column position for each leaf index, or nil when the leaf was not read.
    private var slot: [Int?]
    private var levelPosition: [Int]
    private var valuePosition: [Int]
    private let formatters: [ValueFormatter]
    private let fields: [SchemaNode]
    private let maxDef: [UInt16]

    /// `batch` must contain every leaf of each top-level field that is to be shown.
    public init(schema: ParquetSchema, batch: ColumnBatch) {
        self.schema = schema
        self.batch = batch
        var slot = [Int?](repeating: nil, count: schema.columns.count)
        for (i, column) in batch.columns.enumerated() { slot[column.descriptor.index] = i }
        self.slot = slot
        levelPosition = Array(repeating: 0, count: batch.columns.count)
        valuePosition = Array(repeating: 0, count: batch.columns.count)
        formatters = batch.columns.map(ValueFormatter.init(column:))
        maxDef = batch.columns.map { UInt16($0.descriptor.maxDefinitionLevel) }
        fields = schema.root.children.filter { node in
            RowAssembler.leaves(of: node).allSatisfy { slot[$0] != nil }
        }
    }

    /// Names of the top-level fields that rows will hold.
    public var fieldNames: [String] { fields.map(\.name) }

    static func leaves(of node: SchemaNode) -> [Int] {
        if let leaf = node.leafIndex { return [leaf] }
        return node.children.flatMap { leaves(of: $0) }
    }

    private func firstSlot(_ node: SchemaNode) -> Int {
        var n = node
        while n.leafIndex == nil { n = n.children[0] }
        return slot[n.leafIndex!]!
    }

    private func definition(_ s: Int) -> Int {
        guard let def = batch.columns[s].definitionLevels else { return Int(maxDef[s]) }
        return Int(def[levelPosition[s]])
    }

    private func repetition(_ s: Int) -> Int {
        guard let rep = batch.columns[s].repetitionLevels else { return 0 }
        return Int(rep[levelPosition[s]])
    }

    private mutating func skip(_ node: SchemaNode) {
        if let leaf = node.leafIndex {
            levelPosition[slot[leaf]!] += 1
            return
        }
        for child in node.children { skip(child) }
    }

    /// The next record, or nil when the batch is exhausted.
    public mutating func next() throws -> [(String, RowValue)]? {
        if let s = fields.first.map(firstSlot) {
            guard levelPosition[s] < batch.columns[s].levelCount else { return nil }
        } else {
            return nil
        }
        var row: [(String, RowValue)] = []
        row.reserveCapacity(fields.count)
        for field in fields { row.append((field.name, try readField(field))) }
        return row
    }

    /// All records of the batch.
    public mutating func rows() throws -> [[(String, RowValue)]] {
        var out: [[(String, RowValue)]] = []
        out.reserveCapacity(batch.rowCount)
        while let row = try next() { out.append(row) }
        return out
    }

    private mutating func readField(_ node: SchemaNode) throws -> RowValue {
        let s = firstSlot(node)
        guard levelPosition[s] < batch.columns[s].levelCount else {
            throw ParquetError.corrupt(ErrorLocation(file: "batch", column: node.path.joined(separator: ".")), "levels ended in the middle of a record")
        }
        switch node.repetition {
        case .repeated:
            if definition(s) < node.definitionLevel {
                skip(node)
                return .array([])
            }
            var items: [RowValue] = []
            repeat {
                items.append(try readValue(node))
            } while levelPosition[s] < batch.columns[s].levelCount && repetition(s) == node.repetitionLevel
            return .array(items)
        case .optional:
            if definition(s) < node.definitionLevel {
                skip(node)
                return .null
            }
            return try readValue(node)
        case .required:
            return try readValue(node)
        }
    }

    private mutating func readValue(_ node: SchemaNode) throws -> RowValue {
        if let leaf = node.leafIndex {
            let s = slot[leaf]!
            let d = definition(s)
            levelPosition[s] += 1
            if d >= Int(maxDef[s]) {
                let k = valuePosition[s]
                guard k < batch.columns[s].values.count else {
                    throw ParquetError.corrupt(ErrorLocation(file: "batch", column: node.path.joined(separator: ".")), "more defined levels than values")
                }
                valuePosition[s] += 1
                return formatters[s].value(k)
            }
            return .null
        }
        let annotation = RowAssembler.annotation(node)
        if annotation != .none, node.children.count == 1, node.children[0].repetition == .repeated {
            let repeated = node.children[0]
            guard case .array(let items) = try readField(repeated) else { return .array([]) }
            if annotation == .map {
                return .array(items.map { item in
                    guard case .object(let kv) = item else { return item }
                    return .object([("key", kv.first?.1 ?? .null), ("value", kv.count > 1 ? kv[1].1 : .null)])
                })
            }
            // LIST: a one-field repeated group is a wrapper around the element, unless a legacy name says otherwise.
            let unwrap = repeated.leafIndex == nil && repeated.children.count == 1
                && repeated.name != "array" && repeated.name != node.name + "_tuple"
            if unwrap {
                return .array(items.map { item in
                    if case .object(let f) = item, f.count == 1 { return f[0].1 }
                    return item
                })
            }
            return .array(items)
        }
        var fields: [(String, RowValue)] = []
        fields.reserveCapacity(node.children.count)
        for child in node.children { fields.append((child.name, try readField(child))) }
        return .object(fields)
    }

    enum Annotation { case none, list, map }

    static func annotation(_ node: SchemaNode) -> Annotation {
        switch node.element.logicalType {
        case .list?: return .list
        case .map?: return .map
        default: break
        }
        switch node.element.convertedType {
        case .list?: return .list
        case .map?, .mapKeyValue?: return .map
        default: return .none
        }
    }
}
