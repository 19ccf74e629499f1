import EventideTesting
import Logging
import Testing

@testable import Eventide

@Suite("RouteParameters API and percent-decoded values")
struct RouteParametersTests {
    private func parameters(_ template: String, _ path: String) throws -> RouteParameters {
        let trie = try makeRouteTrie([("GET", template)])
        guard case .found(_, let parameters) = trie.match(method: "GET", path: path) else {
            Issue.record("\(path) did not match \(template)")
            return RouteParameters()
        }
        return parameters
    }

    @Test func accessors() throws {
        let params = try parameters("/users/{id}/posts/{postID}", "/users/42/posts/x7")
        #expect(params.count == 2)
        #expect(!params.isEmpty)
        #expect(params["id"] == "42")
        #expect(params["postID"] == "x7")
        #expect(params["missing"] == nil)
        #expect(params.get("id", as: Int.self) == 42)
        #expect(params.get("postID", as: Int.self) == nil)
        #expect(params.get("missing", as: Int.self) == nil)
        let id: Int? = params.get("id")
        #expect(id == 42)
        #expect(try params.require("postID") == "x7")
        #expect(Array(params).map(\.name) == ["id", "postID"])
        #expect(Array(params).map(\.value) == ["42", "x7"])
    }

    @Test func requireThrowsMissingParameter() throws {
        let params = try parameters("/users/{id}", "/users/1")
        let error = #expect(throws: MissingParameterError.self) {
            try params.require("name")
        }
        #expect(error?.name == "name")
        #expect(error?.description.contains("name") == true)
    }

    /// Through the server's connection code: 400 with the message, one warning, the
    /// request's task skipped like any failed request's.
    @Test func aMissingParameterIsAnswered400AndLoggedOnce() async throws {
        let recorder = LogRecorder()
        let router = Router()
        router.sync.get("/users/{id}") { request, tasks in
            try tasks.add({}, name: "after-lookup")
            return try request.pathParameters.require("name")
        }
        let client = try TestClient(router: router, logger: recorder.logger())
        let response = try await client.execute(.get, "/users/42")
        try client.shutdown()
        #expect(response.status == .badRequest)
        #expect(response.text == #"missing path parameter "name""#)
        #expect(client.statistics.skipped == 1)
        let lines = recorder.records.filter { $0.level >= .notice }
        #expect(lines.map(\.message) == ["missing parameter"])
        #expect(lines.first?.level == .warning)
        #expect(lines.first?.metadata["parameter"] == "name")
        #expect(lines.first?.metadata["request-id"] != nil)
    }

    @Test func empty() {
        let params = RouteParameters()
        #expect(params.isEmpty)
        #expect(params.count == 0)
        #expect(params["x"] == nil)
        #expect(Array(params).isEmpty)
    }

    @Test func decodesUTF8() throws {
        #expect(try parameters("/users/{name}", "/users/J%C3%BCrgen")["name"] == "Jürgen")
        #expect(try parameters("/users/{name}", "/users/J%c3%bcrgen")["name"] == "Jürgen")
    }

    @Test func encodedSlashDoesNotSplit() throws {
        let params = try parameters("/files/{name}", "/files/a%2Fb")
        #expect(params["name"] == "a/b")
        let trie = try makeRouteTrie([("GET", "/files/{name}")])
        #expect(trie.match(method: "GET", path: "/files/a/b").isNotFound)
    }

    @Test func plusIsNotSpaceInPaths() throws {
        #expect(try parameters("/q/{term}", "/q/a+b%20c")["term"] == "a+b c")
    }

    @Test func malformedEscapesKeepRawSegment() throws {
        #expect(try parameters("/q/{term}", "/q/100%")["term"] == "100%")
        #expect(try parameters("/q/{term}", "/q/%zz")["term"] == "%zz")
        #expect(try parameters("/q/{term}", "/q/%4")["term"] == "%4")
        // Valid escapes but invalid UTF-8.
        #expect(try parameters("/q/{term}", "/q/%FF%FE")["term"] == "%FF%FE")
    }

    @Test func catchAllIsDecoded() throws {
        #expect(try parameters("/f/{p...}", "/f/a%20b/c%2Fd")["p"] == "a b/c/d")
    }

    @Test func literalsMatchRawBytes() throws {
        let trie = try makeRouteTrie([("GET", "/caf%C3%A9")])
        #expect(trie.match(method: "GET", path: "/caf%C3%A9").value == "GET /caf%C3%A9")
        #expect(trie.match(method: "GET", path: "/café").isNotFound)
    }
}
