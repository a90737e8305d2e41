import Foundation
import Testing
@testable import Datasets

@Suite struct LocalDatasetTests {
    @Test func ignoresSparkMarkersAndReadsPartitions() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bf-discover-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dirs = ["year=2026/month=5/day=8/hour=7", "year=2026/month=5/day=8/hour=10", "_temporary/0", "entity=caf%C3%A9"]
        for d in dirs { try FileManager.default.createDirectory(atPath: "\(root)/\(d)", withIntermediateDirectories: true) }
        let files = ["year=2026/month=5/day=8/hour=7/part-0.parquet", "year=2026/month=5/day=8/hour=7/.part-0.parquet.crc",
                     "year=2026/month=5/day=8/hour=10/part-1.parquet", "_SUCCESS", "_temporary/0/part-9.parquet",
                     "entity=caf%C3%A9/part-2.parquet", "year=2026/month=5/day=8/hour=10/_committed_123"]
        for f in files { FileManager.default.createFile(atPath: "\(root)/\(f)", contents: Data([1, 2, 3])) }
        let found = try LocalDataset.discover(root, suffixes: [".parquet"])
        #expect(found.map(\.relativePath) == ["entity=caf%C3%A9/part-2.parquet", "year=2026/month=5/day=8/hour=10/part-1.parquet",
                                               "year=2026/month=5/day=8/hour=7/part-0.parquet"])
        #expect(found[0].partitions == [HivePartition(key: "entity", value: "café")])
        #expect(found[2].partitions.map(\.value) == ["2026", "5", "8", "7"])
        #expect(found.allSatisfy { $0.size == 3 })
    }

    @Test func missingPathIsAClearError() {
        #expect(throws: DatasetError.self) { try LocalDataset.discover("/no/such/dir/anywhere") }
    }
}
