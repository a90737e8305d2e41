import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Objects as files under a root directory: key `a/b/c.parquet` is the file `root/a/b/c.parquet`.
///
/// Writes never show a half-written object: bytes go to a hidden temporary file in the target's directory
/// (`.backfill-tmp-…`, never listed), are fsynced, then renamed over the key (or hard-linked, for `ifNoneMatch`,
/// so an existing object is never replaced). Conditional writes, deletes and copies take an exclusive `flock`
/// on the target's directory for the check-and-rename, so they are atomic against other threads and processes.
/// An object's ETag is `"<inode>-<size>-<mtime ns>"` (hex) from `stat`: it changes with every write (each write
/// is a new inode) and is stored nowhere. Symbolic links are followed (link loops are not walked round); deleting
/// an object removes the directories it leaves empty, since an empty directory is no object.
public final class LocalObjectStore: ObjectStore {
    /// The root directory as given (without a trailing slash, except for `/`).
    public let root: String

    /// Names of our temporary files (skipped by listings).
    static let temporaryPrefix = ".backfill-tmp-"

    public init(root: String) {
        var r = root.isEmpty ? "." : root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
    }

    /// The file for a key.
    public func path(of key: String) -> String {
        key.isEmpty ? root : (root.hasSuffix("/") ? root + key : root + "/" + key)
    }

    public func url(of key: String) -> String { path(of: key) }

    // MARK: Keys

