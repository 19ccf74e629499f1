extension ValidationError {
    /// The problem with a JSON body that did not decode (`error`, from a `Decoder`), its
    /// location under "body".
    package init(decodingBody error: any Error, bodyIsEmpty: Bool) {
        if bodyIsEmpty {
            self.init([Detail(loc: ["body"], msg: "Field required", type: "missing")])
            return
        }
        guard let error = error as? DecodingError else {
            self.init([Detail(loc: ["body"], msg: "JSON decode error", type: "json_invalid")])
            return
        }
        switch error {
        case .keyNotFound(let key, let context):
            self.init([Detail(loc: Self.body(context.codingPath + [key]), msg: "Field required", type: "missing")])
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let expected = Self.expected(type)
            self.init([Detail(loc: Self.body(context.codingPath), msg: expected.msg, type: expected.type)])
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            self.init([Detail(loc: Self.body(context.codingPath), msg: "Value error, \(context.debugDescription)", type: "value_error")])
        default:
            self.init([Detail(loc: ["body"], msg: "JSON decode error", type: "json_invalid")])
        }
    }

    /// A parameter of the request's `part` ("query", "path") that is missing (`value`
    /// nil) or does not convert to `type`.
    static func parameter<T>(_ name: String, in part: String, value: String?, as type: T.Type) -> ValidationError {
        let loc: [Location] = [.key(part), .key(name)]
        guard value != nil else { return ValidationError([Detail(loc: loc, msg: "Field required", type: "missing")]) }
        let (msg, kind) =
            switch type {
            case is any BinaryInteger.Type: ("Input should be a valid integer, unable to parse string as an integer", "int_parsing")
            case is any BinaryFloatingPoint.Type: ("Input should be a valid number, unable to parse string as a number", "float_parsing")
            case is Bool.Type: ("Input should be a valid boolean, unable to interpret input", "bool_parsing")
            default: ("Input should be a valid \(type)", "value_error")
            }
        return ValidationError([Detail(loc: loc, msg: msg, type: kind)])
    }

    private static func body(_ path: [any CodingKey]) -> [Location] {
        [.key("body")] + path.map { key in key.intValue.map(Location.index) ?? .key(key.stringValue) }
    }

    /// pydantic's message and type for a value that is not of the `type` expected.
    private static func expected(_ type: Any.Type) -> (msg: String, type: String) {
        switch type {
        case is String.Type, is Substring.Type, is Character.Type: ("Input should be a valid string", "string_type")
        case is Bool.Type: ("Input should be a valid boolean", "bool_type")
        case is any BinaryInteger.Type: ("Input should be a valid integer", "int_type")
        case is any BinaryFloatingPoint.Type: ("Input should be a valid number", "float_type")
        case is [Any].Type: ("Input should be a valid list", "list_type")
        default: ("Input should be a valid dictionary or object to extract fields from", "model_attributes_type")
        }
    }
}
