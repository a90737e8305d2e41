import Compression
import Foundation

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TempDirectory {
    let path: String

    init(_ label: String = "datasets") throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `bytes` to `relative`, creating directories.
    @discardableResult
    func write(_ relative: String, _ bytes: [UInt8]) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: full, contents: Data(bytes)) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return full
    }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        try write(relative, Array(text.utf8))
    }

    func mkdir(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: path + "/" + relative, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
    try bytes.withUnsafeBytes { try Codecs.compress(.gzip, $0) }
}

func gzip(_ text: String) throws -> [UInt8] {
    try gzip(Array(text.utf8))
}
