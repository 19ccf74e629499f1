import Testing

@testable import Eventide

@Suite("PathTemplate parsing")
struct PathTemplateTests {
    @Test func root() throws {
        let template = try PathTemplate("/")
        #expect(template.segments == [.literal("")])
        #expect(template.isStatic)
        #expect(template.parameterNames.isEmpty)
    }

    @Test func literalSegments() throws {
        let template = try PathTemplate("/static/files")
        #expect(template.segments == [.literal("static"), .literal("files")])
        #expect(template.isStatic)
        #expect(template.description == "/static/files")
    }

    @Test func trailingSlashAndEmptySegmentsAreKept() throws {
        #expect(try PathTemplate("/a/").segments == [.literal("a"), .literal("")])
        #expect(try PathTemplate("/a//b").segments == [.literal("a"), .literal(""), .literal("b")])
    }

    @Test func parameters() throws {
        let template = try PathTemplate("/users/{id}/posts/{postID}")
        #expect(template.segments == [.literal("users"), .parameter("id"), .literal("posts"), .parameter("postID")])
        #expect(template.parameterNames == ["id", "postID"])
        #expect(!template.isStatic)
    }

    @Test func catchAll() throws {
        let template = try PathTemplate("/files/{path...}")
        #expect(template.segments == [.literal("files"), .catchAll("path")])
        #expect(template.parameterNames == ["path"])
        #expect(try PathTemplate("/{rest...}").segments == [.catchAll("rest")])
    }

    @Test func identifierCharacters() throws {
        #expect(try PathTemplate("/{_a1_B2}").parameterNames == ["_a1_B2"])
    }

    @Test func percentEncodedLiteralIsAllowed() throws {
        #expect(try PathTemplate("/caf%C3%A9").segments == [.literal("caf%C3%A9")])
    }

    @Test(
        "invalid templates are rejected",
        arguments: [
            ("", "must start with"),
            ("users", "must start with"),
            ("{id}", "must start with"),
            ("/{}", "non-empty identifier"),
            ("/{...}", "non-empty identifier"),
            ("/{1abc}", "non-empty identifier"),
            ("/{a-b}", "non-empty identifier"),
            ("/{a b}", "non-empty identifier"),
            ("/{a{b}}", "non-empty identifier"),
            ("/a{b}c", "mixes a parameter"),
            ("/a{b}", "mixes a parameter"),
            ("/{b}c", "mixes a parameter"),
            ("/{b", "mixes a parameter"),
            ("/b}", "stray brace"),
            ("/{a}/{a}", "duplicate parameter name \"a\""),
            ("/{a}/{a...}", "duplicate parameter name \"a\""),
            ("/{rest...}/x", "must be the last segment"),
            ("/{rest...}/", "must be the last segment"),
            ("/a?b", "\"?\" or \"#\""),
            ("/a#b", "\"?\" or \"#\""),
            ("/a b", "percent-encode"),
            ("/café", "percent-encode"),
        ]
    )
    func invalid(template: String, expectedReason: String) {
        do {
            _ = try PathTemplate(template)
            Issue.record("expected \"\(template)\" to be rejected")
        } catch {
            #expect(error.template == template)
            #expect(error.reason.contains(expectedReason), "reason: \(error.reason)")
            #expect(error.description.contains("\"\(template)\""))
        }
    }
}
