import Foundation

/// What a child process writes to a pipe, read on a thread of its own until end of file
/// (the child exited and every copy of the write end is closed), so a test can wait
/// for a line, or for the last line, instead of sleeping.
final class PipeText: Sendable {
    private struct State {
        var text = ""
        var ended = false
    }

    private let state = Watched(State())

    /// Starts reading `pipe`. Call after the process was launched: `Process.run()`
    /// closes this process's copy of the write end, without which no end of file comes.
    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        let thread = Thread { [state] in
            while true {
                let data = handle.availableData  // blocks; empty at end of file
                if data.isEmpty { break }
                state.update { $0.text += String(decoding: data, as: UTF8.self) }
            }
            state.update { $0.ended = true }
        }
        thread.start()
    }

    /// Everything read so far.
    var text: String { state.current.text }

    /// Waits (up to `timeout` seconds) until the text contains a match of `pattern` or
    /// the pipe ended; returns the first match, if any.
    func firstMatch(of pattern: Regex<(Substring, Substring)>, timeout: Double = 10) -> Substring? {
        var found: Substring?
        _ = state.wait(timeout: timeout) { state in
            found = state.text.firstMatch(of: pattern)?.1
            return found != nil || state.ended
        }
        return found
    }

    /// Waits (up to `timeout` seconds) until the text contains `line`; returns whether it does.
    func wait(for line: String, timeout: Double = 10) -> Bool {
        state.wait(timeout: timeout) { $0.text.contains(line) }
    }

    /// Waits (up to `timeout` seconds) for the end of file; returns whether it came.
    func waitForEnd(timeout: Double = 10) -> Bool {
        state.wait(timeout: timeout) { $0.ended }
    }
}
