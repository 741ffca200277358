@testable import CatalogRedis
import Testing

/// The `+switch-master` payload Sentinel publishes: `<name> <old-ip> <old-port> <new-ip> <new-port>`.
@Suite struct SentinelSwitchMessageTests {
    @Test func theNewPrimaryOfOurMaster() {
        #expect(SwitchMessageHandler.newPrimary(in: "catalog 127.0.0.1 6379 127.0.0.1 6380", masterName: "catalog")
            == RedisAddress(host: "127.0.0.1", port: 6380))
        #expect(SwitchMessageHandler.newPrimary(in: "catalog ::1 6379 ::1 7000", masterName: "catalog")
            == RedisAddress(host: "::1", port: 7000))
    }

    @Test(arguments: [
        "other 127.0.0.1 6379 127.0.0.1 6380",   // another master the sentinels watch
        "catalog 127.0.0.1 6379 127.0.0.1",       // truncated
        "catalog 127.0.0.1 6379 127.0.0.1 x",     // not a port
        "",
    ])
    func anythingElseIsIgnored(_ payload: String) {
        #expect(SwitchMessageHandler.newPrimary(in: payload, masterName: "catalog") == nil)
    }
}
