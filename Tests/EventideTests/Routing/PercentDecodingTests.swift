import Testing

@testable import Eventide

@Suite("PercentDecoding")
struct PercentDecodingTests {
    @Test func passthrough() {
        #expect(PercentDecoding.decode("plain-text_~.", plusAsSpace: false) == "plain-text_~.")
        #expect(PercentDecoding.decode("", plusAsSpace: true) == "")
        #expect(PercentDecoding.decode(Array("abc".utf8), plusAsSpace: false) == "abc")
    }

    @Test func escapes() {
        #expect(PercentDecoding.decode("%41%62%2f%2F", plusAsSpace: false) == "Ab//")
        #expect(PercentDecoding.decode("J%C3%BCrgen", plusAsSpace: false) == "Jürgen")
        #expect(PercentDecoding.decode("%F0%9F%98%80", plusAsSpace: false) == "😀")
        #expect(PercentDecoding.decode("%25", plusAsSpace: false) == "%")
        #expect(PercentDecoding.decode("%00", plusAsSpace: false) == "\u{0}")
    }

    @Test func plus() {
        #expect(PercentDecoding.decode("a+b", plusAsSpace: false) == "a+b")
        #expect(PercentDecoding.decode("a+b", plusAsSpace: true) == "a b")
        #expect(PercentDecoding.decode("a%2Bb", plusAsSpace: true) == "a+b")
    }

    @Test(arguments: ["%", "%4", "a%", "%zz", "%4g", "%g4", "%%41"])
    func malformedEscapeIsNil(input: String) {
        #expect(PercentDecoding.decode(input, plusAsSpace: false) == nil)
    }

    @Test func invalidUTF8IsNil() {
        #expect(PercentDecoding.decode("%FF", plusAsSpace: false) == nil)
        #expect(PercentDecoding.decode("%C3", plusAsSpace: false) == nil)
        #expect(PercentDecoding.decode("%C0%AF", plusAsSpace: false) == nil)  // overlong "/"
        #expect(PercentDecoding.decode([0xFF, 0x41], plusAsSpace: false) == nil)  // raw bytes, no escapes
    }

    @Test func lenient() {
        #expect(PercentDecoding.decodeLenient("%zz+%41", plusAsSpace: true) == "%zz A")
        #expect(PercentDecoding.decodeLenient("100%", plusAsSpace: false) == "100%")
        #expect(PercentDecoding.decodeLenient("%4", plusAsSpace: false) == "%4")
        #expect(PercentDecoding.decodeLenient("a%FFb", plusAsSpace: false) == "a\u{FFFD}b")
        #expect(PercentDecoding.decodeLenient("x%C3%BC", plusAsSpace: false) == "xü")
    }

    @Test func longInput() {
        let input = String(repeating: "%41", count: 1000)
        #expect(PercentDecoding.decode(input, plusAsSpace: false) == String(repeating: "A", count: 1000))
    }
}
