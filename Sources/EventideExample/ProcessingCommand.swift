import ArgumentParser
import Crypto
import Eventide
import EventideUVLoop

/// The "Accepted" pattern: a slow job answers 202 with an id at once and runs in the
/// background; its state is polled at `GET /process/{id}`.
struct ProcessingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "processing",
        abstract: "POST /process (text body) answers 202 {id}; GET /process/{id} reports the result."
    )

    @OptionGroup var options: ServerOptions
    @OptionGroup var workdir: WorkdirOption

    @Option(name: .customLong("max-body-mb"), help: "Largest accepted body, in MiB.")
    var maxBodyMiB = 256

    func run() throws {
        let jobs = JobStore()
        let router = Router()
        router.post("/process") { request, tasks in
            let id = jobs.create()
            try tasks.add(analyze, id, request.body, jobs, name: "analyze_text")
            return try Response.json(["id": id], status: .accepted)
        }
        router.get("/process/{id}") { request, _ in
            guard let job = jobs[try request.pathParameters.require("id")] else { throw HTTPError(.notFound, "unknown job") }
            return try Response.json(job)
        }
        try options.serve(router, label: "processing") { configuration in
            configuration.limits.maxBodyBytes = maxBodyMiB * 1024 * 1024
        }
    }
}

/// A blocking task on the pool: counts lines and words and hashes the text (SHA-256).
@Sendable func analyze(_ id: String, _ body: [UInt8], _ jobs: JobStore) {
    jobs.update(id) { $0.state = .running }
    let counts = TextCounts(body)
    let digest = sha256Hex(body)
    jobs.update(id) { job in
        job.state = .done
        job.lines = counts.lines
        job.words = counts.words
        job.sha256 = digest
    }
}

/// The SHA-256 digest of `bytes` (swift-crypto) as 64 lowercase hex digits.
func sha256Hex(_ bytes: [UInt8]) -> String {
    let hexDigits = Array("0123456789abcdef".utf8)
    var hex: [UInt8] = []
    hex.reserveCapacity(SHA256.byteCount * 2)
    for byte in SHA256.hash(data: bytes) {
        hex.append(hexDigits[Int(byte >> 4)])
        hex.append(hexDigits[Int(byte & 0x0F)])
    }
    return String(decoding: hex, as: UTF8.self)
}

/// Lines (like Python's `splitlines`) and whitespace-separated words of UTF-8 text.
struct TextCounts {
    var lines = 0
    var words = 0

    init(_ bytes: [UInt8]) {
        var inWord = false
        var lineHasContent = false
        for byte in bytes {
            let isSpace = byte == 0x20 || (0x09...0x0D).contains(byte)
            if isSpace {
                inWord = false
            } else if !inWord {
                inWord = true
                words += 1
            }
            if byte == 0x0A {
                lines += 1
                lineHasContent = false
            } else {
                lineHasContent = true
            }
        }
        if lineHasContent { lines += 1 }
    }
}

/// A job's state as `GET /process/{id}` reports it.
struct Job: Codable, Sendable {
    enum State: String, Codable, Sendable { case pending, running, done, failed }
    var state = State.pending
    var lines: Int?
    var words: Int?
    var sha256: String?
}

/// Jobs by id, shared by the handlers and the pool thread.
final class JobStore: Sendable {
    // `Locked` is Eventide's pthread-based twin of Synchronization.Mutex (same `withLock`);
    // your code would use Mutex. The example uses it because ThreadSanitizer, which the test
    // suite runs these apps under, does not see Mutex's futex on Linux and reports races.
    private let jobs = Locked<[String: Job]>([:])

    /// Registers a pending job and returns its new id.
    func create() -> String {
        let id = (0..<4).map { _ in String(UInt32.random(in: .min ... .max), radix: 16) }.joined()
        jobs.withLock { $0[id] = Job() }
        return id
    }

    subscript(id: String) -> Job? { jobs.withLock { $0[id] } }

    func update(_ id: String, _ change: (inout Job) -> Void) {
        jobs.withLock { jobs in
            if var job = jobs[id] {
                change(&job)
                jobs[id] = job
            }
        }
    }
}
