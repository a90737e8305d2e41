import AWS
import Foundation
import TestSupport
import Testing
@testable import ObjectStore

/// The stores every conformance case runs on: local files always, S3 on moto_server when `scripts/test.sh` started it.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case local, s3
    var testDescription: String { rawValue }
}

/// A fresh, empty store of one kind, removed (with everything in it) after `body`.
func withFreshStore(_ kind: StoreKind, _ body: (any ObjectStore) async throws -> Void) async throws {
    switch kind {
    case .local:
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("objectstore-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await body(LocalObjectStore(root: root))
    case .s3:
        try skipCase(unless: TestEnvironment.hasS3, TestEnvironment.noS3)
        let config = try TestServer.configuration()
        try await S3ObjectStore.withStore(bucket: TestServer.bucketName("conformance"), configuration: config,
                                          options: TestServer.options()) { store in
            try await store.createBucket()
            try await body(store)
        }
    }
}

/// Bytes that differ from part to part (so a misplaced part shows).
func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &+ ($0 >> 12)) }
}

/// The `ObjectStore` contract, on every implementation.
@Suite struct ObjectStoreConformanceTests {
    @Test(arguments: StoreKind.allCases) func listOrderAndPrefixes(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let keys = ["a/b/c.txt", "a/b-c.txt", "a/b/d.txt", "a/x=1/part 0.json", "a0", "b/z", "a/b/e/f.txt"]
            for key in keys { try await store.put(key: key, bytes: Array(key.utf8)) }
            let bytewise = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            #expect(try await store.list(prefix: "").map(\.key) == bytewise)
            #expect(try await store.list(prefix: "a/").map(\.key) == bytewise.filter { $0.hasPrefix("a/") })
            // A prefix ending inside a name.
            #expect(try await store.list(prefix: "a/b").map(\.key) == ["a/b-c.txt", "a/b/c.txt", "a/b/d.txt", "a/b/e/f.txt"])
            #expect(try await store.list(prefix: "nothing/").isEmpty)
            let sizes = try await store.list(prefix: "a/b/")
            #expect(sizes.map(\.size) == sizes.map { Int64($0.key.utf8.count) })
            #expect(sizes.allSatisfy { $0.etag != nil })

            let level = try await store.list(prefix: "a/", delimiter: "/")
            #expect(level.objects.map(\.key) == ["a/b-c.txt"])
            #expect(level.commonPrefixes == ["a/b/", "a/x=1/"])
            let top = try await store.list(prefix: "", delimiter: "/")
            #expect(top.objects.map(\.key) == ["a0"])
            #expect(top.commonPrefixes == ["a/", "b/"])
            let partial = try await store.list(prefix: "a/b", delimiter: "/")
            #expect(partial.objects.map(\.key) == ["a/b-c.txt"])
            #expect(partial.commonPrefixes == ["a/b/"])
        }
    }

    @Test(arguments: StoreKind.allCases) func headAndRanges(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let bytes = pattern(1000, seed: 3)
            let written = try await store.put(key: "dir/obj.bin", bytes: bytes)
            let info = try await store.head(key: "dir/obj.bin")
            #expect(info.size == 1000)
            #expect(info.etag != nil && info.etag == written.etag)
            #expect(info.lastModified.map { abs($0 - Date().timeIntervalSince1970) < 3600 } == true)
            #expect(try await store.get(key: "dir/obj.bin", range: nil) == bytes)
            #expect(try await store.get(key: "dir/obj.bin", range: 10..<20) == Array(bytes[10..<20]))
            #expect(try await store.get(key: "dir/obj.bin", range: 0..<1) == [bytes[0]])
            // A range running past the end is cut at the end.
            #expect(try await store.get(key: "dir/obj.bin", range: 990..<2000) == Array(bytes[990...]))
            #expect(try await store.get(key: "dir/obj.bin", range: 5..<5) == [])
            // The listing agrees with head.
            #expect(try await store.list(prefix: "dir/") == [info])
        }
    }

    @Test(arguments: StoreKind.allCases) func missingKey(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            for operation in ["head", "get", "copy"] {
                do {
                    switch operation {
                    case "head": _ = try await store.head(key: "no/such.parquet")
                    case "get": _ = try await store.get(key: "no/such.parquet", range: nil)
                    default: try await store.copy(from: "no/such.parquet", to: "there")
                    }
                    Issue.record("\(operation) of a missing key succeeded")
                } catch {
                    #expect(error.objectStoreErrorKind == .notFound, "\(operation): \(error)")
                    #expect("\(error)".contains("no/such.parquet"), "\(operation): \(error)")
                }
            }
            let copied = try await store.list(prefix: "there")
            #expect(copied.isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases) func createOnly(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let first = try await store.put(key: "manifest.json", bytes: Array("v1".utf8), condition: .ifNoneMatch)
            #expect(first.size == 2)
            let error = await #expect(throws: PreconditionFailed.self) {
                try await store.put(key: "manifest.json", bytes: Array("v2".utf8), condition: .ifNoneMatch)
            }
            #expect(error?.condition == .ifNoneMatch)
            #expect(error?.kind == .preconditionFailed)
            #expect(try await store.get(key: "manifest.json", range: nil) == Array("v1".utf8))
            // Nothing stays behind from the refused write.
            #expect(try await store.list(prefix: "").map(\.key) == ["manifest.json"])
        }
    }

    @Test(arguments: StoreKind.allCases) func compareAndSwap(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let v1 = try await store.put(key: "m/current", bytes: Array("v1".utf8))
            let etag1 = try #require(v1.etag)
            let v2 = try await store.put(key: "m/current", bytes: Array("v2-longer".utf8), condition: .ifMatch(etag1))
            let etag2 = try #require(v2.etag)
            #expect(etag2 != etag1)
            #expect(try await store.head(key: "m/current").etag == etag2)
            #expect(try await store.get(key: "m/current", range: nil) == Array("v2-longer".utf8))
            // The stale ETag loses.
            let stale = await #expect(throws: PreconditionFailed.self) {
                try await store.put(key: "m/current", bytes: Array("v3".utf8), condition: .ifMatch(etag1))
            }
            #expect(stale?.condition == .ifMatch(etag1))
            #expect(try await store.get(key: "m/current", range: nil) == Array("v2-longer".utf8))
            // If-Match on a missing key fails too.
            await #expect(throws: PreconditionFailed.self) {
                try await store.put(key: "m/missing", bytes: [1], condition: .ifMatch(etag2))
            }
            #expect(try await store.list(prefix: "m/").map(\.key) == ["m/current"])
        }
    }

    @Test(arguments: StoreKind.allCases) func copyAndDelete(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let bytes = pattern(5000, seed: 9)
            try await store.put(key: "src/a.bin", bytes: bytes)
            try await store.copy(from: "src/a.bin", to: "dst/deep/b.bin")
            #expect(try await store.get(key: "dst/deep/b.bin", range: nil) == bytes)
            // Copy replaces.
            try await store.put(key: "src/c.bin", bytes: [1, 2, 3])
            try await store.copy(from: "src/c.bin", to: "dst/deep/b.bin")
            #expect(try await store.get(key: "dst/deep/b.bin", range: nil) == [1, 2, 3])
            #expect(try await store.get(key: "src/a.bin", range: nil) == bytes)

            try await store.delete(key: "dst/deep/b.bin")
            do {
                _ = try await store.head(key: "dst/deep/b.bin")
                Issue.record("the deleted object is still there")
            } catch {
                #expect(error.objectStoreErrorKind == .notFound, "\(error)")
            }
            #expect(try await store.list(prefix: "").map(\.key) == ["src/a.bin", "src/c.bin"])
        }
    }

    @Test(arguments: StoreKind.allCases) func deleteIsIdempotent(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            try await store.put(key: "d/x/obj", bytes: [1])
            try await store.put(key: "d/keep", bytes: [2])
            try await store.delete(key: "d/x/obj")
            try await store.delete(key: "d/x/obj")
            try await store.delete(key: "never/existed")
            let gone = await #expect(throws: (any Error).self) { try await store.head(key: "d/x/obj") }
            #expect(gone?.objectStoreErrorKind == .notFound)
            #expect(try await store.list(prefix: "").map(\.key) == ["d/keep"])
            // No empty "directory" is left where the object was.
            #expect(try await store.list(prefix: "d/", delimiter: "/") == ObjectListing(objects: [try await store.head(key: "d/keep")], commonPrefixes: []))
        }
    }

    @Test(arguments: StoreKind.allCases) func multipartComplete(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let parts = [pattern(MultipartLimits.minimumPartSize, seed: 1), pattern(MultipartLimits.minimumPartSize + 17, seed: 2),
                         pattern(1234, seed: 3)]
            let upload = try await store.beginUpload(key: "big/file.parquet")
            for part in parts { try await upload.uploadPart(part) }
            // Nothing is visible before complete().
            #expect(try await store.list(prefix: "big/").isEmpty)
            let info = try await upload.complete()
            let whole = parts.flatMap { $0 }
            #expect(info.size == Int64(whole.count))
            #expect(try await store.head(key: "big/file.parquet").size == Int64(whole.count))
            #expect(try await store.get(key: "big/file.parquet", range: nil) == whole)
            let boundary = Int64(MultipartLimits.minimumPartSize)
            #expect(try await store.get(key: "big/file.parquet", range: (boundary - 3)..<(boundary + 3)) == Array(whole[(Int(boundary) - 3)..<(Int(boundary) + 3)]))
            #expect(try await store.list(prefix: "").map(\.key) == ["big/file.parquet"])

            // A part below the minimum must be the last one.
            let small = try await store.beginUpload(key: "big/small")
            try await small.uploadPart([1, 2, 3])
            await #expect(throws: ObjectStoreFailure.self) { try await small.uploadPart([4]) }
            try await small.abort()
            // A part above the maximum is refused before it is sent.
            let huge = try await store.beginUpload(key: "big/huge")
            await #expect(throws: ObjectStoreFailure.self) {
                try await huge.uploadPart([UInt8](repeating: 0, count: MultipartLimits.maximumPartSize + 1))
            }
            try await huge.abort()
            #expect(try await store.list(prefix: "").map(\.key) == ["big/file.parquet"])
        }
    }

    @Test(arguments: StoreKind.allCases) func multipartCreateOnly(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let one = try await store.beginUpload(key: "once", condition: .ifNoneMatch)
            try await one.uploadPart(Array("first".utf8))
            try await one.complete()
            let two = try await store.beginUpload(key: "once", condition: .ifNoneMatch)
            try await two.uploadPart(Array("second".utf8))
            await #expect(throws: PreconditionFailed.self) { try await two.complete() }
            try await two.abort()
            #expect(try await store.get(key: "once", range: nil) == Array("first".utf8))
            #expect(try await store.list(prefix: "").map(\.key) == ["once"])
        }
    }

    @Test(arguments: StoreKind.allCases) func multipartAbortLeavesNothing(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            try await store.put(key: "keep/old", bytes: [9])
            let upload = try await store.beginUpload(key: "keep/old")
            try await upload.uploadPart(pattern(MultipartLimits.minimumPartSize, seed: 5))
            try await upload.uploadPart([1, 2])
            try await upload.abort()
            try await upload.abort()
            await #expect(throws: ObjectStoreFailure.self) { try await upload.complete() }
            // The old object is untouched and nothing else appeared.
            #expect(try await store.get(key: "keep/old", range: nil) == [9])
            #expect(try await store.list(prefix: "").map(\.key) == ["keep/old"])
            let fresh = try await store.beginUpload(key: "new/obj")
            try await fresh.uploadPart([1])
            try await fresh.abort()
            #expect(try await store.list(prefix: "").map(\.key) == ["keep/old"])
        }
    }
}

