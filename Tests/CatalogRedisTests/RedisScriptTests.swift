@testable import CatalogRedis
import NIOCore
import Testing

/// Scripts are named by SHA-1 and sent by `EVALSHA`, with `EVAL` only after `NOSCRIPT`.
@Suite struct RedisScriptTests {
    @Test(arguments: [
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        (String(repeating: "a", count: 1000), "291e9a6c66994949b57ba5e650361e98fc36b1ba"),
    ])
    func sha1Vectors(_ input: String, _ expected: String) {
        #expect(SHA1.hex(Array(input.utf8)) == expected)
    }

    @Test(.enabled(if: RedisTestEnvironment.enabled))
    func theServerNamesTheScriptAsWeDo_andNOSCRIPTFallsBackToEVAL() async throws {
        let client = RedisClient(configuration: try RedisTestEnvironment.configuration(), group: RedisTestEnvironment.group)
        let loop = RedisTestEnvironment.group.any()
        let script = RedisScript("return {KEYS[1], ARGV[1], '\(RedisTestEnvironment.uniqueKey())'}")
        let loaded = try await client.send(RedisCommand("SCRIPT", "LOAD", script.source), on: loop).get()
        #expect(loaded.string == script.sha1)

        // Unknown to the server: EVALSHA answers NOSCRIPT, run() sends the text once.
        let unseen = RedisScript("return '\(RedisTestEnvironment.uniqueKey())'")
        let evalsha = await failure(of: client.send(.evalsha(unseen.sha1), on: loop))
        #expect((evalsha as? RedisError).map { "\($0)" }?.contains("NOSCRIPT") == true)
        let first = try await client.run(unseen, on: loop).get()
        #expect(first.string?.hasPrefix("catalog-redis-test:") == true)
        // Now cached by the server: EVALSHA alone answers.
        #expect(try await client.send(.evalsha(unseen.sha1), on: loop).get() == first)

        let reply = try await client.run(script, keys: ["k"], args: [ByteBuffer(string: "v")], on: loop).get()
        #expect(reply.array?.prefix(2).map(\.string) == ["k", "v"])
        await client.shutdown()
    }
}
