import EventideUVLoop
import Testing

@Suite struct IterationEndTests {
    @Test func anActionArmedTwiceRunsOnceAtTheEndOfTheIteration() throws {
        let loop = try EventLoop()
        var events: [String] = []
        let end = IterationEnd(loop: loop) { events.append("end") }
        end.arm()
        end.arm()
        events.append("armed")
        #expect(events == ["armed"])  // nothing before the loop iterates
        loop.runOnce(wait: false)
        #expect(events == ["armed", "end"])
        loop.runOnce(wait: false)
        #expect(events == ["armed", "end"])  // not armed again: not run again
        end.arm()
        loop.runOnce(wait: false)
        #expect(events == ["armed", "end", "end"])
        end.close()
        loop.closeWakeup()
        loop.run()
        #expect(loop.openHandleCount == 0)
        try loop.close()
    }

    @Test func closingRunsAPendingActionAndLaterArmsRunAtOnce() throws {
        let loop = try EventLoop()
        var runs = 0
        let end = IterationEnd(loop: loop) { runs += 1 }
        end.arm()
        end.close()
        #expect(runs == 1)
        end.arm()
        #expect(runs == 2)
        loop.closeWakeup()
        loop.run()
        #expect(loop.openHandleCount == 0)
        try loop.close()
    }
}
