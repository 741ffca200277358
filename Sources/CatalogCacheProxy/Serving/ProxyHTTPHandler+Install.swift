import CatalogCacheCore
import NIOCore
import NIOHTTP1

extension ProxyHTTPHandler {
    /// Installs a proxy connection's handlers behind `deadlines` (when given, already added).
    /// Plain requests (`PlainRequestHandler`) skip NIO's decoder; the rest go through it.
    static func install(on pipeline: ChannelPipeline.SynchronousOperations, engine: CacheEngine, maxBodyBytes: Int, deadlines: ConnectionDeadlineHandler?, router: RequestRouter? = nil, adminEvents: AdminEventStreams? = nil) throws {
        let proxy = ProxyHTTPHandler(engine: engine, maxBodyBytes: maxBodyBytes, deadlines: deadlines, router: router)
        proxy.adminEvents = adminEvents
        let limits = engine.configuration.requestHeadLimits
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = limits.maxFieldLineBytes
        decoderLimits.maxHeaderListSize = limits.maxHeadBytes
        try pipeline.addHandler(PlainRequestHandler(proxy: proxy))
        let decoder = HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop, limitConfiguration: decoderLimits)
        try pipeline.addHandler(ByteToMessageHandler(decoder, maximumBufferSize: maxDecoderBufferBytes(limits)))
        try pipeline.addHandler(proxy)
    }

    /// Bytes NIO's decoder may hold unparsed: a whole head and one more read. The decoder keeps
    /// what follows a request it stops parsing after (an upgrade) until removed; past this
    /// bound the connection is answered 431 and closed instead of buffering.
    static func maxDecoderBufferBytes(_ limits: RequestHeadLimits) -> Int {
        limits.maxHeadBytes + 64 * 1024
    }
}
