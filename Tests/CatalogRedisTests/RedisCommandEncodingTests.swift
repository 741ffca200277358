@testable import CatalogRedis
import NIOCore
import Testing

/// ``RedisCommand`` encoding through hiredis's `redisFormatCommandArgv` (no server needed).
@Suite struct RedisCommandEncodingTests {
    func encoded(_ command: RedisCommand) throws -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        try command.encode(into: &buffer)
        return Array(buffer.readableBytesView)
    }

    @Test func textCommand() throws {
        #expect(try encoded(.get("k")) == Array("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".utf8))
    }

    @Test func binaryAndEmptyArgumentsAreLengthPrefixed() throws {
        let binary: [UInt8] = [0, 13, 10, 255]
        let command = RedisCommand.set("k", value: ByteBuffer(bytes: binary), pxMilliseconds: 1500)
        let expected = Array("*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\n".utf8) + binary
            + Array("\r\n$2\r\nPX\r\n$4\r\n1500\r\n".utf8)
        #expect(try encoded(command) == expected)
        #expect(try encoded(RedisCommand("ECHO", "")) == Array("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n".utf8))
        #expect(try encoded(RedisCommand(arguments: [[UInt8]]([[], []]))) == Array("*2\r\n$0\r\n\r\n$0\r\n\r\n".utf8))
    }

    @Test func argumentsRoundTrip() {
        let command = RedisCommand.eval("return 1", keys: ["a", "b"], args: [ByteBuffer(bytes: [1, 2])])
        #expect(command.arguments == [Array("EVAL".utf8), Array("return 1".utf8), Array("2".utf8), [97], [98], [1, 2]])
        #expect(command.count == 6)
    }
}
