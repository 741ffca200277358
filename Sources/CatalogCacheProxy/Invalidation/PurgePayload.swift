import CatalogHTTP

/// Builds `{"keys": [...], "tags": [...]}` payloads for `catalog-cache purge`, split so that
/// each stays under PostgreSQL's 8000-byte NOTIFY limit.
public enum PurgePayload {
    public static let maxBytes = 7000

    public static func make(keys: [String], tags: [String]) -> [String] {
        var payloads: [String] = []
        var currentKeys: [String] = []
        var currentTags: [String] = []
        var size = 24
        func flush() {
            guard !currentKeys.isEmpty || !currentTags.isEmpty else { return }
            let k = currentKeys.map(HTTPServerJSON.quote).joined(separator: ",")
            let t = currentTags.map(HTTPServerJSON.quote).joined(separator: ",")
            payloads.append("{\"keys\":[\(k)],\"tags\":[\(t)]}")
            currentKeys = []
            currentTags = []
            size = 24
        }
        for (item, isKey) in keys.map({ ($0, true) }) + tags.map({ ($0, false) }) {
            let cost = HTTPServerJSON.quote(item).utf8.count + 1
            if size + cost > maxBytes { flush() }
            if isKey { currentKeys.append(item) } else { currentTags.append(item) }
            size += cost
        }
        flush()
        return payloads
    }
}
