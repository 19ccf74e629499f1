import Testing

@testable import Eventide

@Suite("QueryParameters parsing")
struct QueryParametersTests {
    private func pairs(_ raw: String) -> [String] {
        QueryParameters(rawQuery: raw).map { "\($0.name)=\($0.value)" }
    }

    @Test func typical() {
        let query = QueryParameters(rawQuery: "a=1&b=two&a=3&flag&x=%20y+z")
        #expect(query.count == 5)
        #expect(!query.isEmpty)
        #expect(query["a"] == "1")
        #expect(query.all("a") == ["1", "3"])
        #expect(query["b"] == "two")
        #expect(query["flag"] == "")
        #expect(query.contains("flag"))
        #expect(!query.contains("nope"))
        #expect(query["nope"] == nil)
        #expect(query.all("nope").isEmpty)
        #expect(query["x"] == " y z")
        #expect(query.get("a", as: Int.self) == 1)
        #expect(query.get("b", as: Int.self) == nil)
        #expect(query.get("nope", as: Int.self) == nil)
        let b: String? = query.get("b")
        #expect(b == "two")
        #expect(pairs("a=1&b=two&a=3&flag&x=%20y+z") == ["a=1", "b=two", "a=3", "flag=", "x= y z"])
    }

    @Test func empty() {
        #expect(QueryParameters(rawQuery: "").isEmpty)
        #expect(QueryParameters().isEmpty)
        #expect(QueryParameters().count == 0)
        #expect(QueryParameters(rawQuery: "&").isEmpty)
        #expect(QueryParameters(rawQuery: "&&&").isEmpty)
    }

    @Test func emptyPiecesAreSkipped() {
        #expect(pairs("&&a=1&&b=2&") == ["a=1", "b=2"])
    }

    @Test func emptyValuesAndNames() {
        #expect(pairs("a=") == ["a="])
        #expect(pairs("=b") == ["=b"])
        #expect(QueryParameters(rawQuery: "=b")[""] == "b")
        #expect(pairs("=") == ["="])
        #expect(pairs("a==b") == ["a==b"])
        #expect(QueryParameters(rawQuery: "a==b")["a"] == "=b")
    }

    @Test func plusAndEscapes() {
        #expect(QueryParameters(rawQuery: "q=a+b")["q"] == "a b")
        #expect(QueryParameters(rawQuery: "q=a%2Bb")["q"] == "a+b")
        #expect(QueryParameters(rawQuery: "first+name=J%C3%BCrgen")["first name"] == "Jürgen")
        #expect(QueryParameters(rawQuery: "a%26b=c%3Dd")["a&b"] == "c=d")
    }

    @Test func malformedIsLenient() {
        #expect(QueryParameters(rawQuery: "x=%zz")["x"] == "%zz")
        #expect(QueryParameters(rawQuery: "x=100%")["x"] == "100%")
        #expect(QueryParameters(rawQuery: "x=%zz+%41")["x"] == "%zz A")
        #expect(QueryParameters(rawQuery: "x=%FF")["x"] == "\u{FFFD}")
        #expect(QueryParameters(rawQuery: "%zz=1")["%zz"] == "1")
    }

    @Test func substringInit() {
        let target = "/search?q=swift&page=2"
        let query = QueryParameters(rawQuery: target[target.index(after: target.firstIndex(of: "?")!)...])
        #expect(query["q"] == "swift")
        #expect(query.get("page", as: Int.self) == 2)
    }
}
