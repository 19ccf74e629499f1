import Logging
import Testing

@testable import Eventide

/// A connection hands its next request the last request's context, reset in place
/// (`RequestContext.reuse`): nothing of the last request may show through.
@Suite struct RequestContextReuseTests {
    @Test func aReusedContextHasTheNewIDNoTasksNoCachedDependenciesAndIsOpen() throws {
        let service = BackgroundTaskLifecycle.Shared(configuration: BackgroundTaskConfiguration(), logger: Logger(label: "test"))
        let context = RequestContext(requestID: RequestID(loop: 0, sequence: 1), service: service)
        let key = ObjectIdentifier(RequestContextReuseTests.self)
        context.cacheDependency(key, "ada")
        _ = try context.append(BackgroundTask({}, name: "first"))
        #expect(context.seal().count == 1)
        #expect(context.sealDurable(failed: false).isEmpty)
        context.streamedBody = nil

        context.reuse(for: RequestID(loop: 0, sequence: 2))
        #expect(context.requestID == RequestID(loop: 0, sequence: 2))
        #expect(context.cachedDependency(key) == nil)
        // Open again: a task is admitted, and the list holds only it.
        _ = try context.append(BackgroundTask({}, name: "second"))
        #expect(context.seal().map(\.handle.name) == ["second"])
        #expect(context.takeHandOff().isEmpty)
    }
}
