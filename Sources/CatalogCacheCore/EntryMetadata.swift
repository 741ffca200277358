/// Everything the proxy needs to serve a stored response besides its body.
///
/// Invariants kept by the proxy when it stores an entry (and checked by
/// `EntryEnvelope.decodeMetadata` when reading one back): `status` within 100...999,
/// `ttl`, `staleWhileRevalidate`, `staleIfError` and `identityLength` non-negative, and for an
/// identity-encoded body `identityLength` equals the stored body's length.
public struct EntryMetadata: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    /// The strong validator base without quotes: `EntryMetadata.etag(forIdentityBody:)` of the
    /// uncompressed body (32 lowercase hex characters).
    public var etag: String
    /// When the entry was fetched from the upstream, in milliseconds since the Unix epoch.
    public var storedAt: Int64
    /// Seconds the entry is fresh.
    public var ttl: Int
    public var staleWhileRevalidate: Int
    public var staleIfError: Int
    /// The encoding of the stored body.
    public var encoding: ContentEncoding
    /// Length in bytes of the uncompressed body.
    public var identityLength: Int
    /// Resolved tags, e.g. `product:prod_1`.
    public var tags: [String]
    /// Upstream response headers worth replaying, in order. For an origin-controlled entry:
    /// every stored response header (`StoredHeaders.forStorage`).
    public var extraHeaders: [HeaderField]
    /// What the entry is: a configured route's response (format version 1), or for an
    /// origin-controlled route (RFC 9111) a stored response or a Vary index (version 2).
    public var kind: EntryKind
    /// Origin-controlled entries: `corrected_initial_age` (RFC 9111 §4.2.3) in milliseconds;
    /// `storedAt` is the response time. 0 for configured entries.
    public var initialAge: Int64
    /// Origin-controlled entries: the `VaryKey.secondaryKey` of the request that filled it
    /// ("" when the response has no Vary). Empty for configured entries.
    public var variantKey: String

    public init(
        status: Int,
        contentType: String,
        etag: String,
        storedAt: Int64,
        ttl: Int,
        staleWhileRevalidate: Int = 0,
        staleIfError: Int = 0,
        encoding: ContentEncoding = .identity,
        identityLength: Int,
        tags: [String] = [],
        extraHeaders: [HeaderField] = [],
        kind: EntryKind = .configured,
        initialAge: Int64 = 0,
        variantKey: String = ""
    ) {
        self.status = status
        self.contentType = contentType
        self.etag = etag
        self.storedAt = storedAt
        self.ttl = ttl
        self.staleWhileRevalidate = staleWhileRevalidate
        self.staleIfError = staleIfError
        self.encoding = encoding
        self.identityLength = identityLength
        self.tags = tags
        self.extraHeaders = extraHeaders
        self.kind = kind
        self.initialAge = initialAge
        self.variantKey = variantKey
    }

    /// The validator base for an uncompressed body: the first 32 hex characters of its SHA-256.
    public static func etag<C: Collection>(forIdentityBody body: C) -> String where C.Element == UInt8 {
        Hex.lowercase(SHA256.hash(body).prefix(16))
    }

    /// The quoted strong `ETag` of one representation: `"<etag>"` for identity and
    /// `"<etag>-gzip"` for gzip. The two differ because their bytes differ (RFC 9110 §8.8.3).
    public func etagValue(for encoding: ContentEncoding) -> String {
        switch encoding {
        case .identity: "\"\(etag)\""
        case .gzip: "\"\(etag)-gzip\""
        }
    }
}

/// The kinds of stored entry (a byte in envelope format version 2).
public enum EntryKind: UInt8, Sendable, Equatable {
    /// A configured route's entry; encoded as format version 1, byte for byte as before.
    case configured = 0
    /// A response stored by an origin-controlled route under RFC 9111 rules.
    case originResponse = 1
    /// The Vary index of an origin-controlled URL: its `Vary` header in `extraHeaders`, no
    /// body; the variants live under the URL's key plus their secondary key.
    case varyIndex = 2
}
