import Foundation
import Testing
@testable import Datasets

/// A Spark-like output tree with markers, checksums, a temporary directory and hidden files.
private func makeTree() throws -> TempDirectory {
    let dir = try TempDirectory("discovery")
    for name in ["_SUCCESS", "_committed_4711", "_started_4711", ".hidden"] { try dir.write(name, "") }
    try dir.write("_temporary/0/task/year=2026/month=05/day=08/part-99999.parquet", "x")
    let data = [
        "year=2025/month=12/day=31/part-00000.parquet",
        "year=2026/month=04/day=30/part-00000.parquet",
        "year=2026/month=05/day=08/part-00000.parquet",
        "year=2026/month=05/day=08/part-00001.parquet",
        "year=2026/month=05/day=09/part-00000.parquet",
        "year=2026/month=05/day=10/part-00000.parquet",
    ]
    for file in data { try dir.write(file, "PAR1") }
    try dir.write("year=2026/month=05/day=08/.part-00000.parquet.crc", "c")
    try dir.write("year=2026/month=05/day=08/part-00000.parquet.crc", "c")
    try dir.write("year=2026/month=05/day=08/_SUCCESS", "")
    try dir.write("year=2026/month=05/day=09/notes.txt", "not data")
    try dir.write("year=2026/month=05/.staging/part-00000.parquet", "x")
    return dir
}

private func relative(_ files: [DatasetFile]) -> [String] { files.map(\.relativePath) }

