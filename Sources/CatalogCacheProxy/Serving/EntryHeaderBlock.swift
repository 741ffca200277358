import CatalogCacheCore
import NIOCore

/// The header lines of a response made from a stored entry, written straight into a buffer:
/// no `HTTPHeaders`, no strings per value, no second pass in `ResponseSerializer`.
///
/// Invariants: the block holds exactly the fields `EntryRepresentation.response` sends for
/// the same entry, route, encoding, outcome and `Cache-Status` when it answers with the entry's status,
/// except `Age` (written by the serializer after the block); `Content-Length` is the length
/// given. Every value that comes from the entry or the route (which Redis or the config could
/// hold anything in) passes `ResponseSerializer`'s value check, extra header names its token
/// check; when one does not, no block is made (the general path then refuses the response).
enum EntryHeaderBlock {
    static func make(meta: EntryMetadata, route: CompiledRoute, encoding: ContentEncoding, contentLength: Int, outcome: CacheOutcome, cacheStatus: String) -> ByteBuffer? {
        guard ResponseSerializer.isFieldValue(meta.etag), ResponseSerializer.isFieldValue(cacheStatus), ResponseSerializer.isFieldValue(route.cacheControl),
              ResponseSerializer.isFieldValue(route.vary), ResponseSerializer.isFieldValue(meta.contentType),
              meta.tags.allSatisfy(ResponseSerializer.isFieldValue),
              meta.extraHeaders.allSatisfy({ ResponseSerializer.isToken($0.name) && ResponseSerializer.isFieldValue($0.value) })
        else { return nil }
        var out = ByteBuffer()
        out.reserveCapacity(200 + meta.etag.utf8.count + route.cacheControl.utf8.count + meta.contentType.utf8.count)
        out.writeStaticString("ETag: \"")
        out.writeString(meta.etag)
        out.writeStaticString(encoding == .gzip ? "-gzip\"\r\nCache-Control: " : "\"\r\nCache-Control: ")
        out.writeString(route.cacheControl)
        out.writeStaticString("\r\nVary: ")
        out.writeString(route.vary)
        out.writeStaticString("\r\nX-Cache: ")
        out.writeString(outcome.xCacheValue)
        out.writeStaticString("\r\nCache-Status: ")
        out.writeString(cacheStatus)
        if let first = meta.tags.first {
            out.writeStaticString("\r\nSurrogate-Key: ")
            out.writeString(first)
            for tag in meta.tags.dropFirst() {
                out.writeStaticString(" ")
                out.writeString(tag)
            }
        }
        out.writeStaticString("\r\nContent-Type: ")
        out.writeString(meta.contentType)
        out.writeStaticString("\r\nContent-Length: ")
        ResponseSerializer.writeDecimal(contentLength, into: &out)
        if encoding == .gzip { out.writeStaticString("\r\nContent-Encoding: gzip") }
        out.writeStaticString("\r\n")
        for field in meta.extraHeaders {
            out.writeString(field.name)
            out.writeStaticString(": ")
            out.writeString(field.value)
            out.writeStaticString("\r\n")
        }
        return out
    }
}