    /// Keys are relative paths of plain components: no empty, `.` or `..` component, no NUL, no leading `/`.
    private func check(_ key: String) throws {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard !key.isEmpty, !key.contains("\0"),
              !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw ObjectStoreFailure(.other, object: path(of: key), message: "invalid object key '\(key)' (keys are relative paths without empty, '.' or '..' components)")
        }
        if parts.last!.hasPrefix(Self.temporaryPrefix) {
            throw ObjectStoreFailure(.other, object: path(of: key), message: "invalid object key '\(key)': '\(Self.temporaryPrefix)' names are the store's temporary files")
        }
    }

    private static func errnoMessage(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    // MARK: Reading

    /// stat(2) following links; nil when missing.
    static func status(_ path: String) -> stat? {
        var info = stat()
        return stat(path, &info) == 0 ? info : nil
    }

    static func isDirectory(_ info: stat) -> Bool { (info.st_mode & S_IFMT) == S_IFDIR }

    static func etag(_ info: stat) -> String {
        let ns = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return "\"" + String(UInt64(info.st_ino), radix: 16) + "-" + String(Int64(info.st_size), radix: 16) + "-"
            + String(ns, radix: 16) + "\""
    }

    /// The object at `path` (size and modification time as Foundation reports them, so values match what
    /// `FileManager` callers saw before), or nil when it is missing or a directory.
    func info(key: String, path: String) throws -> ObjectInfo? {
        guard let st = Self.status(path), !Self.isDirectory(st) else { return nil }
        let attrs: [FileAttributeKey: Any]
        do {
            attrs = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            if Self.status(path) == nil { return nil }
            throw ObjectStoreFailure(.other, object: path, message: "cannot read the file's attributes (\(error.localizedDescription))")
        }
        return ObjectInfo(key: key, size: (attrs[.size] as? NSNumber)?.int64Value ?? Int64(st.st_size), etag: Self.etag(st),
                          lastModified: (attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
    }

    public func head(key: String) async throws -> ObjectInfo {
        try check(key)
        guard let info = try info(key: key, path: path(of: key)) else {
            throw ObjectStoreFailure(.notFound, object: path(of: key), message: "no such object")
        }
        return info
    }

    /// Like S3: a range past the end is cut at the end; one starting at or past the end (of a non-empty object) fails.
    public func get(key: String, range: Range<Int64>?) async throws -> [UInt8] {
        try check(key)
        let file = path(of: key)
        if let range, range.lowerBound < 0 {
            throw ObjectStoreFailure(.other, object: file, message: "negative range start \(range.lowerBound)")
        }
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw ObjectStoreFailure(code == ENOENT || code == ENOTDIR ? .notFound : (code == EACCES ? .accessDenied : .other),
                                     object: file, message: code == ENOENT || code == ENOTDIR ? "no such object" : Self.errnoMessage(code))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ObjectStoreFailure(.other, object: file, message: Self.errnoMessage()) }
        guard !Self.isDirectory(st) else { throw ObjectStoreFailure(.notFound, object: file, message: "no such object (a directory)") }
        let size = Int64(st.st_size)
        var start: Int64 = 0, end = size
        if let range {
            if range.isEmpty { return [] }
            guard range.lowerBound < size else {
                throw ObjectStoreFailure(.other, object: file, message: "range \(range.lowerBound)..<\(range.upperBound) starts at or past the end (\(size) bytes)")
            }
            start = range.lowerBound
            end = min(range.upperBound, size)
        }
        guard end - start <= Int64(Int.max / 2) else {
            throw ObjectStoreFailure(.other, object: file, message: "object of \(size) bytes is too large to read whole")
        }
        var out = [UInt8](repeating: 0, count: Int(end - start))
        var done = 0
        while done < out.count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(start) + off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ObjectStoreFailure(.other, object: file, message: "read failed: \(Self.errnoMessage())")
            }
            if n == 0 { break }  // shrank under us
            done += n
        }
        if done < out.count { out.removeLast(out.count - done) }
        return out
    }

    // MARK: Listing

    /// Directory entries (sorted by bytes), without our temporary files.
    private func entries(_ dir: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: dir)
                .filter { !$0.hasPrefix(Self.temporaryPrefix) }
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        } catch {
            if Self.status(dir) == nil { return [] }
            throw ObjectStoreFailure(.other, object: dir, message: "cannot list the directory (\(error.localizedDescription))")
        }
    }

    struct DirectoryID: Hashable {
        var device: UInt64
        var inode: UInt64
        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    /// The identities of the directories from the root down to `dirKey` (a key prefix ending in `/`, or empty),
    /// or nil when one is missing, is not a directory, or repeats (a symbolic-link loop: the listing is empty).
    private func directoryChain(_ dirKey: String) -> [DirectoryID]? {
        let components = dirKey.split(separator: "/")
        var ids: [DirectoryID] = []
        for depth in 0...components.count {
            guard let st = Self.status(path(of: components[..<depth].joined(separator: "/"))), Self.isDirectory(st) else { return nil }
            let id = DirectoryID(st)
            if ids.contains(id) { return nil }
            ids.append(id)
        }
        return ids
    }

    /// Every object under `prefix`, in key (byte) order.
    public func list(prefix: String) async throws -> [ObjectInfo] {
        let slash = prefix.lastIndex(of: "/")
        let dirKey = slash.map { String(prefix[...$0]) } ?? ""
        let namePrefix = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
        guard let chain = directoryChain(dirKey) else { return [] }
        var result: [ObjectInfo] = []
        try walk(dirKey: dirKey, namePrefix: namePrefix, ancestors: Set(chain), into: &result)
        result.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return result
    }

    private func walk(dirKey: String, namePrefix: String, ancestors: Set<DirectoryID>, into result: inout [ObjectInfo]) throws {
        for name in try entries(path(of: String(dirKey.dropLast(dirKey.isEmpty ? 0 : 1)))) where name.hasPrefix(namePrefix) {
            let key = dirKey + name
            guard let st = Self.status(path(of: key)) else { continue }
            if Self.isDirectory(st) {
                var inner = ancestors
                guard inner.insert(DirectoryID(st)).inserted else { continue }  // a link loop
                try walk(dirKey: key + "/", namePrefix: "", ancestors: inner, into: &result)
            } else if let info = try info(key: key, path: path(of: key)) {
                result.append(info)
            }
        }
    }

    /// One level: with delimiter `/` the directory holding `prefix` is read once (subdirectories become common
    /// prefixes); another delimiter groups the full listing.
    public func list(prefix: String, delimiter: String) async throws -> ObjectListing {
        guard delimiter == "/" else {
            guard !delimiter.isEmpty else { return ObjectListing(objects: try await list(prefix: prefix), commonPrefixes: []) }
            var objects: [ObjectInfo] = []
            var prefixes: [String] = []
            for info in try await list(prefix: prefix) {
                let rest = info.key.dropFirst(prefix.count)
                if let r = rest.range(of: delimiter) {
                    let common = prefix + rest[..<r.upperBound]
                    if prefixes.last != common { prefixes.append(common) }
                } else {
                    objects.append(info)
                }
            }
            return ObjectListing(objects: objects, commonPrefixes: prefixes)
        }
        let slash = prefix.lastIndex(of: "/")
        let dirKey = slash.map { String(prefix[...$0]) } ?? ""
        let namePrefix = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
        guard directoryChain(dirKey) != nil else { return ObjectListing(objects: [], commonPrefixes: []) }
        var objects: [ObjectInfo] = []
        var prefixes: [String] = []
        for name in try entries(path(of: String(dirKey.dropLast(dirKey.isEmpty ? 0 : 1)))) where name.hasPrefix(namePrefix) {
            let key = dirKey + name
            guard let st = Self.status(path(of: key)) else { continue }
            if Self.isDirectory(st) {
                prefixes.append(key + "/")
            } else if let info = try info(key: key, path: path(of: key)) {
                objects.append(info)
            }
        }
        // Key order: `a/` sorts after `a-b` and before `a0`, as S3 sorts them.
        prefixes.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return ObjectListing(objects: objects, commonPrefixes: prefixes)
    }

    // MARK: Writing

    /// Creates the directories above `key`.
    private func makeParents(_ key: String) throws {
        guard let slash = key.lastIndex(of: "/") else { return }
        let dir = path(of: String(key[..<slash]))
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw ObjectStoreFailure(.other, object: dir, message: "cannot create the directory (\(error.localizedDescription))")
        }
    }

    /// A new temporary file beside `key` (the directories above it created): its path and an open descriptor.
    func createTemporary(for key: String) throws -> (path: String, fd: Int32) {
        for attempt in 0..<5 {
            try makeParents(key)
            let name = (key as NSString).lastPathComponent
            let tmp = path(of: String(key.dropLast(name.count)) + Self.temporaryPrefix + UUID().uuidString + "-" + String(name.prefix(100)))
            let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 { return (tmp, fd) }
            // A concurrent delete may have removed the (then empty) directory: create it again.
            if errno == ENOENT, attempt < 4 { continue }
            throw ObjectStoreFailure(.other, object: tmp, message: "cannot create a temporary file: \(Self.errnoMessage())")
        }
        throw ObjectStoreFailure(.other, object: path(of: key), message: "cannot create a temporary file")
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], file: String) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ObjectStoreFailure(.other, object: file, message: "write failed: \(errnoMessage())")
            }
            done += n
        }
    }

    /// fsync and close; the file is removed when either fails.
    static func finish(_ fd: Int32, file: String) throws {
        if fsync(fd) != 0 {
            let message = errnoMessage()
            close(fd)
            unlink(file)
            throw ObjectStoreFailure(.other, object: file, message: "fsync failed: \(message)")
        }
        if close(fd) != 0 {
            let message = errnoMessage()
            unlink(file)
            throw ObjectStoreFailure(.other, object: file, message: "close failed: \(message)")
        }
    }

    /// Runs `body` holding an exclusive lock on the directory of `key`; nil without running it when the
    /// directory is missing and `create` is false.
    @discardableResult
    private func withDirectoryLock<T>(_ key: String, create: Bool, _ body: () throws -> T) throws -> T? {
        let slash = key.lastIndex(of: "/")
        let dir = slash.map { path(of: String(key[..<$0])) } ?? root
        var fd: Int32 = -1
        for attempt in 0..<5 {
            fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd >= 0 { break }
            if errno == ENOENT || errno == ENOTDIR, !create { return nil }
            if errno == ENOENT, attempt < 4 { try makeParents(key); continue }
            throw ObjectStoreFailure(.other, object: dir, message: "cannot open the directory: \(Self.errnoMessage())")
        }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            throw ObjectStoreFailure(.other, object: dir, message: "cannot lock the directory: \(Self.errnoMessage())")
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// Moves a finished temporary file to `key` if `condition` holds; removes it otherwise.
    func commit(temporary tmp: String, to key: String, condition: WriteCondition) throws -> ObjectInfo {
        let target = path(of: key)
        do {
            let written = try withDirectoryLock(key, create: true) { () throws -> ObjectInfo in
                switch condition {
                case .none:
                    Self.advanceModificationTime(of: tmp, past: target)
                    guard rename(tmp, target) == 0 else {
                        throw ObjectStoreFailure(.other, object: target, message: "cannot move the new object in place: \(Self.errnoMessage())")
                    }
                case .ifNoneMatch:
                    // link(2) fails when the name exists: the check and the write are one step.
                    guard link(tmp, target) == 0 else {
                        let code = errno
                        if code == EEXIST { throw PreconditionFailed(object: target, condition: condition, message: "the object exists") }
                        throw ObjectStoreFailure(.other, object: target, message: "cannot create the object: \(Self.errnoMessage(code))")
                    }
                    unlink(tmp)
                case .ifMatch(let expected):
                    guard let st = Self.status(target), !Self.isDirectory(st) else {
                        throw PreconditionFailed(object: target, condition: condition, message: "no such object")
                    }
                    let current = Self.etag(st)
                    guard Self.sameETag(current, expected) else {
                        throw PreconditionFailed(object: target, condition: condition, message: "the ETag is now \(current)")
                    }
                    Self.advanceModificationTime(of: tmp, past: target)
                    guard rename(tmp, target) == 0 else {
                        throw ObjectStoreFailure(.other, object: target, message: "cannot move the new object in place: \(Self.errnoMessage())")
                    }
                }
                // Read back under the lock, so the ETag is the one this write made.
                guard let info = try info(key: key, path: target) else {
                    throw ObjectStoreFailure(.other, object: target, message: "the object vanished right after it was written")
                }
                return info
            }
            syncDirectory(of: key)
            return written!
        } catch {
            unlink(tmp)
            throw error
        }
    }

    /// Gives the new version a modification time after the one it replaces. File times tick with the kernel's
    /// coarse clock (milliseconds), and a freed inode number is soon reused: without this, a quick rewrite of the
    /// same size could get the replaced version's ETag back, and a stale `ifMatch` would wrongly succeed.
    static func advanceModificationTime(of tmp: String, past target: String) {
        guard let old = status(target), let new = status(tmp) else { return }
        let oldNS = Int64(old.st_mtim.tv_sec) * 1_000_000_000 + Int64(old.st_mtim.tv_nsec)
        let newNS = Int64(new.st_mtim.tv_sec) * 1_000_000_000 + Int64(new.st_mtim.tv_nsec)
        guard newNS <= oldNS else { return }
        let next = oldNS + 1
        var times = [new.st_atim,
                     timespec(tv_sec: Int(next / 1_000_000_000), tv_nsec: Int(next % 1_000_000_000))]
        utimensat(AT_FDCWD, tmp, &times, 0)
    }

    /// ETags compare without their quotes, as S3 compares them.
    static func sameETag(_ a: String, _ b: String) -> Bool {
        let quote = CharacterSet(charactersIn: "\"")
        return a.trimmingCharacters(in: quote) == b.trimmingCharacters(in: quote)
    }

    /// Makes a rename durable (best effort: some file systems refuse fsync on directories).
    private func syncDirectory(of key: String) {
        let slash = key.lastIndex(of: "/")
        let dir = slash.map { path(of: String(key[..<$0])) } ?? root
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    @discardableResult
    public func put(key: String, bytes: [UInt8], condition: WriteCondition) async throws -> ObjectInfo {
        try check(key)
        let (tmp, fd) = try createTemporary(for: key)
        do {
            try Self.writeAll(fd, bytes, file: tmp)
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        try Self.finish(fd, file: tmp)
        return try commit(temporary: tmp, to: key, condition: condition)
    }

    /// Streams the source into a temporary file beside the destination, then renames it in place.
    public func copy(from source: String, to destination: String) async throws {
        try check(source)
        try check(destination)
        let from = path(of: source)
        let input = open(from, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            let code = errno
            throw ObjectStoreFailure(code == ENOENT || code == ENOTDIR ? .notFound : .other, object: from,
                                     message: code == ENOENT || code == ENOTDIR ? "no such object" : Self.errnoMessage(code))
        }
        defer { close(input) }
        var st = stat()
        guard fstat(input, &st) == 0, !Self.isDirectory(st) else {
            throw ObjectStoreFailure(.notFound, object: from, message: "no such object")
        }
        let (tmp, fd) = try createTemporary(for: destination)
        do {
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress!, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ObjectStoreFailure(.other, object: from, message: "read failed: \(Self.errnoMessage())")
                }
                if n == 0 { break }
                try Self.writeAll(fd, Array(buffer[..<n]), file: tmp)
            }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        try Self.finish(fd, file: tmp)
        _ = try commit(temporary: tmp, to: destination, condition: .none)
    }

    /// Removes the file, then the directories above it that are left empty (up to the root).
    public func delete(key: String) async throws {
        try check(key)
        let target = path(of: key)
        try withDirectoryLock(key, create: false) {
            guard let st = Self.status(target), !Self.isDirectory(st) else { return }
            if unlink(target) != 0, errno != ENOENT {
                throw ObjectStoreFailure(.other, object: target, message: "cannot delete: \(Self.errnoMessage())")
            }
        }
        var parts = key.split(separator: "/").dropLast()
        while !parts.isEmpty {
            // rmdir only removes an empty directory; a concurrent writer re-creates what it needs.
            if rmdir(path(of: parts.joined(separator: "/"))) != 0 { break }
            parts = parts.dropLast()
        }
    }

    public func beginUpload(key: String, condition: WriteCondition) async throws -> any MultipartUpload {
        try check(key)
        let (tmp, fd) = try createTemporary(for: key)
        return LocalMultipartUpload(store: self, key: key, temporary: tmp, fd: fd, condition: condition)
    }
}

/// A multipart upload to a local file: parts are appended to a hidden temporary file, which `complete()`
/// fsyncs and renames to the key (under the upload's condition) and `abort()` removes.
public actor LocalMultipartUpload: MultipartUpload {
    public nonisolated let key: String
    private let store: LocalObjectStore
    private let temporary: String
    private var fd: Int32
    private let condition: WriteCondition
    private var rules = MultipartPartRules()
    private var finished = false

    init(store: LocalObjectStore, key: String, temporary: String, fd: Int32, condition: WriteCondition) {
        self.store = store
        self.key = key
        self.temporary = temporary
        self.fd = fd
        self.condition = condition
    }

    deinit {
        // Dropped without complete() or abort(): nothing may stay behind.
        if !finished {
            close(fd)
            unlink(temporary)
        }
    }

    public func uploadPart(_ bytes: [UInt8]) async throws {
        try checkOpen()
        try rules.accept(size: bytes.count, object: store.path(of: key))
        try LocalObjectStore.writeAll(fd, bytes, file: temporary)
    }

    @discardableResult
    public func complete() async throws -> ObjectInfo {
        try checkOpen()
        finished = true
        try LocalObjectStore.finish(fd, file: temporary)
        return try store.commit(temporary: temporary, to: key, condition: condition)
    }

    public func abort() async throws {
        guard !finished else { return }
        finished = true
        close(fd)
        unlink(temporary)
    }

    private func checkOpen() throws {
        guard !finished else {
            throw ObjectStoreFailure(.other, object: store.path(of: key), message: "multipart upload is already completed or aborted")
        }
    }
}