@Suite struct DiscoveryTests {
    @Test func skipsSparkMarkersAndFiltersBySuffix() throws {
        let dir = try makeTree()
        defer { dir.remove() }
        let all = try LocalDataset.discover(dir.path, suffixes: nil, filter: nil)
        #expect(relative(all) == [
            "year=2025/month=12/day=31/part-00000.parquet",
            "year=2026/month=04/day=30/part-00000.parquet",
            "year=2026/month=05/day=08/part-00000.parquet",
            "year=2026/month=05/day=08/part-00001.parquet",
            "year=2026/month=05/day=09/notes.txt",
            "year=2026/month=05/day=09/part-00000.parquet",
            "year=2026/month=05/day=10/part-00000.parquet",
        ])
        let parquet = try LocalDataset.discover(dir.path, suffixes: [".parquet"], filter: nil)
        #expect(parquet.count == 6)
        // Same answer as the unfiltered discover.
        #expect(parquet == (try LocalDataset.discover(dir.path, suffixes: [".parquet"])))
        let first = try #require(parquet.first)
        #expect(first.partitions == [
            HivePartition(key: "year", value: "2025"), HivePartition(key: "month", value: "12"),
            HivePartition(key: "day", value: "31"),
        ])
        #expect(first.size == 4)
        #expect(first.path == dir.path + "/year=2025/month=12/day=31/part-00000.parquet")
    }

    @Test func filterSelectsAndPrunes() throws {
        let dir = try makeTree()
        defer { dir.remove() }
        // A symlink loop under a pruned directory: walking into it would never end well.
        try FileManager.default.createSymbolicLink(
            atPath: dir.path + "/year=2025/month=12/day=31/loop", withDestinationPath: ".")
        let filter = try PartitionFilter("year = 2026 and month = 5 and day in (8, 9) and hour >= 0 or day = 10")
        let files = try LocalDataset.discover(dir.path, suffixes: [".parquet"], filter: filter)
        // hour is absent, so only the `day = 10` branch can match.
        #expect(relative(files) == ["year=2026/month=05/day=10/part-00000.parquet"])
        let days = try LocalDataset.discover(
            dir.path, suffixes: [".parquet"], filter: PartitionFilter("year = 2026 and month = 5 and day between 8 and 9"))
        #expect(relative(days) == [
            "year=2026/month=05/day=08/part-00000.parquet",
            "year=2026/month=05/day=08/part-00001.parquet",
            "year=2026/month=05/day=09/part-00000.parquet",
        ])
        // The loop is entered here, and not followed round.
        let notMay = try LocalDataset.discover(dir.path, suffixes: [".parquet"], filter: PartitionFilter("not month = 5"))
        #expect(relative(notMay) == [
            "year=2025/month=12/day=31/part-00000.parquet",
            "year=2026/month=04/day=30/part-00000.parquet",
        ])
    }

    @Test func pruningSkipsDirectoryListings() throws {
        let dir = try makeTree()
        defer { dir.remove() }
        var everything = Walker(suffixes: nil, filter: nil)
        try everything.walkDirectory(dir.path, relative: [], partitions: [])
        // root, year=2025, month=12, day=31, year=2026, month=04, day=30, month=05, day=08, day=09, day=10
        #expect(everything.directoriesListed == 11)
        var pruned = Walker(suffixes: nil, filter: try PartitionFilter("year = 2026 and month = 5 and day between 8 and 9"))
        try pruned.walkDirectory(dir.path, relative: [], partitions: [])
        // root, year=2026, month=05, day=08, day=09
        #expect(pruned.directoriesListed == 5)
        #expect(pruned.files.count == 4)
        // Globs prune too.
        var globbed = Walker(suffixes: nil, filter: try PartitionFilter("year = 2026 and day = 8"))
        try globbed.walkPattern(try #require(try GlobPattern(dir.path + "/**/*.parquet")))
        #expect(globbed.files.map(\.relativePath) == [
            "year=2026/month=05/day=08/part-00000.parquet",
            "year=2026/month=05/day=08/part-00001.parquet",
        ])
        // root, year=2026, month=04, month=05, day=08 (day=30, day=09, day=10 and year=2025 are never listed)
        #expect(globbed.directoriesListed == 5)
    }

    @Test func urlEncodedPartitionValues() throws {
        let dir = try TempDirectory("encoded")
        defer { dir.remove() }
        try dir.write("entity=caf%C3%A9/part-0.jsonl", "{}\n")
        try dir.write("entity=a%2Fb/part-0.jsonl", "{}\n")
        try dir.write("entity=plain/part-0.jsonl", "{}\n")
        let files = try LocalDataset.discover(dir.path, suffixes: [".jsonl"], filter: PartitionFilter("entity = 'café'"))
        #expect(files.count == 1)
        #expect(files.first?.partitions == [HivePartition(key: "entity", value: "café")])
        #expect(files.first?.relativePath == "entity=caf%C3%A9/part-0.jsonl")
        let slash = try LocalDataset.discover(dir.path, suffixes: nil, filter: PartitionFilter("entity = 'a/b'"))
        #expect(relative(slash) == ["entity=a%2Fb/part-0.jsonl"])
    }

    @Test func singleFileAndMissingPath() throws {
        let dir = try makeTree()
        defer { dir.remove() }
        let path = dir.path + "/year=2026/month=05/day=09/part-00000.parquet"
        let one = try LocalDataset.discover(path, suffixes: [".jsonl"], filter: nil)
        #expect(one.count == 1)
        #expect(one.first?.relativePath == "part-00000.parquet")
        // A single file has no partitions, so a filter on a key drops it.
        #expect(try LocalDataset.discover(path, suffixes: nil, filter: PartitionFilter("day = 9")).isEmpty)
        #expect(throws: DatasetError.self) { try LocalDataset.discover(dir.path + "/nope", suffixes: nil, filter: nil) }
    }

    @Test func globs() throws {
        let dir = try makeTree()
        defer { dir.remove() }
        let root = dir.path
        // `*` within a component; the root is the part before the first wildcard.
        let a = try LocalDataset.discover(root + "/year=2026/month=05/*/part-*.parquet", suffixes: nil, filter: nil)
        #expect(relative(a) == [
            "day=08/part-00000.parquet", "day=08/part-00001.parquet",
            "day=09/part-00000.parquet", "day=10/part-00000.parquet",
        ])
        #expect(a.first?.partitions == [HivePartition(key: "day", value: "08")])
        // `**` at any depth, zero levels included; ignored names never match.
        let b = try LocalDataset.discover(root + "/**/part-00000.parquet", suffixes: nil, filter: nil)
        #expect(relative(b) == [
            "year=2025/month=12/day=31/part-00000.parquet",
            "year=2026/month=04/day=30/part-00000.parquet",
            "year=2026/month=05/day=08/part-00000.parquet",
            "year=2026/month=05/day=09/part-00000.parquet",
            "year=2026/month=05/day=10/part-00000.parquet",
        ])
        // A pattern matching directories walks them; suffixes apply inside them.
        let c = try LocalDataset.discover(root + "/year=2026/month=0[45]", suffixes: [".parquet"], filter: nil)
        #expect(relative(c) == [
            "month=04/day=30/part-00000.parquet",
            "month=05/day=08/part-00000.parquet",
            "month=05/day=08/part-00001.parquet",
            "month=05/day=09/part-00000.parquet",
            "month=05/day=10/part-00000.parquet",
        ])
        // Alternatives, `?`, negated classes, and a filter together.
        let d = try LocalDataset.discover(root + "/year={2025,2026}/month=??/day=[!1]*/*.parquet", suffixes: nil,
                                          filter: PartitionFilter("year = 2026"))
        #expect(relative(d) == [
            "year=2026/month=04/day=30/part-00000.parquet",
            "year=2026/month=05/day=08/part-00000.parquet",
            "year=2026/month=05/day=08/part-00001.parquet",
            "year=2026/month=05/day=09/part-00000.parquet",
        ])
        // `**` last: everything below.
        let e = try LocalDataset.discover(root + "/year=2025/**", suffixes: nil, filter: nil)
        #expect(relative(e) == ["month=12/day=31/part-00000.parquet"])
        // Nothing matching is not an error; a missing fixed part is.
        #expect(try LocalDataset.discover(root + "/*/nothing-*.parquet", suffixes: nil, filter: nil).isEmpty)
        #expect(throws: DatasetError.self) {
            try LocalDataset.discover(root + "/missing/*.parquet", suffixes: nil, filter: nil)
        }
        #expect(throws: DatasetError.self) { try LocalDataset.expand(root + "/year=[2026") }
    }

    @Test func expand() throws {
        let dir = try makeTree()
        defer { dir.remove() }
        let root = dir.path
        #expect(try LocalDataset.expand(root + "/year=*") == [root + "/year=2025", root + "/year=2026"])
        #expect(try LocalDataset.expand(root + "/year=2026/month=05/day=0*/*.parquet") == [
            root + "/year=2026/month=05/day=08/part-00000.parquet",
            root + "/year=2026/month=05/day=08/part-00001.parquet",
            root + "/year=2026/month=05/day=09/part-00000.parquet",
        ])
        #expect(try LocalDataset.expand(root + "/**/day=3?") == [root + "/year=2025/month=12/day=31",
                                                                  root + "/year=2026/month=04/day=30"])
        // A plain path comes back as is.
        #expect(try LocalDataset.expand(root + "/year=2026") == [root + "/year=2026"])
    }

    @Test func globMatcher() throws {
        func m(_ pattern: String, _ name: String) throws -> Bool {
            let atoms = try GlobPattern.expandBraces(pattern, pattern: pattern).map { try GlobAtom.parse($0, pattern: pattern) }
            return atoms.contains { GlobAtom.match($0, Array(name)) }
        }
        #expect(try m("*", "abc"))
        #expect(try m("a*c", "abbbc"))
        #expect(try !m("a*c", "abbbd"))
        #expect(try m("*.parquet", "part-0.parquet"))
        #expect(try m("a?c", "abc"))
        #expect(try !m("a?c", "ac"))
        #expect(try m("[a-c]x", "bx"))
        #expect(try !m("[!a-c]x", "bx"))
        #expect(try m("\\*", "*"))
        #expect(try !m("\\*", "a"))
        #expect(try m("{a,b{c,d}}z", "bdz"))
        #expect(try m("*a*b*c", "xxaxxbxxc"))
        #expect(try m("[]]", "]"))
    }
}
