/// Turns records of `ParquetValue` into the Dremel levels and values of each leaf column (the inverse of
/// `RowAssembler`): a present value at an OPTIONAL or REPEATED node raises the definition level by one; each
/// element after the first of a repeated node repeats at that node's repetition level; a null or empty node
/// leaves one entry, at the level reached so far, in every leaf below it.
struct RecordShredder {
    let tree: [ShredNode]
    var buffers: [ColumnBuffer]
    /// Rows the writer held before this call, so errors can name a row of the file as well as of the call.
    let firstRow: Int64

    init(tree: [ShredNode], buffers: [ColumnBuffer], firstRow: Int64) {
        self.tree = tree
        self.buffers = buffers
        self.firstRow = firstRow
    }

    private struct Failure: Error {
        let path: String
        let message: String
    }

    /// Shreds one record (row `index` of the call); throws `ParquetError.invalidArgument` naming the row and field.
    mutating func shred(_ row: [ParquetValue], index: Int) throws {
        guard row.count == tree.count else {
            throw ParquetError.invalidArgument("write: row \(index) (row \(firstRow + Int64(index)) of the file) has \(row.count) values but the schema has \(tree.count) top-level fields (\(tree.map(\.path).joined(separator: ", ")))")
        }
        do {
            for (node, value) in zip(tree, row) { try shred(node, value, repetition: 0, definition: 0) }
        } catch let failure as Failure {
            throw ParquetError.invalidArgument("write: row \(index) (row \(firstRow + Int64(index)) of the file), field '\(failure.path)': \(failure.message)")
        }
    }

    /// `value` at `node`, whose parent reached `definition` and repeats at `repetition`.
    private mutating func shred(_ node: ShredNode, _ value: ParquetValue, repetition: Int, definition: Int) throws {
        switch node.repetition {
        case .repeated:
            let items: [ParquetValue]
            switch value {
            case .null: items = []
            case .list(let v): items = v
            default: throw Failure(path: node.path, message: "a REPEATED field takes a .list of its values, not .\(value.kindName)")
            }
            if items.isEmpty {
                appendEmpty(node, repetition: repetition, definition: definition)
                return
            }
            for (k, item) in items.enumerated() {
                try present(node, item, repetition: k == 0 ? repetition : node.repetitionLevel, definition: node.definitionLevel)
            }
        case .optional:
            if value == .null {
                appendEmpty(node, repetition: repetition, definition: definition)
            } else {
                try present(node, value, repetition: repetition, definition: node.definitionLevel)
            }
        case .required:
            if value == .null { throw Failure(path: node.path, message: "the field is REQUIRED but the value is null") }
            try present(node, value, repetition: repetition, definition: definition)
        }
    }

    /// A present (non-null) value of `node`, which has reached `definition`.
    private mutating func present(_ node: ShredNode, _ value: ParquetValue, repetition: Int, definition: Int) throws {
        switch node.kind {
        case .leaf(let c):
            do {
                try buffers[c].append(value, repetition: repetition)
            } catch {
                throw Failure(path: node.path, message: error.message)
            }
        case .fields(let children):
            guard case .group(let values) = value else {
                throw Failure(path: node.path, message: "a group takes a .group of \(children.count) values, not .\(value.kindName)")
            }
            guard values.count == children.count else {
                throw Failure(path: node.path, message: "got \(values.count) values for the group's \(children.count) fields (\(children.map { $0.path.split(separator: ".").last.map(String.init) ?? "" }.joined(separator: ", ")))")
            }
            for (child, v) in zip(children, values) { try shred(child, v, repetition: repetition, definition: definition) }
        case .list(let inner, let elementIsChild):
            guard case .list(let items) = value else {
                throw Failure(path: node.path, message: "a LIST takes a .list, not .\(value.kindName)")
            }
            if items.isEmpty {
                appendEmpty(inner, repetition: repetition, definition: definition)
                return
            }
            for (k, item) in items.enumerated() {
                let r = k == 0 ? repetition : inner.repetitionLevel
                if elementIsChild, case .fields(let only) = inner.kind {
                    try shred(only[0], item, repetition: r, definition: inner.definitionLevel)
                } else {
                    try present(inner, item, repetition: r, definition: inner.definitionLevel)
                }
            }
        case .map(let inner):
            guard case .map(let entries) = value else {
                throw Failure(path: node.path, message: "a MAP takes a .map, not .\(value.kindName)")
            }
            if entries.isEmpty {
                appendEmpty(inner, repetition: repetition, definition: definition)
                return
            }
            guard case .fields(let kv) = inner.kind else { preconditionFailure("a MAP's repeated node is a group") }
            for (k, entry) in entries.enumerated() {
                let r = k == 0 ? repetition : inner.repetitionLevel
                try shred(kv[0], entry.key, repetition: r, definition: inner.definitionLevel)
                try shred(kv[1], entry.value, repetition: r, definition: inner.definitionLevel)
            }
        }
    }

    /// One entry without a value in every leaf under `node`.
    private mutating func appendEmpty(_ node: ShredNode, repetition: Int, definition: Int) {
        for c in node.leaves { buffers[c].appendNull(repetition: repetition, definition: definition) }
    }
}
