import ArgumentParser
import Eventide

/// The routes benchmarks measure (TechEmpower-style plaintext and JSON).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Serve GET /plaintext and GET /json for benchmarking."
    )

    @OptionGroup var options: ServerOptions

    func run() throws {
        let router = Router()
        router.get("/plaintext") { _ in Response.text("Hello, World!", contentType: "text/plain") }
        router.get("/json") { _ in try Response.json(Message(message: "Hello, World!")) }
        try Server(router: router, configuration: options.configuration, logger: options.makeLogger(label: "bench")).run()
    }
}

/// The `/json` body, encoded per request as the benchmark requires.
struct Message: Encodable {
    let message: String
}
