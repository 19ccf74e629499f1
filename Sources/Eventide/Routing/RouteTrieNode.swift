/// One position (segment depth) in a ``RouteTrie``. Children are indices into the trie's node array.
struct RouteTrieNode<Value: Sendable>: Sendable {
    /// Literal next segments (raw bytes) to child node index.
    var literalChildren = ByteKeyTable()
    /// The shared `{parameter}` next segment, whatever its name in each template.
    var parameterChild: Int?
    /// Routes that end exactly here.
    var endpoint: RouteEndpoint<Value>?
    /// Routes whose `{name...}` catch-all starts at the next segment.
    var catchAllEndpoint: RouteEndpoint<Value>?
}
