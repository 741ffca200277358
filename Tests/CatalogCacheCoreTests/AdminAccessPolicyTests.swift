import CatalogCacheCore
import Testing

@Suite struct AdminAccessPolicyTests {
    @Test func loopbackNamesAreAllowedByDefault() {
        let policy = AdminAccessPolicy()
        for host in ["localhost:8081", "127.0.0.1:8081", "[::1]:8081", "LOCALHOST", "127.0.0.1"] {
            #expect(policy.decide(hostValues: [host], authorizationValues: []) == .allow, "\(host)")
        }
    }

    @Test func otherHostsAndAmbiguousOnesAreRefused() {
        let policy = AdminAccessPolicy()
        // A DNS-rebinding page: the browser sends the attacker's name.
        #expect(policy.decide(hostValues: ["attacker.example:8081"], authorizationValues: []) == .hostNotAllowed)
        #expect(policy.decide(hostValues: [], authorizationValues: []) == .hostNotAllowed)
        #expect(policy.decide(hostValues: ["localhost", "evil"], authorizationValues: []) == .hostNotAllowed)
        #expect(policy.decide(hostValues: ["localhost.evil.example"], authorizationValues: []) == .hostNotAllowed)
    }

    @Test func aTokenIsRequiredWhenSet() {
        let policy = AdminAccessPolicy(allowedHosts: ["metrics.internal"], token: "s3cret")
        #expect(policy.decide(hostValues: ["metrics.internal:8081"], authorizationValues: ["Bearer s3cret"]) == .allow)
        #expect(policy.decide(hostValues: ["metrics.internal"], authorizationValues: ["bearer s3cret"]) == .allow)
        #expect(policy.decide(hostValues: ["metrics.internal"], authorizationValues: []) == .unauthorized)
        #expect(policy.decide(hostValues: ["metrics.internal"], authorizationValues: ["Bearer s3cre"]) == .unauthorized)
        #expect(policy.decide(hostValues: ["metrics.internal"], authorizationValues: ["Basic czNjcmV0"]) == .unauthorized)
        #expect(policy.decide(hostValues: ["metrics.internal"], authorizationValues: ["Bearer s3cret", "Bearer s3cret"]) == .unauthorized)
        #expect(policy.decide(hostValues: ["localhost"], authorizationValues: ["Bearer s3cret"]) == .hostNotAllowed)
    }

    @Test func loopbackAddressesAreRecognised() {
        #expect(AdminAccessPolicy.isLoopback("127.0.0.1") && AdminAccessPolicy.isLoopback("::1") && AdminAccessPolicy.isLoopback("localhost"))
        #expect(!AdminAccessPolicy.isLoopback("0.0.0.0") && !AdminAccessPolicy.isLoopback("10.0.0.5") && !AdminAccessPolicy.isLoopback("::"))
    }
}
