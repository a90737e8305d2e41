#if canImport(Glibc)
import Glibc
#endif

/// Keeps glibc from returning every large buffer to the kernel when it is freed.
///
/// Reading a Parquet dataset allocates and frees many buffers of 0.1–10 MB (column chunks, decompressed
/// pages, value arrays). With glibc's defaults each of those is an `mmap`/`munmap` pair whose pages fault
/// in again on every use: measured on the 10M-row benchmark, that was more system time (0.37 s) than all
/// of the decoding (0.33 s). Raising the thresholds lets freed buffers be reused from the heap.
enum MemoryTuning {
    static func apply() {
        #if canImport(Glibc)
        // `mallopt` lives in <malloc.h>, which the Glibc module does not export: look it up at run time.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-3 /* M_MMAP_THRESHOLD */, 256 << 20)
        _ = mallopt(-1 /* M_TRIM_THRESHOLD */, 512 << 20)
        _ = mallopt(-2 /* M_TOP_PAD */, 64 << 20)
        #endif
    }
}
