/// The kinds of edge a purge target can be, each with its provider's purge API.
public enum PurgeProviderKind: String, Sendable, Equatable, CaseIterable {
    /// Varnish with vmod_xkey: `PURGE /` with the tags in an `xkey` header
    /// (`xkey-softpurge` when soft), as `config/examples/varnish-edge.vcl` expects.
    case varnish
    /// Any cache taking `PURGE <path>` with the tags, space-separated, in a header
    /// (default `Surrogate-Key`).
    case http
    /// Fastly's batch surrogate-key purge: `POST /service/{service_id}/purge`, `Fastly-Key`,
    /// keys in `Surrogate-Key` (space-separated, at most 256), `Fastly-Soft-Purge: 1` when soft.
    case fastly
    /// Cloudflare's purge by cache tag: `POST /zones/{zone_id}/purge_cache` under the API
    /// base (`https://api.cloudflare.com/client/v4`), `Authorization: Bearer`, JSON body
    /// `{"tags": [...]}` (at most 30 tags a call). Answers `{"success": true, ...}`.
    case cloudflare

    /// The provider's documented limit of tags in one request.
    public var defaultMaxTagsPerRequest: Int {
        switch self {
        case .varnish, .http: 256
        case .fastly: 256
        case .cloudflare: 30
        }
    }
}

/// A purge request as values: what the shell writes to the target's endpoint.
public struct PurgeRequest: Sendable, Equatable {
    public var method: String
    /// Origin-form target, the endpoint's base path included.
    public var path: String
    public var headers: [HeaderField]
    public var body: [UInt8]?

    public init(method: String, path: String, headers: [HeaderField], body: [UInt8]?) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}

/// How to purge tags at one target, and how to read its answer. Pure.
///
/// Invariant: `tags` handed to `request(for:)` pass `PurgeScheduler.isSendable` (the
/// scheduler never lets another through), so they can go in a header or a JSON string as is.
public struct PurgeProvider: Sendable, Equatable {
    public let kind: PurgeProviderKind
    /// The path of the target URL ("" or "/..." without a trailing slash).
    public let basePath: String
    /// Fastly's service id or Cloudflare's zone id.
    public let scope: String?
    /// Fastly's API token or Cloudflare's API token.
    public let token: String?
    /// Soft purge: mark stale (Fastly, Varnish xkey) instead of evicting.
    public let soft: Bool
    /// The header carrying the tags of an `http` target.
    public let tagHeader: String

    public init(kind: PurgeProviderKind, basePath: String = "", scope: String? = nil, token: String? = nil, soft: Bool = false, tagHeader: String = "Surrogate-Key") {
        self.kind = kind
        self.basePath = basePath
        self.scope = scope
        self.token = token
        self.soft = soft
        self.tagHeader = tagHeader
    }

    public func request(for tags: [String]) -> PurgeRequest {
        let joined = tags.joined(separator: " ")
        switch kind {
        case .varnish:
            return PurgeRequest(method: "PURGE", path: basePath + "/", headers: [HeaderField(name: soft ? "xkey-softpurge" : "xkey", value: joined)], body: nil)
        case .http:
            return PurgeRequest(method: "PURGE", path: basePath.isEmpty ? "/" : basePath, headers: [HeaderField(name: tagHeader, value: joined)], body: nil)
        case .fastly:
            var headers = [
                HeaderField(name: "Fastly-Key", value: token ?? ""),
                HeaderField(name: "Surrogate-Key", value: joined),
                HeaderField(name: "Accept", value: "application/json"),
            ]
            if soft { headers.append(HeaderField(name: "Fastly-Soft-Purge", value: "1")) }
            return PurgeRequest(method: "POST", path: "\(basePath)/service/\(scope ?? "")/purge", headers: headers, body: nil)
        case .cloudflare:
            let body = "{\"tags\":[" + tags.map { "\"\($0)\"" }.joined(separator: ",") + "]}"
            return PurgeRequest(method: "POST", path: "\(basePath)/zones/\(scope ?? "")/purge_cache", headers: [
                HeaderField(name: "Authorization", value: "Bearer \(token ?? "")"),
                HeaderField(name: "Content-Type", value: "application/json"),
            ], body: Array(body.utf8))
        }
    }

    /// The target's answer read as an outcome: 2xx acknowledged (for Cloudflare only with
    /// `"success": true` in the body), 408, 425, 429 and 5xx worth a retry, any other status
    /// refused.
    public func outcome(status: Int, body: [UInt8]) -> PurgeScheduler.Outcome {
        switch status {
        case 200..<300:
            guard kind == .cloudflare else { return .acknowledged }
            guard case .object(let fields)? = try? StrictJSONParser.parse(body) else { return .failed }
            if case .bool(true)? = fields.first(where: { $0.key == "success" })?.value { return .acknowledged }
            return .failed
        case 408, 425, 429, 500..<600: return .failed
        default: return .refused
        }
    }
}
