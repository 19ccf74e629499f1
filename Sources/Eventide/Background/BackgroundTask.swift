/// A call stored for later: a function and the arguments it will be called with,
/// captured by value when the task is made.
///
/// Usually made by `BackgroundTasks.add`; make one directly to attach it to a
/// `Response` (`response.background.append(...)`).
public struct BackgroundTask: Sendable {
    @usableFromInline enum Body: Sendable {
        /// `call(false)` calls the function (and returns `[]`); `call(true)` returns the
        /// captured arguments instead, without calling it. One closure serves both, so
        /// adding a blocking task allocates no array of arguments.
        case blocking(@Sendable (_ inspect: Bool) throws -> [any Sendable])
        case async(@Sendable () async throws -> Void, arguments: [any Sendable])
    }

    /// The name used in logs, metrics and test captures.
    public let name: String
    /// Placement and failure behaviour.
    public let options: BackgroundTaskOptions
    @usableFromInline let body: Body

    /// The captured arguments, in order (for inspection in tests).
    public var arguments: [any Sendable] {
        switch body {
        case .blocking(let call): return (try? call(true)) ?? []  // inspecting never throws
        case .async(_, let arguments): return arguments
        }
    }

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
        self.init(
            name: name ?? Self.callSite(fileID, line), options: options,
            body: .blocking { inspect in
                if inspect { return Self.collect(repeat each arguments) }
                try function(repeat each arguments)
                return []
            })
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
        self.init(
            name: name ?? Self.callSite(fileID, line), options: options,
            body: .async({ try await function(repeat each arguments) }, arguments: Self.collect(repeat each arguments)))
    }

    @usableFromInline init(name: String, options: BackgroundTaskOptions, body: Body) {
        self.name = name
        self.options = options
        self.body = body
    }

    /// `arguments` as an array, allocated once at its final size.
    @inlinable
    static func collect<each Argument: Sendable>(_ arguments: repeat each Argument) -> [any Sendable] {
        var count = 0
        for _ in repeat each arguments { count += 1 }
        var collected: [any Sendable] = []
        collected.reserveCapacity(count)
        for argument in repeat each arguments { collected.append(argument) }
        return collected
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
