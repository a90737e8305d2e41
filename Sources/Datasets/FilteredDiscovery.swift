// Discovery with partition pruning and glob patterns.

import Foundation

extension LocalDataset {
    /// Every data file under `path` whose partition values pass `filter`, sorted
    /// by relative path (directory by directory, names in byte order).
    ///
    /// - `path` is a file, a directory, or a glob pattern. A pattern may use
    ///   `*` (any run of characters within one path component), `?` (one
    ///   character), `[abc]`, `[a-z]`, `[!abc]` (character classes), `{a,b}`
    ///   (alternatives) and `\` (escape), and `**` as a whole component for
    ///   any number (zero or more) of directory levels:
    ///   `data/*/part-*.parquet`, `data/year=2026/month=0[45]`, `data/**/*.jsonl.gz`.
    ///   The dataset root (for `relativePath` and for partition values) is the
    ///   directory made of the components before the first one with a wildcard.
    ///   Wildcards never match ignored names (see `isIgnored`); a directory
    ///   matched by the pattern is walked entirely, as `discover` does.
    /// - `suffixes` keeps only files whose names end with one of them; it applies
    ///   to files found by walking a directory, not to a file named by `path` itself
    ///   or matched by the last component of a pattern.
    /// - `filter`: directories whose partition values cannot match (see
    ///   `PartitionFilter.mayMatch(prefix:)`) are not entered at all, and files are
    ///   kept when `PartitionFilter.matches(_:)` is true for their partitions. A
    ///   single file named by `path` has no partitions, so a filter that needs a
    ///   key drops it.
    ///
    /// Ignored names (`_SUCCESS`, `_committed_*`, `_started_*`, `_temporary/`,
    /// `*.crc`, hidden files) are always skipped.
    public static func discover(_ path: String, suffixes: [String]?, filter: PartitionFilter?) throws -> [DatasetFile] {
        var walker = Walker(suffixes: suffixes, filter: filter)
        if let pattern = try GlobPattern(path) {
            try walker.walkPattern(pattern)
        } else {
            let kind = Walker.kind(of: path)
            guard kind != .missing else { throw DatasetError("\(path): no such file or directory") }
            let root = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
            if kind == .file {
                try walker.addFile(root, relative: [(root as NSString).lastPathComponent], partitions: [],
                                   explicit: true)
            } else {
                try walker.walkDirectory(root, relative: [], partitions: [])
            }
        }
        return walker.files
    }

    /// The paths (files and directories) matching a glob pattern, sorted. A path
    /// without wildcards is returned as is when it exists. See
    /// `discover(_:suffixes:filter:)` for the pattern syntax. Throws for a
    /// malformed pattern (e.g. an unclosed `[`) or a missing literal root;
    /// returns an empty list when nothing matches.
    public static func expand(_ pattern: String) throws -> [String] {
        guard let glob = try GlobPattern(pattern) else {
            guard Walker.kind(of: pattern) != .missing else {
                throw DatasetError("\(pattern): no such file or directory")
            }
            return [pattern]
        }
        var walker = Walker(suffixes: nil, filter: nil)
        var matches: [String] = []
        try walker.match(glob, onMatch: { path, _, _, _ in matches.append(path) })
        return matches
    }
}

/// Walks directories, collecting files.
struct Walker {
    let suffixes: [String]?
    let filter: PartitionFilter?
    var files: [DatasetFile] = []
    var seen: Set<String> = []

    /// Directories listed so far (to observe pruning).
    var directoriesListed = 0
    /// Identities of the directories on the path being walked, to skip symbolic-link loops.
    var ancestors: Set<DirectoryID> = []

    enum Kind { case file, directory, missing }

    struct DirectoryID: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    /// What `path` is, following symbolic links (a dangling link is missing).
    static func kind(of path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        return (info.st_mode & S_IFMT) == S_IFDIR ? .directory : .file
    }

