import EventideOpenAPI
import Foundation
import OpenAPIRuntime

/// The operations of `openapi.yaml`. Each accepted notification becomes a line of the log
/// file, appended by a background task once the response was sent (the request's tasks,
/// reached through `OpenAPIRequestContext`).
struct NotificationAPI: APIProtocol {
    let logPath: String
    let document: [UInt8]

    /// `POST /send-notification/{email}`: the tutorial's route, its line format.
    func sendNotification(_ input: Operations.SendNotification.Input) async throws -> Operations.SendNotification.Output {
        try OpenAPIRequestContext.backgroundTasks.add(Self.append, "notification for \(input.path.email): some notification", logPath)
        return .ok(.init(body: .json(.init(message: "Notification sent in the background"))))
    }

    /// `POST /notifications`: a JSON body, answered 202 with the id its log line carries.
    func createNotification(_ input: Operations.CreateNotification.Input) async throws -> Operations.CreateNotification.Output {
        guard case .json(let notification) = input.body else { throw HTTPBodyMismatch() }
        let id = UUID().uuidString.lowercased()
        try OpenAPIRequestContext.backgroundTasks.add(Self.append, "notification \(id) for \(notification.email): \(notification.message)", logPath)
        return .accepted(.init(body: .json(.init(id: id))))
    }

    /// `GET /openapi.yaml`: the document itself.
    func getOpenAPIDocument(_ input: Operations.GetOpenAPIDocument.Input) async throws -> Operations.GetOpenAPIDocument.Output {
        .ok(.init(body: .yaml(HTTPBody(document))))
    }

    /// The background task: appends `line` and a newline to the log (blocking, on the pool).
    @Sendable private static func append(_ line: String, to path: String) throws {
        try LogFile.append("\(line)\n", to: path)
    }

    /// A body of a content type the document does not declare (the generated decoder lets
    /// none through, so this never reaches a client).
    struct HTTPBodyMismatch: Error {}
}
