import Testing
@testable import Datasets

private func templateError(_ text: String) -> String? {
    do {
        _ = try KeyTemplate(text)
        return nil
    } catch let error as DatasetError {
        return error.message
    } catch {
        return "\(error)"
    }
}

@Suite struct KeyTemplateTests {
    @Test func singleField() throws {
        let t = try KeyTemplate("{entity_id}")
        #expect(t.parts == [.field("entity_id")])
        #expect(t.fields == ["entity_id"])
        #expect(t.singleField == "entity_id")
        #expect(t.render { $0 == "entity_id" ? "page-1" : nil } == "page-1")
        #expect(t.render { _ in nil } == nil)
    }

    @Test func literalsAndFields() throws {
        let t = try KeyTemplate("user:{user_id}:{country}")
        #expect(t.parts == [.literal("user:"), .field("user_id"), .literal(":"), .field("country")])
        #expect(t.fields == ["user_id", "country"])
        #expect(t.singleField == nil)
        let row = ["user_id": "42", "country": "DE"]
        #expect(t.render { row[$0] } == "user:42:DE")
        #expect(t.render { $0 == "user_id" ? "42" : nil } == nil)  // a missing field → no key
        #expect(t.render { row[$0] == nil ? nil : "" } == "user::")  // empty values are values
    }

    @Test func escapesAndDetails() throws {
        let t = try KeyTemplate("{{literal}} {a}-{{{b}}}")
        #expect(t.parts == [.literal("{literal} "), .field("a"), .literal("-{"), .field("b"), .literal("}")])
        #expect(t.render { $0.uppercased() } == "{literal} A-{B}")
        #expect(try KeyTemplate("{ spaced }").parts == [.field("spaced")])
        #expect(try KeyTemplate("{a}{a}").fields == ["a"])
        #expect(try KeyTemplate("{user.id}").singleField == "user.id")
        let constant = try KeyTemplate("everything")
        #expect(constant.fields.isEmpty)
        #expect(constant.render { _ in nil } == "everything")
        #expect(try KeyTemplate("x{a}").singleField == nil)
        #expect(try KeyTemplate("{{a}}").singleField == nil)
    }

    @Test func errorsNameColumns() {
        #expect(templateError("user:{user_id") ==
            "key template 'user:{user_id': unclosed '{' (add '}' after the field name, or write '{{' for a literal brace) at column 6")
        #expect(templateError("a{}b") == "key template 'a{}b': empty field name at column 2")
        #expect(templateError("{  }") == "key template '{  }': empty field name at column 1")
        #expect(templateError("a}b") == "key template 'a}b': unmatched '}' (write '}}' for a literal brace) at column 2")
        #expect(templateError("{a{b}") ==
            "key template '{a{b}': unexpected '{' inside the field name started at column 1 at column 3")
        #expect(templateError("") == "key template: the template is empty")
    }
}
