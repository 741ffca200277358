import CatalogCacheCore
import Testing

@Suite struct PurgeProviderTests {
    @Test func varnishPurgesByXkeyHeader() {
        let request = PurgeProvider(kind: .varnish).request(for: ["products", "product:1"])
        #expect(request == PurgeRequest(method: "PURGE", path: "/", headers: [HeaderField(name: "xkey", value: "products product:1")], body: nil))
        let soft = PurgeProvider(kind: .varnish, basePath: "/edge", soft: true).request(for: ["a"])
        #expect(soft.path == "/edge/")
        #expect(soft.headers == [HeaderField(name: "xkey-softpurge", value: "a")])
    }

    @Test func plainHTTPPurgesWithTheConfiguredHeader() {
        let request = PurgeProvider(kind: .http, basePath: "/purge", tagHeader: "Cache-Tags").request(for: ["a", "b"])
        #expect(request == PurgeRequest(method: "PURGE", path: "/purge", headers: [HeaderField(name: "Cache-Tags", value: "a b")], body: nil))
        #expect(PurgeProvider(kind: .http).request(for: ["a"]).path == "/")
    }

    /// Fastly's "Purge multiple surrogate key tags": POST /service/{service_id}/purge with the
    /// keys space-separated in Surrogate-Key, the API token in Fastly-Key.
    @Test func fastlyBatchPurgeBySurrogateKey() {
        let hard = PurgeProvider(kind: .fastly, scope: "SU1Z0isxPaozGVKXdv0eY", token: "tok").request(for: ["products", "product:1"])
        #expect(hard.method == "POST")
        #expect(hard.path == "/service/SU1Z0isxPaozGVKXdv0eY/purge")
        #expect(hard.headers == [
            HeaderField(name: "Fastly-Key", value: "tok"),
            HeaderField(name: "Surrogate-Key", value: "products product:1"),
            HeaderField(name: "Accept", value: "application/json"),
        ])
        #expect(hard.body == nil)
        let soft = PurgeProvider(kind: .fastly, scope: "svc", token: "tok", soft: true).request(for: ["a"])
        #expect(soft.headers.last == HeaderField(name: "Fastly-Soft-Purge", value: "1"))
        #expect(PurgeProviderKind.fastly.defaultMaxTagsPerRequest == 256)
    }

    /// Cloudflare's "Purge Cached Content by Tag": POST /zones/{zone_id}/purge_cache under the
    /// API base, bearer token, JSON body {"tags": [...]}; 30 tags a call.
    @Test func cloudflarePurgeByCacheTag() {
        let request = PurgeProvider(kind: .cloudflare, basePath: "/client/v4", scope: "023e105f4ecef8ad9ca31a8372d0c353", token: "cf").request(for: ["products", "product:1"])
        #expect(request.method == "POST")
        #expect(request.path == "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache")
        #expect(request.headers == [HeaderField(name: "Authorization", value: "Bearer cf"), HeaderField(name: "Content-Type", value: "application/json")])
        #expect(request.body == Array(#"{"tags":["products","product:1"]}"#.utf8))
        #expect(PurgeProviderKind.cloudflare.defaultMaxTagsPerRequest == 30)
    }

    @Test func answersAreReadAsAcknowledgedRetryableOrRefused() {
        let varnish = PurgeProvider(kind: .varnish)
        #expect(varnish.outcome(status: 200, body: []) == .acknowledged)
        #expect(varnish.outcome(status: 204, body: []) == .acknowledged)
        for status in [408, 429, 500, 502, 503] { #expect(varnish.outcome(status: status, body: []) == .failed) }
        for status in [400, 401, 403, 404, 405] { #expect(varnish.outcome(status: status, body: []) == .refused) }
        let cloudflare = PurgeProvider(kind: .cloudflare)
        #expect(cloudflare.outcome(status: 200, body: Array(#"{"success":true,"errors":[],"messages":[],"result":{"id":"x"}}"#.utf8)) == .acknowledged)
        #expect(cloudflare.outcome(status: 200, body: Array(#"{"success":false,"errors":[{"code":1}]}"#.utf8)) == .failed)
        #expect(cloudflare.outcome(status: 200, body: Array("not json".utf8)) == .failed)
    }
}
