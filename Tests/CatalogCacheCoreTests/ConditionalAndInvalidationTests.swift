import Testing
import CatalogCacheCore

@Suite struct ConditionalAndInvalidationTests {
    static let lm = "Sun, 06 Nov 1994 08:49:37 GMT"

    @Test func clientConditionals() {
        #expect(ConditionalRequest.notModified(ifNoneMatch: "\"a\", \"b\"", ifModifiedSince: nil, etag: "\"b\"", lastModified: nil))
        #expect(ConditionalRequest.notModified(ifNoneMatch: "W/\"b\"", ifModifiedSince: nil, etag: "\"b\"", lastModified: nil))
        #expect(!ConditionalRequest.notModified(ifNoneMatch: "\"c\"", ifModifiedSince: Self.lm, etag: "\"b\"", lastModified: Self.lm))
        #expect(ConditionalRequest.notModified(ifNoneMatch: "*", ifModifiedSince: nil, etag: nil, lastModified: nil))
        #expect(ConditionalRequest.notModified(ifNoneMatch: nil, ifModifiedSince: Self.lm, etag: nil, lastModified: Self.lm))
        #expect(ConditionalRequest.notModified(ifNoneMatch: nil, ifModifiedSince: "Mon, 07 Nov 1994 08:49:37 GMT", etag: nil, lastModified: Self.lm))
        #expect(!ConditionalRequest.notModified(ifNoneMatch: nil, ifModifiedSince: "Sat, 05 Nov 1994 08:49:37 GMT", etag: nil, lastModified: Self.lm))
        #expect(!ConditionalRequest.notModified(ifNoneMatch: nil, ifModifiedSince: "garbage", etag: nil, lastModified: Self.lm))
        #expect(!ConditionalRequest.notModified(ifNoneMatch: nil, ifModifiedSince: Self.lm, etag: nil, lastModified: nil))
        #expect(ConditionalRequest.notModified(ifNoneMatch: nil, ifModifiedSince: Self.lm, etag: nil, lastModified: nil, date: Self.lm))
    }

    static let methods: [(String, Int, Bool)] = [
        ("POST", 200, true), ("PUT", 201, true), ("DELETE", 204, true), ("PATCH", 302, true), ("FOO", 200, true),
        ("POST", 404, false), ("POST", 500, false), ("GET", 200, false), ("HEAD", 200, false), ("OPTIONS", 200, false), ("TRACE", 200, false),
    ]

    @Test(arguments: methods) func invalidatingAnswers(_ c: (String, Int, Bool)) {
        #expect(UnsafeMethodInvalidation.invalidates(method: c.0, status: c.1) == c.2)
    }

    static let targets: [(String?, String?, [String])] = [
        (nil, nil, ["/a/b?x=1"]),
        ("/c", "/d?y", ["/a/b?x=1", "/c", "/d?y"]),
        ("http://example.com/e", "https://EXAMPLE.com/f#frag", ["/a/b?x=1", "/e", "/f"]),
        ("http://other.com/e", "//other.com/f", ["/a/b?x=1"]),
        ("sibling", "../up", ["/a/b?x=1", "/a/sibling", "/a/../up"]),
        ("/a/b?x=1", "mailto:x@y", ["/a/b?x=1"]),
        ("http://example.com", nil, ["/a/b?x=1", "/"]),
    ]

    @Test(arguments: targets) func invalidationTargets(_ c: (String?, String?, [String])) {
        #expect(UnsafeMethodInvalidation.targets(requestTarget: "/a/b?x=1", host: "example.com", location: c.0, contentLocation: c.1) == c.2)
    }
}
