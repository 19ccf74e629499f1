#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The output and the stack of open JSON values of one `JSONBytesEncoder` run.
///
/// Encoders and containers are handles `(state, depth, id)` onto a frame. Using a handle
/// closes every frame above its own (their values are complete: a container cannot be
/// written to again once its parent moved on), so bytes are written in call order, straight
/// into `bytes`. A handle whose frame is already closed, a value the encoder does not
/// reproduce, or a duplicate key sets `needsFallback`: the caller then encodes the whole
/// value with Foundation instead.
final class JSONEncodingState {
    /// Deeper nesting falls back to Foundation, which rejects containers nested 512 deep.
    static let maximumDepth = 256

    /// The JSON written so far.
    // why: one encoding runs on one thread, and no method holds an access to it while a value's `encode(to:)` runs; exclusivity checks cost 8.8% instructions per JSON request (Benchmarks/instructions.py).
    @exclusivity(unchecked) var bytes: [UInt8] = []
    /// `.sortedKeys`: members in the UTF-8 order of their keys.
    private(set) var sortsKeys = false
    /// Without `.withoutEscapingSlashes`, `/` is written `\/`.
    private(set) var escapesSlashes = true
    /// The open values, outermost first.
    // why: as `bytes`; exclusivity checks cost 8.2% instructions per JSON request (Benchmarks/instructions.py).
    @exclusivity(unchecked) private(set) var frames: [JSONEncodingFrame] = []
    /// Member records of the open objects that have two or more members.
    // why: as `bytes`; exclusivity checks cost 1.2% instructions per JSON request (Benchmarks/instructions.py).
    @exclusivity(unchecked) var members: [JSONObjectMember] = []
    /// Set once the value must be encoded by Foundation instead; never cleared.
    private(set) var needsFallback = false
    /// An error thrown by a nested value passed through this encoder back to the value's
    /// code. If the encoding then succeeds, that code caught it: Foundation drops what the
    /// failed value had encoded, this encoder does not, so the result is Foundation's.
    private(set) var errorPassedThrough = false
    /// Never reset, also when the state is reused: a handle kept from an earlier
    /// encoding can never match a frame of a later one.
    private var lastID = 0

    init(formatting: JSONEncoder.OutputFormatting) {
        frames.reserveCapacity(8)
        prepare(formatting: formatting)
    }

    /// Readies a new or reused state for one encoding.
    func prepare(formatting: JSONEncoder.OutputFormatting) {
        sortsKeys = formatting.contains(.sortedKeys)
        escapesSlashes = !formatting.contains(.withoutEscapingSlashes)
        bytes.reserveCapacity(128)  // a small object; larger bodies grow geometrically
    }

