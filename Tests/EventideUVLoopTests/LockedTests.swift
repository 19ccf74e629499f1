#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Testing
import EventideUVLoop

@Suite struct LockedTests {
    @Test func incrementsFromManyThreadsAreNeverLost() {
        let counter = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<10_000 {
                counter.withLock { count in
                    let seen = count
                    sched_yield()  // were the lock not held, another thread would get in here
                    count = seen + 1
                }
            }
        }
        #expect(counter.withLock { $0 } == 40_000)
    }

    @Test func aThrowingBodyReleasesTheLock() {
        struct Failure: Error {}
        let names = Locked(["a"])
        #expect(throws: Failure.self) {
            try names.withLock { (names) throws(Failure) in
                names.append("b")
                throw Failure()
            }
        }
        // Another thread takes the lock; it would block forever had the throw kept it.
        let taken = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            names.withLock { $0.append("c") }
            taken.signal()
        }
        #expect(taken.wait(timeout: .now() + 5) == .success)
        #expect(names.withLock { $0 } == ["a", "b", "c"])
    }

    @Test func valuesOfEveryAlignmentAndSizeKeepTheirContents() {
        // The value sits after the mutex in one block, at an offset aligned for it.
        let vector = Locked(SIMD4<Double>(1, 2, 3, 4))
        vector.withLock { $0 *= 2 }
        #expect(vector.withLock { $0 } == SIMD4<Double>(2, 4, 6, 8))
        let byte = Locked(UInt8(7))
        byte.withLock { $0 += 1 }
        #expect(byte.withLock { $0 } == 8)
        let nothing = Locked(())
        #expect(nothing.withLock { _ in 42 } == 42)
    }

    @Test func theValueIsReleasedWithTheLock() {
        final class Resource: Sendable {}
        weak var released: Resource?
        do {
            let resource = Resource()
            released = resource
            let locked = Locked(Optional(resource))
            #expect(locked.withLock { $0 } === resource)
        }
        #expect(released == nil)
    }
}
