/// A call stored for later: a function and the arguments it will be called with,
/// captured by value when the task is made.
///
/// Usually made by `BackgroundTasks.add`; make one directly to attach it to a
/// `Response` (`response.background.append(...)`).
public struct BackgroundTask: Sendable {
    @usableFromInline enum Body: Sendable {
        case blocking(@Sendable () throws -> Void)
        case async(@Sendable () async throws -> Void)
    }

    /// The name used in logs, metrics and test captures.
    public let name: String
    /// Placement and failure behaviour.
    public let options: BackgroundTaskOptions
    /// The captured arguments, in order (for inspection in tests).
    public let arguments: [any Sendable]
    @usableFromInline let body: Body

    /// A task calling the synchronous (possibly blocking) `function` with `arguments`.
    /// The name defaults to the call site (`File.swift:12`).
    @inlinable
    public init<each Argument: Sendable>(
        _ function: @escaping @Sendable (repeat each Argument) throws -> Void,
        _ arguments: repeat each Argument,
        name: String? = nil,
        options: BackgroundTaskOptions = BackgroundTaskOptions(),
        fileID: String = #fileID,
        line: Int = #line
    ) {
        var captured: [any Sendable] = []
        for argument in repeat each arguments { captured.append(argument) }
        self.init(
            name: name ?? Self.callSite(fileID, line), options: options, arguments: captured,
            body: .blocking { try function(repeat each arguments) })
    }

    /// A task calling the `async` `function` with `arguments`.
    @inlinable
    public init<each Argument: Sendable>(
        _ function: @escaping @Sendable (repeat each Argument) async throws -> Void,
        _ arguments: repeat each Argument,
        name: String? = nil,
        options: BackgroundTaskOptions = BackgroundTaskOptions(),
        fileID: String = #fileID,
        line: Int = #line
    ) {
        var captured: [any Sendable] = []
        for argument in repeat each arguments { captured.append(argument) }
        self.init(
            name: name ?? Self.callSite(fileID, line), options: options, arguments: captured,
            body: .async { try await function(repeat each arguments) })
    }

    @usableFromInline init(name: String, options: BackgroundTaskOptions, arguments: [any Sendable], body: Body) {
        self.name = name
        self.options = options
        self.arguments = arguments
        self.body = body
    }

    /// Whether the task runs off the event loop.
    var runsOffLoop: Bool {
        switch (options.placement, body) {
        case (.threadPool, _), (.automatic, .blocking): return true
        case (.eventLoop, _), (.automatic, .async): return false
        }
    }

    @usableFromInline static func callSite(_ fileID: String, _ line: Int) -> String {
        let file = fileID.split(separator: "/").last.map(String.init) ?? fileID
        return "\(file):\(line)"
    }
}
