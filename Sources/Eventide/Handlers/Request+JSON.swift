#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Request {
    /// Decodes the body as JSON. A body that is not JSON, or does not decode to `T` (a
    /// field missing, a value of the wrong type), throws a `ValidationError` (422, naming
    /// the field and the reason); a `Content-Type` present and not JSON, an `HTTPError` 415.
    public func decode<T: Decodable>(_ type: T.Type = T.self, using decoder: JSONDecoder = JSONDecoder()) throws -> T {
        if let contentType = parsedHead.headers.first(name: "Content-Type"), !Self.isJSON(contentType) {
            throw HTTPError(.unsupportedMediaType, "expected Content-Type: application/json")
        }
        do {
            return try decoder.decode(T.self, from: Data(body))
        } catch {
            throw ValidationError(decodingBody: error, bodyIsEmpty: body.isEmpty)
        }
    }

    private static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        let trimmed = mediaType.trimmingASCIIWhitespace().lowercased()
        return trimmed == "application/json" || trimmed.hasSuffix("+json")
    }
}

extension Substring {
    func trimmingASCIIWhitespace() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
