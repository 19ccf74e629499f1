#if canImport(Glibc)
import Glibc
#endif
import Testing
import EventideUVLoop

@Suite struct SocketWatcherTests {
    @Test func reportsReadableAndWritableAndClosesCleanly() throws {
        let (left, right) = try socketPair()
        defer { close(left); close(right) }
        let loop = try EventLoop()
        let watcher = try SocketWatcher(loop: loop, socket: left)
        var seen: [SocketEvents] = []
        try watcher.watch(readable: false, writable: true) { events in
            seen.append(events)
            // Writable at once; then only readable, after the peer wrote.
            try? watcher.watch(readable: true, writable: false) { events in
                seen.append(events)
                var byte: UInt8 = 0
                _ = read(left, &byte, 1)
                watcher.close()
                loop.closeWakeup()
            }
            var byte: UInt8 = 42
            _ = write(right, &byte, 1)
        }
        loop.run()
        try loop.close()
        #expect(seen == [
            SocketEvents(readable: false, writable: true),
            SocketEvents(readable: true, writable: false),
        ])
    }

    @Test func peerHangUpReadsAsReadable() throws {
        let (left, right) = try socketPair()
        defer { close(left) }
        let loop = try EventLoop()
        let watcher = try SocketWatcher(loop: loop, socket: left)
        var readable = false
        try watcher.watch(readable: true, writable: false) { events in
            readable = events.readable
            watcher.close()
            loop.closeWakeup()
        }
        close(right)
        loop.run()
        try loop.close()
        #expect(readable)
    }

    @Test func stoppedOrUnreferencedWatcherLetsTheLoopExit() throws {
        let (left, right) = try socketPair()
        defer { close(left); close(right) }
        let loop = try EventLoop()
        let watcher = try SocketWatcher(loop: loop, socket: left)
        var calls = 0
        try watcher.watch(readable: true, writable: true) { _ in calls += 1 }
        watcher.keepsLoopAlive(false)
        loop.closeWakeup()
        // Writable at once, but unreferenced: the loop does not wait for it.
        loop.run()
        watcher.keepsLoopAlive(true)
        watcher.stop()
        loop.run()
        #expect(calls <= 1)
        #expect(throws: UVError.busy) { try loop.close() }
        watcher.close()
        try loop.close()
    }

    @Test func aSecondWatcherOnTheSameSocketIsRefused() throws {
        let (left, right) = try socketPair()
        defer { close(left); close(right) }
        let loop = try EventLoop()
        let watcher = try SocketWatcher(loop: loop, socket: left)
        try watcher.watch(readable: true, writable: false) { _ in }
        #expect(throws: UVError.self) { _ = try SocketWatcher(loop: loop, socket: left) }
        watcher.close()
        // Closing removes the descriptor at once: a new watcher may take it.
        let again = try SocketWatcher(loop: loop, socket: left)
        again.close()
        loop.closeWakeup()
        loop.run()
        try loop.close()
    }
}

private func socketPair() throws -> (Int32, Int32) {
    var fds: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
        throw UVError(code: -errno)
    }
    return (fds[0], fds[1])
}
