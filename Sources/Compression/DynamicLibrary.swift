// Loading optional codec libraries (zstd, lz4, brotli) at run time with dlopen,
// so that building the package needs neither their headers nor link flags.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A shared library opened with `dlopen`, or the reason it could not be.
///
/// Instances live in global `let`s, which Swift initialises lazily and exactly
/// once in a thread-safe way, so every library is opened at most once per
/// process and never closed.
struct DynamicLibrary: @unchecked Sendable {
    /// The handle from `dlopen`, or nil when loading failed.
    let handle: UnsafeMutableRawPointer?
    /// The file name we tried first (the one named in error messages).
    let fileName: String
    /// The Debian package that provides the library.
    let debianPackage: String
    /// Why loading failed (`dlerror` text), when it did.
    let failure: String?

    /// Opens the first of `candidates` that `dlopen` accepts.
    init(candidates: [String], debianPackage: String) {
        self.fileName = candidates[0]
        self.debianPackage = debianPackage
        var handle: UnsafeMutableRawPointer?
        var firstError: String?
        for name in candidates {
            if let h = dlopen(name, RTLD_NOW | RTLD_LOCAL) {
                handle = h
                break
            }
            if firstError == nil, let e = dlerror() { firstError = String(cString: e) }
        }
        self.handle = handle
        self.failure = handle == nil ? (firstError ?? "dlopen failed") : nil
    }

    var isLoaded: Bool { handle != nil }

    /// The error thrown when a codec needs this library and it is missing.
    func missingError(codec: String) -> CompressionError {
        CompressionError(
            "\(codec) needs the shared library \(fileName), which could not be loaded (\(failure ?? "unknown error")). "
                + "Install the Debian package \(debianPackage) (apt-get install \(debianPackage)).")
    }

    /// Looks up `name` and casts it to the C function type `T`.
    func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let handle, let sym = dlsym(handle, name) else { return nil }
        return unsafeBitCast(sym, to: type)
    }
}

// Library names: the SONAME first (the one named in error messages), then
// the unversioned development name as a fallback.
#if canImport(Darwin)
private func libraryNames(_ base: String, version: String) -> [String] {
    ["\(base).\(version).dylib", "\(base).dylib", "/opt/homebrew/lib/\(base).dylib", "/usr/local/lib/\(base).dylib"]
}
#else
private func libraryNames(_ base: String, version: String) -> [String] {
    ["\(base).so.\(version)", "\(base).so"]
}
#endif

let zstdLibrary = DynamicLibrary(candidates: libraryNames("libzstd", version: "1"), debianPackage: "libzstd1")
let lz4Library = DynamicLibrary(candidates: libraryNames("liblz4", version: "1"), debianPackage: "liblz4-1")
let brotliDecoderLibrary = DynamicLibrary(
    candidates: libraryNames("libbrotlidec", version: "1"), debianPackage: "libbrotli1")
let brotliEncoderLibrary = DynamicLibrary(
    candidates: libraryNames("libbrotlienc", version: "1"), debianPackage: "libbrotli1")

/// The error for a library that loaded but lacks a function we need.
func missingSymbolError(_ symbol: String, in library: DynamicLibrary) -> CompressionError {
    CompressionError("\(library.fileName) was loaded but has no symbol \(symbol) (library too old?)")
}

/// A stand-in pointer for empty buffers, since C libraries may reject NULL
/// even when the length is zero.
nonisolated(unsafe) let emptyBufferPlaceholder: UnsafeMutableRawPointer = {
    let p = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
    p.initializeMemory(as: UInt8.self, repeating: 0, count: 16)
    return p
}()
