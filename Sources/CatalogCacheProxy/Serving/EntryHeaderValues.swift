import CatalogCacheCore

/// The header values of an entry's responses that depend on the entry alone, made once.
///
/// The hot tier keeps them with its entries so a hit builds no strings for them (the ETag,
/// `Surrogate-Key` and `Content-Length` values were an allocation each per hit); a response
/// from an entry read from Redis makes only the ones it sends.
struct EntryHeaderValues: Sendable {
    /// `ETag` of the stored representation and of the identity one (equal when stored identity).
    let storedETag: String
    let identityETag: String
    let storedLength: Int
    let identityLength: Int
    let storedContentLength: String
    let identityContentLength: String
    /// The entry's tags joined by spaces; nil when it has none.
    let surrogateKey: String?
    /// Whole header blocks of a fresh hit on the route the entry was inserted for (hot-tier
    /// entries only; nil when no route was given or a field cannot be sent as is).
    private(set) var preparedHit: PreparedHitHeaders?

    /// `route`: the route the entry serves, to prepare its hits' header blocks.
    init(meta: EntryMetadata, storedLength: Int, route: CompiledRoute? = nil) {
        storedETag = meta.etagValue(for: meta.encoding)
        identityETag = meta.encoding == .identity ? storedETag : meta.etagValue(for: .identity)
        self.storedLength = storedLength
        identityLength = meta.encoding == .identity ? storedLength : meta.identityLength
        storedContentLength = String(storedLength)
        identityContentLength = meta.encoding == .identity ? storedContentLength : String(identityLength)
        surrogateKey = Self.surrogateKey(meta.tags)
        preparedHit = route.flatMap { PreparedHitHeaders(meta: meta, values: self, route: $0) }
    }

    /// `Surrogate-Key`: the tags joined by spaces; nil for none.
    static func surrogateKey(_ tags: [String]) -> String? {
        tags.isEmpty ? nil : tags.joined(separator: " ")
    }

    func eTag(for encoding: ContentEncoding, of meta: EntryMetadata) -> String {
        encoding == meta.encoding ? storedETag : identityETag
    }

    /// `Content-Length` for a body of `length` bytes: a made value when it is one of the
    /// entry's two lengths, else made now (always equal to `length`).
    func contentLength(_ length: Int) -> String {
        if length == storedLength { return storedContentLength }
        if length == identityLength { return identityContentLength }
        return String(length)
    }
}
