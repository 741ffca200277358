import CatalogTestSupport
import Testing
import CatalogCacheCore

@Suite struct QueryNormalizerTests {
    private func pairs(_ query: String?) -> [String] {
        QueryNormalizer.parameters(query.map { Substring($0) }).map { "\($0.name)|\($0.value)" }
    }

    @Test func parsing() {
        #expect(pairs(nil) == [])
        #expect(pairs("") == [])
        #expect(pairs("a=1&b=2") == ["a|1", "b|2"])
        #expect(pairs("a=1&&b=2&") == ["a|1", "b|2"])
        #expect(pairs("a") == ["a|"])
        #expect(pairs("a=") == ["a|"])
        #expect(pairs("=1") == ["|1"])
        #expect(pairs("a=b=c") == ["a|b=c"])
        #expect(pairs("q=hello+world") == ["q|hello world"])
        #expect(pairs("q=%2B&r=+") == ["q|+", "r| "])
        #expect(pairs("q=caf%C3%A9") == ["q|café"])
        #expect(pairs("fields=%2Bvariants%2Cid") == ["fields|+variants,id"])
        #expect(pairs("id%5B%5D=1&id%5B%5D=2") == ["id[]|1", "id[]|2"])
        // Components that do not decode cleanly are kept as written (plus still means space).
        #expect(pairs("q=%zz") == ["q|%zz"])
        #expect(pairs("q=%FF") == ["q|%FF"])
        #expect(pairs("q=a+%zz") == ["q|a %zz"])
        #expect(pairs("q=%4") == ["q|%4"])
    }

    private func canonical(_ query: String?) -> String {
        QueryNormalizer.canonical(query: query.map { Substring($0) })
    }

    @Test(arguments: [
        (nil, ""),
        ("", ""),
        ("a=1&b=2", "a=1&b=2"),
        ("b=2&a=1", "a=1&b=2"),
        ("a=%31&b=2", "a=1&b=2"),
        ("a=1&&b=2", "a=1&b=2"),
        ("a", "a="),
        ("q=hello+world", "q=hello%20world"),
        ("q=hello%20world", "q=hello%20world"),
        ("q=a%2bb", "q=a%2Bb"),
        ("q=%7e", "q=~"),
        ("q=caf%c3%a9", "q=caf%C3%A9"),
        ("q=café", "q=caf%C3%A9"),
        ("id=1&id=2", "id=1&id=2"),
        ("id=2&id=1", "id=2&id=1"),
        ("z=1&id=2&a=0&id=1", "a=0&id=2&id=1&z=1"),
        ("B=1&a=1", "B=1&a=1"),
        ("limit=10&offset=0&fields=*variants", "fields=%2Avariants&limit=10&offset=0"),
    ] as [(String?, String)])
    func canonicalForms(query: String?, expected: String) {
        #expect(canonical(query) == expected)
        #expect(QueryNormalizer.canonical(QueryNormalizer.parameters(query.map { Substring($0) })) == expected)
    }

    @Test func distinctQueriesStayDistinct() {
        let distinct = [
            "a=1&b=2", "a=1%26b%3D2", "a=1&b=3", "a=1", "a=1&b=", "a=12", "a%3D1=", "id=1&id=2", "id=2&id=1",
            "q=a+b", "q=a%2Bb", "q=a%20b%20", "q=%FF", "q=%FE", "q=%25FF", "q=%zz", "q=%25zz", "q=%%41", "q=%A", "q=%25A",
        ]
        let forms = distinct.map { canonical($0) }
        #expect(Set(forms).count == forms.count, "\(forms)")
        // Equal by design: a missing "=" is an empty value, and "+" is a space.
        #expect(canonical("a=1&b") == canonical("a=1&b="))
        #expect(canonical("q=a+b") == canonical("q=a%20b"))
    }

    @Test func malformedComponentsAreMarked() {
        #expect(canonical("q=%zz") == "q=%%%25zz")
        #expect(canonical("q=%FF") == "q=%%%25FF")
        #expect(canonical("%zz=1") == "%%%25zz=1")
    }

    /// Shuffling parameters with distinct names never changes the canonical form, and the
    /// canonical form is a fixed point.
    @Test func orderIndependenceAndIdempotence() {
        var generator = SeededGenerator(seed: 21)
        let names = ["a", "b", "id", "q", "fields", "limit", "x%5B%5D", "%C3%A9", "b+c"]
        let values = ["", "1", "a+b", "%2B", "%26", "%3D", "caf%C3%A9", "~", "*", "x y"]
        for _ in 0..<3_000 {
            let chosen = names.shuffled(using: &generator).prefix(Int.random(in: 0...names.count, using: &generator))
            let parameters = chosen.map { "\($0)=\(generator.element(of: values))" }
            let query = parameters.joined(separator: "&")
            let shuffled = parameters.shuffled(using: &generator).joined(separator: "&")
            let form = canonical(query)
            #expect(form == canonical(shuffled), "\(query) vs \(shuffled)")
            #expect(canonical(form) == form)
        }
    }
}