    static func directoryID(_ path: String) -> DirectoryID? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return DirectoryID(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Runs `body` with `dir` among the ancestors, unless it already is one (a link loop).
    mutating func inside(_ dir: String, _ body: (inout Walker) throws -> Void) rethrows {
        guard let id = Self.directoryID(dir) else { return }
        guard ancestors.insert(id).inserted else { return }
        defer { ancestors.remove(id) }
        try body(&self)
    }

    mutating func listing(_ dir: String) throws -> [String] {
        directoriesListed += 1
        return try Self.list(dir)
    }

    static func list(_ dir: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: dir)
                .filter { !LocalDataset.isIgnored($0) }
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        } catch {
            throw DatasetError("\(dir): cannot list the directory (\(error.localizedDescription))")
        }
    }

    static func join(_ dir: String, _ name: String) -> String {
        dir.hasSuffix("/") ? dir + name : dir + "/" + name
    }

    mutating func addFile(_ path: String, relative: [String], partitions: [HivePartition], explicit: Bool) throws {
        let name = relative.last ?? path
        if !explicit, let suffixes, !suffixes.contains(where: { name.hasSuffix($0) }) { return }
        if let filter, !filter.matches(partitions) { return }
        guard seen.insert(path).inserted else { return }
        let attrs: [FileAttributeKey: Any]
        do {
            attrs = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw DatasetError("\(path): cannot read the file's attributes (\(error.localizedDescription))")
        }
        files.append(DatasetFile(
            path: path, relativePath: relative.joined(separator: "/"),
            size: (attrs[.size] as? NSNumber)?.int64Value ?? 0,
            modificationTime: (attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0,
            partitions: partitions))
    }

    /// Partition values after entering directory `name`, or nil when the filter prunes it.
    func enter(_ name: String, partitions: [HivePartition]) -> [HivePartition]? {
        guard let p = LocalDataset.partition(name) else { return partitions }
        let next = partitions + [p]
        if let filter, !filter.mayMatch(prefix: next) { return nil }
        return next
    }

    mutating func walkDirectory(_ dir: String, relative: [String], partitions: [HivePartition]) throws {
        try inside(dir) { walker in
            for name in try walker.listing(dir) {
                let full = Self.join(dir, name)
                switch Self.kind(of: full) {
                case .directory:
                    guard let next = walker.enter(name, partitions: partitions) else { continue }
                    try walker.walkDirectory(full, relative: relative + [name], partitions: next)
                case .file:
                    try walker.addFile(full, relative: relative + [name], partitions: partitions, explicit: false)
                case .missing:
                    continue  // vanished, or a dangling link
                }
            }
        }
    }

    mutating func walkPattern(_ pattern: GlobPattern) throws {
        var found: [(String, [String], [HivePartition], Kind)] = []
        try match(pattern) { path, relative, partitions, kind in found.append((path, relative, partitions, kind)) }
        for (path, relative, partitions, kind) in found {
            if kind == .directory {
                try walkDirectory(path, relative: relative, partitions: partitions)
            } else {
                try addFile(path, relative: relative, partitions: partitions, explicit: true)
            }
        }
    }

    typealias Match = (path: String, relative: [String], partitions: [HivePartition], kind: Kind)

    /// Calls `onMatch` for every path matching `pattern`, in sorted order, without duplicates.
    /// Directories whose partition values the filter rules out are not entered.
    mutating func match(_ pattern: GlobPattern, onMatch: (String, [String], [HivePartition], Kind) throws -> Void) throws {
        guard Self.kind(of: pattern.root) == .directory else {
            throw DatasetError("\(pattern.root): no such directory (the fixed part of the pattern '\(pattern.text)')")
        }
        var results: [Match] = []
        var emitted = Set<String>()
        try step(pattern, pattern.root, [], [], 0, &results, &emitted)
        // `**` can reach the same path along several routes; keep a stable, sorted order.
        results.sort {
            $0.relative.joined(separator: "/").utf8.lexicographicallyPrecedes($1.relative.joined(separator: "/").utf8)
        }
        for r in results { try onMatch(r.path, r.relative, r.partitions, r.kind) }
    }

    private mutating func step(
        _ pattern: GlobPattern, _ dir: String, _ relative: [String], _ partitions: [HivePartition], _ index: Int,
        _ results: inout [Match], _ emitted: inout Set<String>, listed: [String]? = nil
    ) throws {
        let component = pattern.components[index]
        let isLast = index == pattern.components.count - 1
        if case .anyDepth = component {
            if isLast {
                // `dir/**`: the directory itself, walked entirely.
                if emitted.insert(dir).inserted { results.append((dir, relative, partitions, .directory)) }
                return
            }
            // Zero levels here, then one more level for each subdirectory (not following link loops).
            let listed = try listing(dir)
            try step(pattern, dir, relative, partitions, index + 1, &results, &emitted, listed: listed)
            try inside(dir) { walker in
                for name in listed {
                    let full = Self.join(dir, name)
                    guard Self.kind(of: full) == .directory,
                          let next = walker.enter(name, partitions: partitions) else { continue }
                    try walker.step(pattern, full, relative + [name], next, index, &results, &emitted)
                }
            }
            return
        }
        let names: [String]
        if case .literal(let name) = component {
            names = Self.kind(of: Self.join(dir, name)) == .missing ? [] : [name]
        } else {
            names = try (listed ?? listing(dir)).filter { component.matches($0) }
        }
        for name in names {
            let full = Self.join(dir, name)
            let kind = Self.kind(of: full)
            if kind == .directory {
                guard let next = enter(name, partitions: partitions) else { continue }
                if isLast {
                    if emitted.insert(full).inserted { results.append((full, relative + [name], next, kind)) }
                } else {
                    try step(pattern, full, relative + [name], next, index + 1, &results, &emitted)
                }
            } else if kind == .file && isLast {
                if emitted.insert(full).inserted { results.append((full, relative + [name], partitions, kind)) }
            }
        }
    }
}

