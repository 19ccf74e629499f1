/// Thrown through a value's `encode(to:)` when `JSONBytesEncoder` meets something it does not
/// reproduce itself; the whole value is then encoded again by Foundation's `JSONEncoder`.
/// Only `JSONEncodingState.fallback()` creates it, after setting `needsFallback`, so the
/// request for Foundation survives a value that catches this error and carries on.
struct JSONFallback: Error {}
