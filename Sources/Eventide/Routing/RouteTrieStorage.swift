/// The immutable contents of a ``RouteTrie``, boxed so that copying or
/// capturing a built trie is a single retain rather than one per array.
final class RouteTrieStorage<Value: Sendable>: Sendable {
    /// Node 0 is the root (the position after the leading `/`).
    let nodes: [RouteTrieNode<Value>]
    /// Whole path of each parameterless template to the node holding its endpoint.
    let staticPaths: ByteKeyTable
    /// Largest parameter count of any template, to size the capture buffer.
    let maxParameterCount: Int

    init(nodes: [RouteTrieNode<Value>], staticPaths: ByteKeyTable, maxParameterCount: Int) {
        self.nodes = nodes
        self.staticPaths = staticPaths
        self.maxParameterCount = maxParameterCount
    }
}
