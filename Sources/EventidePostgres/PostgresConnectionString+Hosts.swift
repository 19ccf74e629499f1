import Glibc

extension PostgresConnectionString {
    /// The host names libpq would look up with the blocking `getaddrinfo`: every entry
    /// of `host` when each is a name (not a socket directory, not a numeric address) and
    /// no `hostaddr` is set; nil when there is nothing to look up first (a mixed list is
    /// left to libpq).
    var hostNamesToResolve: [String]? {
        guard option("hostaddr") == nil, let host = option("host"), !host.isEmpty else { return nil }
        let names = host.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let allNames = names.allSatisfy { !$0.isEmpty && !$0.hasPrefix("/") && !$0.hasPrefix("@") && !Self.isNumeric($0) }
        return allNames ? names : nil
    }

    /// This string with the addresses found for `hostNamesToResolve` (`addresses[i]` for
    /// name `i`, empty when it did not resolve) as `hostaddr`: a name with several
    /// addresses is listed once per address, in order, as libpq would try them, and keeps
    /// its `host` entry (and its `port`, when each host has its own) for TLS and
    /// passwords.
    ///
    /// - Throws: `PostgresError` of kind `.connectFailed` when no name resolved.
    func resolved(_ addresses: [[String]]) throws(PostgresError) -> PostgresConnectionString {
        let names = hostNamesToResolve ?? []
        let ports = option("port")?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) ?? []
        let portPerHost = names.count > 1 && ports.count == names.count
        var hosts: [String] = []
        var numeric: [String] = []
        var hostPorts: [String] = []
        for (index, name) in names.enumerated() where index < addresses.count {
            for address in addresses[index] {
                hosts.append(name)
                numeric.append(address)
                if portPerHost { hostPorts.append(ports[index]) }
            }
        }
        guard !numeric.isEmpty else {
            throw PostgresError(.connectFailed, "could not translate host name \(names.joined(separator: ", ")) to an address")
        }
        var values = [(keyword: "host", value: hosts.joined(separator: ",")), (keyword: "hostaddr", value: numeric.joined(separator: ","))]
        if portPerHost { values.append((keyword: "port", value: hostPorts.joined(separator: ","))) }
        return try setting(values)
    }

    /// Whether `host` is a numeric IPv4 or IPv6 address (libpq connects to it without a
    /// lookup).
    static func isNumeric(_ host: String) -> Bool {
        var buffer = in6_addr()
        return inet_pton(AF_INET, host, &buffer) == 1 || inet_pton(AF_INET6, host, &buffer) == 1
    }
}