/// A path pattern split into a literal root directory and per-component matchers.
struct GlobPattern {
    enum Component {
        case literal(String)
        case wildcard([[GlobAtom]])  // alternatives after brace expansion
        case anyDepth  // **

        func matches(_ name: String) -> Bool {
            switch self {
            case .literal(let s): return s == name
            case .anyDepth: return true
            case .wildcard(let alternatives):
                let chars = Array(name)
                return alternatives.contains { GlobAtom.match($0, chars) }
            }
        }
    }

    let text: String
    let root: String
    let components: [Component]

    /// Nil when `text` has no wildcard (a plain path).
    init?(_ text: String) throws {
        let pieces = text.split(separator: "/", omittingEmptySubsequences: true)
        guard let first = pieces.firstIndex(where: { GlobPattern.hasWildcard(String($0)) }) else { return nil }
        self.text = text
        // The root keeps the spelling of the fixed part, without trailing slashes.
        var prefix = text[..<pieces[first].startIndex]
        while prefix.count > 1 && prefix.hasSuffix("/") { prefix = prefix.dropLast() }
        root = prefix.isEmpty ? "." : String(prefix)
        var components: [Component] = []
        for part in pieces[first...].map(String.init) {
            if part == "**" {
                if case .anyDepth = components.last { continue }
                components.append(.anyDepth)
            } else if GlobPattern.hasWildcard(part) {
                let alternatives = try GlobPattern.expandBraces(part, pattern: text).map {
                    try GlobAtom.parse($0, pattern: text)
                }
                components.append(.wildcard(alternatives))
            } else {
                components.append(.literal(GlobPattern.unescape(part)))
            }
        }
        self.components = components
    }

    static func hasWildcard(_ component: String) -> Bool {
        var escaped = false
        for c in component {
            if escaped { escaped = false; continue }
            if c == "\\" { escaped = true; continue }
            if c == "*" || c == "?" || c == "[" || c == "{" { return true }
        }
        return false
    }

    static func unescape(_ component: String) -> String {
        var out = ""
        var escaped = false
        for c in component {
            if !escaped && c == "\\" { escaped = true; continue }
            escaped = false
            out.append(c)
        }
        return out
    }

