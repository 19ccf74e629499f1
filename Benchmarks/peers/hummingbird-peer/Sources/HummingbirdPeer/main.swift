// Hummingbird 2 peer of the Eventide benchmarks: the same four routes as
// `eventide-example bench`.
//
//   hummingbird-peer --host 127.0.0.1 --port 8080 --workdir DIR
//
// Background work, the closest practical equivalent of Eventide's tasks:
// - /send-notification: the append runs in a detached Task once the handler
//   has built its response (Hummingbird has no "after the response is written"
//   hook); the file is opened, appended to and closed per request.
// - /slow/{ms}: the task blocks (sleep), so it must not run on Swift's
//   cooperative pool (2 threads here); it goes to a small pool of 4 dedicated
//   threads (libuv's default thread-pool size) with at most 1024 queued tasks,
//   and the route answers 503 when that queue is full.
import Foundation
import Hummingbird
import Logging

struct Message: ResponseEncodable {
    let message: String
}

/// Appends one line to a file: open (O_APPEND), write, close.
func appendLine(_ line: String, to path: String) {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    guard fd >= 0 else { return }
    defer { close(fd) }
    var bytes = Array(line.utf8)
    _ = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
}

/// A fixed set of threads running blocking jobs from a bounded FIFO queue.
final class BlockingPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private let capacity: Int

    init(threads: Int, capacity: Int) {
        self.capacity = capacity
        for _ in 0..<threads {
            let thread = Thread { [self] in self.work() }
            thread.start()
        }
    }

    /// Queues a job; false when the queue is full.
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard jobs.count - head < capacity else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    private func work() {
        while true {
            condition.lock()
            while head == jobs.count { condition.wait() }
            let job = jobs[head]
            head += 1
            if head == jobs.count { jobs.removeAll(keepingCapacity: true); head = 0 }
            condition.unlock()
            job()
        }
    }
}

// Command line: --host H --port P --workdir DIR (anything else is ignored).
var host = "127.0.0.1"
var port = 8080
var workdir = FileManager.default.currentDirectoryPath
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--host": host = arguments.next() ?? host
    case "--port": port = arguments.next().flatMap(Int.init) ?? port
    case "--workdir": workdir = arguments.next() ?? workdir
    default: break
    }
}
let notificationLog = workdir + "/log.txt"
let slowLog = workdir + "/slow.txt"
let pool = BlockingPool(threads: 4, capacity: 1024)

let router = Router()
router.get("plaintext") { _, _ -> String in "Hello, World!" }
router.get("json") { _, _ in Message(message: "Hello, World!") }
router.post("send-notification/:email") { _, context -> Message in
    let email = context.parameters.get("email") ?? ""
    Task.detached {
        appendLine("notification for \(email): some notification\n", to: notificationLog)
    }
    return Message(message: "Notification sent in the background")
}
router.post("slow/:ms") { _, context -> EditedResponse<Message> in
    let ms = context.parameters.get("ms", as: Int.self) ?? 0
    let queued = pool.submit {
        usleep(UInt32(max(0, ms)) * 1000)
        appendLine("slow task of \(ms) ms done\n", to: slowLog)
    }
    guard queued else {
        return EditedResponse(status: .serviceUnavailable, response: Message(message: "task queue full"))
    }
    return EditedResponse(status: .accepted, response: Message(message: "accepted"))
}

var logger = Logger(label: "hummingbird-peer")
logger.logLevel = .warning
let app = Application(
    router: router,
    configuration: .init(address: .hostname(host, port: port)),
    logger: logger
)
try await app.runService()
