// Compiler hints Swift cannot spell.

// Starts loading the cache line at p (for reading); never faults.
static inline void backfill_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