    /// `a{b,c{d,e}}f` → `abf`, `acdf`, `acef`. Escaped braces and commas stay literal.
    static func expandBraces(_ s: String, pattern: String) throws -> [String] {
        let chars = Array(s)
        var depth = 0
        var open: Int?
        var commas: [Int] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\" { i += 2; continue }
            if c == "[" {  // skip a class: braces inside it are literal
                var j = i + 1
                if j < chars.count && (chars[j] == "!" || chars[j] == "^") { j += 1 }
                if j < chars.count && chars[j] == "]" { j += 1 }
                while j < chars.count && chars[j] != "]" { j += 1 }
                i = j + 1
                continue
            }
            if c == "{" {
                if depth == 0 { open = i; commas = [] }
                depth += 1
            } else if c == "}" {
                guard depth > 0 else { throw DatasetError("glob pattern '\(pattern)': unmatched '}' in '\(s)'") }
                depth -= 1
                if depth == 0, let o = open {
                    let prefix = String(chars[..<o])
                    let suffix = String(chars[(i + 1)...])
                    let bounds = [o] + commas + [i]
                    var results: [String] = []
                    for k in 0..<(bounds.count - 1) {
                        let alternative = String(chars[(bounds[k] + 1)..<bounds[k + 1]])
                        results += try expandBraces(prefix + alternative + suffix, pattern: pattern)
                    }
                    return results
                }
            } else if c == "," && depth == 1 {
                commas.append(i)
            }
            i += 1
        }
        guard depth == 0 else { throw DatasetError("glob pattern '\(pattern)': unclosed '{' in '\(s)'") }
        return [s]
    }
}

/// One element of a component pattern.
enum GlobAtom {
    case character(Character)
    case any  // ?
    case star  // *
    case set([ClosedRange<Character>], negated: Bool)

    static func parse(_ s: String, pattern: String) throws -> [GlobAtom] {
        let chars = Array(s)
        var atoms: [GlobAtom] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "\\":
                if i + 1 < chars.count { atoms.append(.character(chars[i + 1])); i += 2 } else {
                    atoms.append(.character("\\")); i += 1
                }
            case "*":
                if case .star = atoms.last {} else { atoms.append(.star) }
                i += 1
            case "?":
                atoms.append(.any)
                i += 1
            case "[":
                var j = i + 1
                var negated = false
                if j < chars.count && (chars[j] == "!" || chars[j] == "^") { negated = true; j += 1 }
                var ranges: [ClosedRange<Character>] = []
                var first = true
                while j < chars.count && (chars[j] != "]" || first) {
                    first = false
                    var low = chars[j]
                    if low == "\\" && j + 1 < chars.count { j += 1; low = chars[j] }
                    if j + 2 < chars.count && chars[j + 1] == "-" && chars[j + 2] != "]" {
                        var high = chars[j + 2]
                        j += 2
                        if high == "\\" && j + 1 < chars.count { j += 1; high = chars[j] }
                        guard low <= high else {
                            throw DatasetError("glob pattern '\(pattern)': bad range '\(low)-\(high)' in '\(s)'")
                        }
                        ranges.append(low...high)
                    } else {
                        ranges.append(low...low)
                    }
                    j += 1
                }
                guard j < chars.count else {
                    throw DatasetError("glob pattern '\(pattern)': unclosed '[' in '\(s)'")
                }
                atoms.append(.set(ranges, negated: negated))
                i = j + 1
            default:
                atoms.append(.character(c))
                i += 1
            }
        }
        return atoms
    }

    /// Iterative matcher with single-star backtracking (linear in practice).
    static func match(_ atoms: [GlobAtom], _ name: [Character]) -> Bool {
        var a = 0
        var n = 0
        var starAtom = -1
        var starName = 0
        while n < name.count {
            if a < atoms.count {
                switch atoms[a] {
                case .star:
                    starAtom = a
                    starName = n
                    a += 1
                    continue
                case .any:
                    a += 1; n += 1; continue
                case .character(let c):
                    if c == name[n] { a += 1; n += 1; continue }
                case .set(let ranges, let negated):
                    if ranges.contains(where: { $0.contains(name[n]) }) != negated { a += 1; n += 1; continue }
                }
            }
            guard starAtom >= 0 else { return false }
            a = starAtom + 1
            starName += 1
            n = starName
        }
        while a < atoms.count, case .star = atoms[a] { a += 1 }
        return a == atoms.count
    }
}
