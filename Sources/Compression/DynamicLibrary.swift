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
        var lastError: String?
        for name in candidates {
            if let h = dlopen(name, RTLD_NOW | RTLD_LOCAL) {
                handle = h
                break
            }
            if let e = dlerror() { lastError = String(cString: e) }
        }
        self.handle = handle
        self.failure = handle == nil ? (lastError ?? "dlopen failed") : nil
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

// Library names: the Linux SONAMEs first (used in error messages), then
// unversioned names and macOS spellings as fallbacks.
let zstdLibrary = DynamicLibrary(
    candidates: ["libzstd.so.1", "libzstd.so", "libzstd.1.dylib", "libzstd.dylib"], debianPackage: "libzstd1")
let lz4Library = DynamicLibrary(
    candidates: ["liblz4.so.1", "liblz4.so", "liblz4.1.dylib", "liblz4.dylib"], debianPackage: "liblz4-1")
let brotliDecoderLibrary = DynamicLibrary(
    candidates: ["libbrotlidec.so.1", "libbrotlidec.so", "libbrotlidec.1.dylib", "libbrotlidec.dylib"],
    debianPackage: "libbrotli1")
let brotliEncoderLibrary = DynamicLibrary(
    candidates: ["libbrotlienc.so.1", "libbrotlienc.so", "libbrotlienc.1.dylib", "libbrotlienc.dylib"],
    debianPackage: "libbrotli1")

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
