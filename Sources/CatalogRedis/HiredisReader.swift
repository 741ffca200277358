import CHiredis
import NIOCore

/// Owns one hiredis `redisReader` (default reply functions) and turns its `redisReply`
/// trees into ``RESPValue``s.
///
/// Invariants:
/// - Each reply hiredis hands out is converted and then freed with `freeReplyObject`
///   before `next` returns, so no C memory outlives a call.
/// - After the reader reports an error it is never fed again (hiredis's state is undefined
///   then); `next` keeps returning that error.
/// - Not thread-safe: used by exactly one channel handler on its event loop.
final class HiredisReader {
    private let reader: UnsafeMutablePointer<redisReader>
    private(set) var failure: RedisError?

    init() {
        guard let reader = redisReaderCreate() else {
            fatalError("hiredis: redisReaderCreate failed (out of memory)")
        }
        self.reader = reader
    }

    deinit {
        redisReaderFree(reader)
    }

    /// Appends bytes read from the socket to the reader's buffer.
    func feed(_ bytes: UnsafeRawBufferPointer) -> RedisError? {
        if let failure { return failure }
        guard bytes.count > 0 else { return nil }
        if redisReaderFeed(reader, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count) != REDIS_OK {
            return fail()
        }
        return nil
    }

    /// The next complete reply, `nil` when more bytes are needed.
    func next(allocator: ByteBufferAllocator) -> Result<RESPValue?, RedisError> {
        if let failure { return .failure(failure) }
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &raw) == REDIS_OK else { return .failure(fail()) }
        guard let raw else { return .success(nil) }
        defer { freeReplyObject(raw) }
        return .success(Self.convert(raw.assumingMemoryBound(to: redisReply.self), allocator: allocator))
    }

    private func fail() -> RedisError {
        let message = withUnsafeBytes(of: &reader.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let error = RedisError.protocolError(message.isEmpty ? "hiredis reader error \(reader.pointee.err)" : message)
        failure = error
        return error
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>, allocator: ByteBufferAllocator) -> RESPValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .bulkString(allocator.buffer(bytes: UnsafeRawBufferPointer(start: r.str, count: r.len)))
        case REDIS_REPLY_STATUS:
            return .simpleString(text(r))
        case REDIS_REPLY_ERROR:
            return .error(text(r))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(r.integer))
        case REDIS_REPLY_NIL:
            return .bulkString(nil)
        case REDIS_REPLY_ARRAY:
            var values: [RESPValue] = []
            values.reserveCapacity(r.elements)
            for index in 0..<r.elements {
                values.append(convert(r.element[index]!, allocator: allocator))
            }
            return .array(values)
        default:
            return .error("unknown hiredis reply type \(r.type)")
        }
    }

    private static func text(_ r: redisReply) -> String {
        String(decoding: UnsafeRawBufferPointer(start: r.str, count: r.len), as: UTF8.self)
    }
}
