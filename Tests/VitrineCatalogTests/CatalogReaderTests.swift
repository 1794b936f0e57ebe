import Foundation
import Testing
import VitrineCatalog

/// Reading catalogues: CSV with RFC 4180 quoting, JSON Lines, bad rows.
@Suite("Catalogue reader")
struct CatalogReaderTests {
    static func rows(_ text: String, extension ext: String) throws -> [Result<CatalogRow, RowFailure>] {
        let folder = try TestCatalog.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("catalog.\(ext)")
        try Data(text.utf8).write(to: file)
        let reader = try CatalogReader(path: file.path)
        var rows: [Result<CatalogRow, RowFailure>] = []
        while let row = try reader.next() { rows.append(row) }
        return rows
    }

    @Test("CSV: quoted commas, quotes and line breaks; columns in any order; extra columns ignored")
    func csv() throws {
        let text = "image,name,product_id,extra,description\r\n"
            + "a.jpg,\"Robe, longue\",p1,x,\"Dit \"\"magnifique\"\"\nsur deux lignes\"\r\n"
            + ",Carte cadeau,p2,,\r\n"
        let rows = try Self.rows(text, extension: "csv")
        #expect(rows.count == 2)
        let first = try rows[0].get()
        #expect(first == CatalogRow(row: 2, productID: "p1", name: "Robe, longue",
                                    description: "Dit \"magnifique\"\nsur deux lignes", image: "a.jpg"))
        let second = try rows[1].get()
        #expect(second.image == nil && second.row == 3)
    }

    @Test("CSV: bad rows are failures with their row number; a missing column is a catalogue error")
    func csvFailures() throws {
        let rows = try Self.rows("product_id,name\n,sans id\np2,\np3,a,b\np4,ok\n", extension: "csv")
        let failures = rows.compactMap { if case .failure(let f) = $0 { return f } else { return nil } }
        #expect(failures.map(\.row) == [2, 3, 4])
        #expect(failures.map(\.code) == ["missing_field", "missing_field", "bad_row"])
        #expect(try rows[3].get().productID == "p4")
        let error = #expect(throws: CatalogError.self) { try Self.rows("id,name\n1,a\n", extension: "csv") }
        #expect(error?.code == .badCatalog)
        #expect(error?.message.contains("product_id") == true)
    }

    @Test("JSON Lines: objects per line, JSON metadata kept as JSON text, bad lines reported")
    func jsonLines() throws {
        let text = """
            {"product_id": "p1", "name": "Lampe", "metadata": {"watts": 40, "tags": ["a"]}, "image": "x.png"}

            {"product_id": 42, "name": "Numéro"}
            not json
            {"name": "sans id"}
            """
        let rows = try Self.rows(text, extension: "jsonl")
        #expect(rows.count == 4)
        let first = try rows[0].get()
        #expect(first.metadata == "{\"tags\":[\"a\"],\"watts\":40}")
        #expect(first.image == "x.png" && first.row == 1)
        #expect(try rows[1].get().productID == "42")
        #expect(try rows[1].get().row == 3, "blank lines still count as lines")
        guard case .failure(let bad) = rows[2], case .failure(let missing) = rows[3] else {
            Issue.record("lines 4 and 5 should fail")
            return
        }
        #expect(bad.row == 4 && bad.code == "bad_row")
        #expect(missing.row == 5 && missing.code == "missing_field")
    }

    @Test("the format comes from the content when the extension says nothing")
    func detection() throws {
        #expect(try Self.rows("{\"product_id\": \"a\", \"name\": \"b\"}\n", extension: "txt").count == 1)
        #expect(try Self.rows("product_id,name\na,b\n", extension: "txt").count == 1)
    }

    @Test("the survey counts rows and finds the last row of each repeated id")
    func survey() throws {
        let folder = try TestCatalog.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("c.csv")
        try Data("product_id,name\na,1\nb,2\na,3\nc,4\na,5\n".utf8).write(to: file)
        let survey = try CatalogReader.survey(path: file.path)
        #expect(survey.rows == 5 && survey.repeatedRows == 2 && survey.lastRowOfRepeatedIDs == ["a": 6])
    }
}
