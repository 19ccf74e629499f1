import ArgumentParser
import Eventide
import EventideOpenAPI
import Foundation

/// The notification tutorial as an OpenAPI document (`openapi.yaml` beside this file):
/// swift-openapi-generator made `APIProtocol` from it (`Generated/`, rewritten by
/// scripts/generate-openapi.sh), `NotificationAPI` implements it, and Eventide's router
/// serves it as a `ServerTransport`.
struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi",
        abstract: "The notification API from openapi.yaml (swift-openapi-generator), its document at GET /openapi.yaml."
    )

    @OptionGroup var options: ServerOptions
    @OptionGroup var workdir: WorkdirOption

    func run() throws {
        let router = Router()
        try NotificationAPI(logPath: workdir.path("log.txt"), document: try OpenAPIDocument.load()).registerHandlers(on: router)
        try options.serve(router, label: "openapi")
    }
}

/// The text of `openapi.yaml`, the very file the generator read (CI checks that
/// `Generated/` is what it generates), copied into the executable's resource bundle.
enum OpenAPIDocument {
    struct Missing: Error, CustomStringConvertible {
        var description: String { "openapi.yaml is missing from the eventide-example resource bundle" }
    }

    static func load() throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else { throw Missing() }
        return Array(try Data(contentsOf: url))
    }
}
