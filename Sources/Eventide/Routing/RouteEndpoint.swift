/// The routes that end at one trie position: one template shape with a value per method.
///
/// Immutable; adding a method produces a new endpoint (startup only). Being a
/// class, reading it while matching costs at most one retain instead of one
/// per stored array.
final class RouteEndpoint<Value: Sendable>: Sendable {
    /// The first template registered here; later ones must use the same parameter names.
    let template: PathTemplate
    let methods: [String]
    let values: [Value]

    init(template: PathTemplate, methods: [String] = [], values: [Value] = []) {
        self.template = template
        self.methods = methods
        self.values = values
    }

    /// A copy with `value` added for `method`; rejects a second registration of the same method.
    func adding(method: String, value: Value, template: PathTemplate) throws(RouteDefinitionError) -> RouteEndpoint {
        guard template.parameterNames == self.template.parameterNames else {
            throw RouteDefinitionError(
                template: template.rawValue,
                reason: "conflicts with \"\(self.template.rawValue)\": the same path shape with different parameter names"
            )
        }
        guard !methods.contains(method) else {
            throw RouteDefinitionError(
                template: template.rawValue,
                reason: "\(method) is already registered for \"\(self.template.rawValue)\""
            )
        }
        return RouteEndpoint(template: self.template, methods: methods + [method], values: values + [value])
    }

    /// The value for `method`; `HEAD` falls back to `GET` when it has no route of its own.
    func value(for method: String) -> Value? {
        var get: Int?
        for index in methods.indices {
            if methods[index] == method { return values[index] }
            if methods[index] == "GET" { get = index }
        }
        guard method == "HEAD", let get else { return nil }
        return values[get]
    }
}
