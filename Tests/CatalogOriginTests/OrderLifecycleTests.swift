import CatalogOrigin
import Testing

@Suite("Order lifecycle state machine")
struct OrderLifecycleTests {
    static let allowed: Set<String> = [
        "pending>processing", "pending>cancelled", "processing>shipped", "processing>cancelled", "shipped>delivered",
    ]

    @Test("every pair of statuses: exactly the five documented moves are allowed", arguments: OrderStatus.allCases)
    func everyPair(from: OrderStatus) throws {
        for to in OrderStatus.allCases {
            var lifecycle = OrderLifecycle(status: from)
            let key = "\(from.rawValue)>\(to.rawValue)"
            if Self.allowed.contains(key) {
                let effects = try lifecycle.move(to: to)
                #expect(lifecycle.status == to)
                #expect(effects.contains(.emitUpdated(from: from, to: to)), "\(key)")
                #expect(effects.contains(.restoreStock) == (to == .cancelled), "\(key)")
            } else {
                #expect(throws: InvalidStatusTransition(from: from, to: to)) { try lifecycle.move(to: to) }
                #expect(lifecycle.status == from, "a refused move leaves the status as it was")
            }
        }
    }

    @Test("the happy path and the refusal message naming both states")
    func happyPath() throws {
        var lifecycle = OrderLifecycle(status: .pending)
        for next in [OrderStatus.processing, .shipped, .delivered] { _ = try lifecycle.move(to: next) }
        #expect(lifecycle.status == .delivered)
        #expect(OrderStatus.delivered.next.isEmpty && OrderStatus.cancelled.next.isEmpty)
        #expect(InvalidStatusTransition(from: .delivered, to: .pending).message == "Invalid status transition from delivered to pending")
    }
}