/// LocalObjectStore specifics: what other processes and crashes see.
@Suite struct LocalObjectStoreTests {
    @Test func temporaryFilesAreNeverListedAndKeysAreChecked() async throws {
        try await withFreshStore(.local) { any in
            let store = try #require(any as? LocalObjectStore)
            let upload = try await store.beginUpload(key: "a/b")
            try await upload.uploadPart([1, 2, 3])
            // The part is on disk, under a hidden name in the target's directory, and no listing shows it.
            let names = try FileManager.default.contentsOfDirectory(atPath: store.root + "/a")
            #expect(names.count == 1 && names[0].hasPrefix(".backfill-tmp-"))
            #expect(try await store.list(prefix: "").isEmpty)
            #expect(try await store.list(prefix: "a/", delimiter: "/") == ObjectListing(objects: [], commonPrefixes: []))
            try await upload.abort()
            #expect(try FileManager.default.contentsOfDirectory(atPath: store.root + "/a").isEmpty)
            for bad in ["", "/abs", "a//b", "a/../b", "./a", "a/.backfill-tmp-x"] {
                await #expect(throws: ObjectStoreFailure.self, "\(bad)") { try await store.put(key: bad, bytes: [1]) }
            }
        }
    }

    @Test func concurrentCreateOnlyHasOneWinner() async throws {
        try await withFreshStore(.local) { store in
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<16 {
                    group.addTask {
                        do {
                            try await store.put(key: "lock", bytes: [UInt8(i)], condition: .ifNoneMatch)
                            return true
                        } catch is PreconditionFailed {
                            return false
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(winners == 1)
        }
    }

    @Test func concurrentCompareAndSwapLosesNoUpdate() async throws {
        try await withFreshStore(.local) { store in
            try await store.put(key: "counter", bytes: Array("0".utf8))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        for _ in 0..<10 {
                            while true {
                                let info = try await store.head(key: "counter")
                                let value = Int(String(decoding: try await store.get(key: "counter", range: nil), as: UTF8.self))!
                                do {
                                    try await store.put(key: "counter", bytes: Array(String(value + 1).utf8), condition: .ifMatch(info.etag!))
                                    break
                                } catch is PreconditionFailed {
                                    continue
                                }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(String(decoding: try await store.get(key: "counter", range: nil), as: UTF8.self) == "80")
        }
    }
}
