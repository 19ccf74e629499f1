/// How a frame is reached from the frame below it: one component of a coding path.
enum JSONPathComponent {
    /// The top-level value.
    case root
    /// A member of a keyed container, or a `superEncoder(forKey:)`.
    case key(any CodingKey)
    /// An element of an unkeyed container (its key is built only when a path is asked for).
    case index(Int)

    /// The coding key, `nil` for the root.
    var codingKey: (any CodingKey)? {
        switch self {
        case .root: return nil
        case .key(let key): return key
        case .index(let index): return JSONCodingKey(index: index)
        }
    }
}