    /// The output, handed over: the state keeps none of it.
    func takeBytes() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }

    /// Forgets the last encoding, keeping the capacity of the frame and member lists
    /// unless a large value grew them: the kept state must not pin that memory.
    func clear() {
        bytes = []
        if frames.capacity > 64 { frames = [] } else { frames.removeAll(keepingCapacity: true) }
        if members.capacity > 1024 { members = [] } else { members.removeAll(keepingCapacity: true) }
        needsFallback = false
        errorPassedThrough = false
    }

    /// Asks for the Foundation fallback; the error unwinds the value's `encode(to:)`.
    func fallback() -> JSONFallback {
        requestFallback()
        return JSONFallback()
    }

    /// Asks for the Foundation fallback where nothing can be thrown.
    func requestFallback() {
        needsFallback = true
    }

    /// Runs a nested value's `encode(to:)`, noting an error on its way out.
    func encodeThrough<T: Encodable>(_ value: T, _ encoder: JSONValueEncoder) throws {
        do {
            try value.encode(to: encoder)
        } catch {
            errorPassedThrough = true
            throw error
        }
    }

    // MARK: - The top level

    /// Encodes `value` as the whole document.
    func encodeTopLevel<T: Encodable>(_ value: T) throws {
        if try writeLeaf(value) { return }
        let id = try push(.pending, .root)
        try value.encode(to: JSONValueEncoder(state: self, depth: 0, id: id))
        // Foundation throws "did not encode any values" for an empty top level.
        guard activate(0, id), frames[0].kind != .pending else { throw fallback() }
        closeInnermost()
        if needsFallback { throw JSONFallback() }
    }

    // MARK: - Frames

    /// Makes frame `depth` the innermost by closing the frames above it. False (with
    /// `needsFallback` set) when that frame is no longer the one with `id`.
    func activate(_ depth: Int, _ id: Int) -> Bool {
        let count = frames.count
        if depth == count - 1, frames[depth].id == id, !needsFallback { return true }
        guard !needsFallback, depth >= 0, depth < count, frames[depth].id == id else {
            needsFallback = true
            return false
        }
        while frames.count > depth + 1 { closeInnermost() }
        return !needsFallback
    }

    /// Opens a frame above the innermost one, for an encoder (`.pending`) or a nested
    /// container (`.object`, `.array`); returns its id (its depth is the old `frames.count`).
    func push(_ kind: JSONEncodingFrame.Kind, _ component: JSONPathComponent) throws -> Int {
        guard frames.count < Self.maximumDepth else { throw fallback() }
        switch kind {
        case .object: bytes.append(UInt8(ascii: "{"))
        case .array: bytes.append(UInt8(ascii: "["))
        case .pending, .single: break
        }
        lastID += 1
        frames.append(JSONEncodingFrame(kind: kind, id: lastID, component: component, isEncoder: kind == .pending, contentStart: bytes.count))
        return lastID
    }

    /// Closes and pops the innermost frame.
    func closeInnermost() {
        let frame = frames.removeLast()
        switch frame.kind {
        case .pending:
            // Foundation's stand-in for a nested value that encoded nothing.
            bytes.append(UInt8(ascii: "{"))
            bytes.append(UInt8(ascii: "}"))
        case .single:
            break
        case .array:
            bytes.append(UInt8(ascii: "]"))
        case .object:
            if frame.count > 1 { finishMembers(of: frame) }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// The encoder at `(depth, id)` asks for a keyed (`.object`) or unkeyed (`.array`)
    /// container. Asking again for the same kind continues the same container, as
    /// Foundation does. False (with `needsFallback` set) otherwise.
    func openContainer(_ kind: JSONEncodingFrame.Kind, _ depth: Int, _ id: Int) -> Bool {
        guard activate(depth, id) else { return false }
        let current = frames[depth].kind
        if current == kind { return true }
        guard current == .pending else {
            needsFallback = true
            return false
        }
        bytes.append(kind == .object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        frames[depth].kind = kind
        frames[depth].contentStart = bytes.count
        return true
    }

    /// The single-value container at `(depth, id)` is about to write one value.
    func beginSingleValue(_ depth: Int, _ id: Int) throws {
        guard activate(depth, id), frames[depth].kind == .pending else { throw fallback() }
        frames[depth].kind = .single
    }

    /// Writes the separator and `key` of the next member of the object at `(depth, id)`;
    /// its value follows.
    func beginMember(_ key: String, _ depth: Int, _ id: Int) -> Bool {
        guard activate(depth, id) else { return false }
        let count = frames[depth].count
        if count > 0 { bytes.append(UInt8(ascii: ",")) }
        let start = bytes.count
        writeString(key)
        let member = JSONObjectMember(start: start, keyEnd: bytes.count)
        bytes.append(UInt8(ascii: ":"))
        switch count {
        case 0:
            frames[depth].firstMember = member
        case 1:
            frames[depth].membersStart = members.count
            members.append(frames[depth].firstMember)
            members.append(member)
        default:
            members.append(member)
        }
        frames[depth].count = count + 1
        return true
    }

    /// `beginMember(_:_:_:)` that throws the fallback.
    func beginMemberOrThrow(_ key: String, _ depth: Int, _ id: Int) throws {
        guard beginMember(key, depth, id) else { throw JSONFallback() }
    }

    /// Writes the separator before the next element of the array at `(depth, id)`; returns
    /// the element's index, `nil` (with `needsFallback` set) for a closed frame.
    func beginElement(_ depth: Int, _ id: Int) -> Int? {
        guard activate(depth, id) else { return nil }
        let index = frames[depth].count
        if index > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[depth].count = index + 1
        return index
    }

    /// `beginElement(_:_:)` that throws the fallback.
    func beginElementOrThrow(_ depth: Int, _ id: Int) throws -> Int {
        guard let index = beginElement(depth, id) else { throw JSONFallback() }
        return index
    }

    /// Members or elements written into the container at `(depth, id)`.
    func count(_ depth: Int, _ id: Int) -> Int {
        guard depth >= 0, depth < frames.count, frames[depth].id == id else {
            needsFallback = true
            return 0
        }
        return frames[depth].count
    }

    /// The coding path of the encoder or container at `(depth, id)`, as Foundation builds it:
    /// an encoder's path is its owner encoder's plus its own key, so the keys of nested
    /// containers between them are left out; a container's path is its encoder's plus the
    /// keys of the nested containers leading to it. Asking through a closed frame's handle
    /// falls back (its path is gone).
    func codingPath(_ depth: Int, _ id: Int) -> [any CodingKey] {
        guard depth >= 0, depth < frames.count, frames[depth].id == id else {
            needsFallback = true
            return []
        }
        let encoderDepth = frames[...depth].lastIndex(where: \.isEncoder) ?? 0
        var path: [any CodingKey] = []
        for index in 0...depth where frames[index].isEncoder || index > encoderDepth {
            if let key = frames[index].component.codingKey { path.append(key) }
        }
        return path
    }

    // MARK: - Values

    /// Encodes a value that is not a leaf as a new frame reached by `component`: the
    /// value's `encode(to:)` fills it, then it is closed (`{}` if nothing was encoded).
    func encodeNested<T: Encodable>(_ value: T, at component: JSONPathComponent) throws {
        let depth = frames.count
        let id = try push(.pending, component)
        try encodeThrough(value, JSONValueEncoder(state: self, depth: depth, id: id))
        guard activate(depth, id) else { throw JSONFallback() }
        closeInnermost()
    }

    /// Writes `value` directly when its type is one of the common leaves; throws the
    /// fallback for the types whose encoding depends on `JSONEncoder`'s strategies (Foundation
    /// special-cases them before calling their `encode(to:)`). False: encode it as a frame.
    func writeLeaf<T: Encodable>(_ value: T) throws -> Bool {
        if T.self == String.self, let string = value as? String {
            writeString(string)
        } else if T.self == Int.self, let int = value as? Int {
            writeInteger(int)
        } else if T.self == Bool.self, let bool = value as? Bool {
            writeBool(bool)
        } else if T.self == Double.self, let double = value as? Double {
            try writeFloatingPoint(double)
        } else if T.self == Date.self || T.self == Data.self || T.self == URL.self || T.self == Decimal.self {
            throw fallback()
        } else {
            return false
        }
        return true
    }
}
