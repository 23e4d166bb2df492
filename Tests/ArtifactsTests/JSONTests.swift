import Artifacts
import Testing

@Suite("JSON")
struct JSONTests {
    @Test("canonical form sorts keys byte-wise and drops whitespace")
    func canonical() throws {
        let value = try JSON.parse(#"{ "b": [1, 2.5, true, null], "a": {"z": "x\ny", "B": -0.0001}, "é": 1e-5 }"#)
        #expect(value.canonical == #"{"a":{"B":-0.0001,"z":"x\ny"},"b":[1,2.5,true,null],"é":1e-5}"#)
    }

    @Test("numbers print in their shortest round-trip form", arguments: [
        (1e-5, "1e-5"), (1e-4, "0.0001"), (0.1, "0.1"), (3.0, "3.0"), (1e21, "1e21"), (-2.5e-10, "-2.5e-10"), (5e-324, "5e-324"),
    ])
    func numbers(value: Double, text: String) throws {
        #expect(JSON.double(value).canonical == text)
        #expect(try JSON.parse(text) == .double(value))
    }

    @Test("integers and floats stay apart; equality ignores member order")
    func kinds() throws {
        #expect(try JSON.parse("1") == .int(1))
        #expect(try JSON.parse("1.0") == .double(1))
        #expect(try JSON.parse(#"{"a":1,"b":2}"#) == JSON.parse(#"{"b":2,"a":1}"#))
        #expect(try JSON.parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    @Test("pretty form round-trips")
    func pretty() throws {
        let value = try JSON.parse(#"{"stages":{"x":{"params":{"lr":0.001}}},"profile":"default"}"#)
        #expect(value.pretty == "{\n  \"profile\": \"default\",\n  \"stages\": {\n    \"x\": {\n      \"params\": {\n        \"lr\": 0.001\n      }\n    }\n  }\n}\n")
        #expect(try JSON.parse(value.pretty) == value)
    }

    @Test("syntax errors give line and column", arguments: [
        ("{\n  \"a\": 1,\n  \"b\" 2\n}", 3, 7, "expected ':' after member name, found '2'"),
        ("{\"a\": 1,}", 1, 9, "expected a quoted member name, found '}'"),
        ("[1, 2", 1, 6, "unexpected end of file; expected ',' or ']'"),
        ("{\"a\": 01}", 1, 7, "leading zeros are not allowed in numbers"),
        ("{\"a\": 1, \"a\": 2}", 1, 10, "duplicate member \"a\""),
        ("", 1, 1, "the file is empty; expected a JSON value"),
    ])
    func syntaxErrors(text: String, line: Int, column: Int, reason: String) {
        #expect(throws: JSONSyntaxError(line: line, column: column, reason: reason)) { try JSON.parse(text) }
    }
}
