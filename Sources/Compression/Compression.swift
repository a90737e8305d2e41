// Placeholder; the Compression module is filled in by its own change.
