import EventideUVLoop

/// Hands a streamed request body from its connection (the producer, on the loop) to the
/// handler iterating `RequestBody` (anywhere). Above `highWatermark` unread bytes the
/// producer is told to stop reading; once the reader brings them down to half of it,
/// `resume` (run on the loop by whoever read) lets it read again.
package final class RequestBodyChannel: Sendable {
    private struct State {
        var chunks: [[UInt8]] = []
        var first = 0
        var buffered = 0
        var end: Result<Void, RequestBodyError>?
        var reader: CheckedContinuation<[UInt8]?, any Error>?
        var paused = false
    }

    private let state = Locked(State())
    private let highWatermark: Int
    private let resume: @Sendable () -> Void

    /// `resume` is called (from the reader's thread) when a paused producer may read again.
    init(highWatermark: Int, resume: @escaping @Sendable () -> Void) {
        self.highWatermark = max(1, highWatermark)
        self.resume = resume
    }

    /// Adds a chunk. Returns false when the producer should stop reading until `resume`.
    func yield(_ chunk: [UInt8]) -> Bool {
        let (reader, keepReading) = state.withLock { state -> (CheckedContinuation<[UInt8]?, any Error>?, Bool) in
            guard state.end == nil else { return (nil, true) }
            if let reader = state.reader {
                state.reader = nil
                return (reader, true)
            }
            state.chunks.append(chunk)
            state.buffered += chunk.count
            if state.buffered > highWatermark { state.paused = true }
            return (nil, !state.paused)
        }
        reader?.resume(returning: chunk)
        return keepReading
    }

    /// Ends the body: normally (nil), or with `error` for the reader to throw.
    func finish(_ error: RequestBodyError? = nil) {
        let reader = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            guard state.end == nil else { return nil }
            state.end = error.map { .failure($0) } ?? .success(())
            defer { state.reader = nil }
            return state.reader
        }
        guard let reader else { return }
        if let error { reader.resume(throwing: error) } else { reader.resume(returning: nil) }
    }

    /// The next chunk, nil at the end.
    func next() async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
            enum Outcome { case chunk([UInt8], resume: Bool), end(RequestBodyError?), wait }
            let outcome = state.withLock { state -> Outcome in
                if state.first < state.chunks.count {
                    let chunk = state.chunks[state.first]
                    state.chunks[state.first] = []
                    state.first += 1
                    if state.first == state.chunks.count {
                        state.chunks.removeAll(keepingCapacity: true)
                        state.first = 0
                    }
                    state.buffered -= chunk.count
                    let resume = state.paused && state.buffered <= highWatermark / 2
                    if resume { state.paused = false }
                    return .chunk(chunk, resume: resume)
                }
                switch state.end {
                case .success?: return .end(nil)
                case .failure(let error)?: return .end(error)
                case nil:
                    // One reader at a time: a second one waiting would take the first's chunk.
                    guard state.reader == nil else { return .end(.concurrentReads) }
                    state.reader = continuation
                    return .wait
                }
            }
            switch outcome {
            case .chunk(let chunk, let resume):
                if resume { self.resume() }
                continuation.resume(returning: chunk)
            case .end(let error?):
                continuation.resume(throwing: error)
            case .end(nil):
                continuation.resume(returning: nil)
            case .wait:
                break
            }
        }
    }
}
