import CatalogCacheCore
import CatalogTestSupport
import Testing

@Suite struct AdminEventHubTests {
    private func hub(subscribers: Int = 10, buffer: Int = 4, replay: Int = 8) -> AdminEventHub {
        AdminEventHub(limits: .init(maxSubscribers: subscribers, subscriberBuffer: buffer, replayEvents: replay), epoch: "e1")
    }

    private func accepted(_ subscription: AdminEventHub.Subscription) -> (UInt64, [AdminEvent], Bool)? {
        if case .accepted(let subscriber, let replay, let reset) = subscription { return (subscriber, replay, reset) }
        return nil
    }

    @Test func rowChangesMapToEventsWithMinimalPayloads() {
        let map = AdminEventMap(names: ["hero_banner": "banner.updated", "order": "order.updated"])
        #expect(map.events(table: "hero_banner", op: .insert, ids: ["hb_1", "hb_2"]).map(\.data) == [#"{"id":"hb_1","action":"created"}"#, #"{"id":"hb_2","action":"created"}"#])
        #expect(map.events(table: "order", op: .update, ids: ["o\"1"]).map(\.name) == ["order.updated"])
        #expect(map.events(table: "order", op: .update, ids: ["o\"1\n"]).map(\.data) == [#"{"id":"o\"1\n","action":"updated"}"#])
        #expect(map.events(table: "hero_banner", op: .delete, ids: ["x"]).map(\.data) == [#"{"id":"x","action":"deleted"}"#])
        #expect(map.events(table: "hero_banner", op: .truncate, ids: []).map(\.data) == [#"{"id":null,"action":"deleted"}"#])
        #expect(map.events(table: "region", op: .update, ids: ["r"]).isEmpty)
        #expect(AdminEventMap.quoted("a\u{1}b") == #""a\u0001b""#)
    }

    @Test func framesFollowTheEventStreamFormat() {
        #expect(EventStreamFormat.frame(id: "e1-3", event: "product.updated", data: #"{"id":"p"}"#) == "id: e1-3\nevent: product.updated\ndata: {\"id\":\"p\"}\n\n")
        #expect(EventStreamFormat.heartbeat.hasPrefix(":"))
    }

    @Test func everySubscriberGetsEachEventWithIncreasingIds() {
        var hub = hub()
        let a = accepted(hub.subscribe(lastEventID: nil))!.0
        let b = accepted(hub.subscribe(lastEventID: nil))!.0
        let (first, deliveries) = hub.publish(name: "banner.updated", data: "{}")
        #expect(deliveries == [.write(subscriber: a), .write(subscriber: b)])
        let (second, _) = hub.publish(name: "banner.updated", data: "{}")
        #expect(hub.id(of: first) == "e1-1")
        #expect(hub.id(of: second) == "e1-2")
        hub.unsubscribe(a)
        #expect(hub.publish(name: "x", data: "{}").1 == [.write(subscriber: b)])
    }

    @Test func subscribersBeyondTheLimitAreRefused() {
        var hub = hub(subscribers: 2)
        _ = hub.subscribe(lastEventID: nil)
        let second = accepted(hub.subscribe(lastEventID: nil))!.0
        #expect(hub.subscribe(lastEventID: nil) == .full)
        hub.unsubscribe(second)
        #expect(accepted(hub.subscribe(lastEventID: nil)) != nil)
    }

    @Test func aSlowSubscriberIsDroppedAndNeverHoldsUpTheOthers() {
        var hub = hub(buffer: 3)
        let slow = accepted(hub.subscribe(lastEventID: nil))!.0
        let fast = accepted(hub.subscribe(lastEventID: nil))!.0
        for _ in 0..<3 {
            let deliveries = hub.publish(name: "e", data: "{}").1
            #expect(deliveries.contains(.write(subscriber: slow)))
            hub.written(fast)
        }
        let deliveries = hub.publish(name: "e", data: "{}").1
        #expect(deliveries == [.drop(subscriber: slow), .write(subscriber: fast)])
        #expect(hub.subscriberCount == 1)
        hub.written(slow)  // a late completion of the dropped one changes nothing
        #expect(hub.subscriberCount == 1)
    }

    @Test func lastEventIDResumesFromTheKeptEventsOrResets() {
        var hub = hub(buffer: 4, replay: 5)
        var ids: [String] = []
        for n in 1...7 { ids.append(hub.id(of: hub.publish(name: "e\(n)", data: "{}").0)) }
        // Kept: 3...7. After 5: 6 and 7.
        let resumed = accepted(hub.subscribe(lastEventID: ids[4]))!
        #expect(resumed.1.map(\.name) == ["e6", "e7"])
        #expect(!resumed.2)
        // Up to date: nothing to replay.
        #expect(accepted(hub.subscribe(lastEventID: ids[6]))!.1.isEmpty)
        // After 2: 3...7 all kept, but five is more than the subscriber's buffer of four.
        #expect(accepted(hub.subscribe(lastEventID: ids[1]))!.2)
        // After 3: 4...7, four events, kept and within the buffer.
        #expect(accepted(hub.subscribe(lastEventID: ids[2]))!.1.map(\.name) == ["e4", "e5", "e6", "e7"])
        // Gone (event 2 was discarded: after 1 needs 2), another epoch, the future, garbage.
        for id in [ids[0], "e0-7", "e1-99", "nonsense", ""] {
            let subscription = accepted(hub.subscribe(lastEventID: id))!
            #expect(subscription.2, "\(id) should reset")
            #expect(subscription.1.isEmpty)
        }
        #expect(hub.resetID == "e1-7")
    }

    @Test func eventsNoLongerKeptResetEvenWhenTheSubscriberBufferWouldHoldThem() {
        var hub = hub(buffer: 10, replay: 3)
        var ids: [String] = []
        for n in 1...7 { ids.append(hub.id(of: hub.publish(name: "e\(n)", data: "{}").0)) }
        // Kept: 5, 6, 7. After 2 the client missed 3 and 4 too: reset, not a partial replay.
        let fromTwo = accepted(hub.subscribe(lastEventID: ids[1]))!
        #expect(fromTwo.2)
        #expect(fromTwo.1.isEmpty)
        #expect(accepted(hub.subscribe(lastEventID: ids[3]))!.1.map(\.name) == ["e5", "e6", "e7"])
    }

    @Test func keptEventsStayBoundedOverAVeryLongRun() {
        var hub = hub(subscribers: 1, buffer: 1, replay: 3)
        for n in 1...5000 { _ = hub.publish(name: "e\(n)", data: "{}") }
        let replay = accepted(hub.subscribe(lastEventID: "e1-4999"))!.1
        #expect(replay.map(\.name) == ["e5000"])
        #expect(accepted(hub.subscribe(lastEventID: "e1-4996")) == nil)  // one subscriber at most
    }

    /// Random publishes, completions, joins and leaves: every subscriber's lag stays within
    /// its buffer (plus what it was replayed), no one is written to after being dropped, and
    /// resuming from any id yields exactly the events after it or a reset.
    @Test(arguments: [UInt64(11), 12, 13, 14])
    func randomRunsKeepTheInvariants(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var hub = AdminEventHub(limits: .init(maxSubscribers: 5, subscriberBuffer: 4, replayEvents: 6), epoch: "x")
        var lag: [UInt64: Int] = [:]
        var published: [AdminEvent] = []
        for _ in 0..<2000 {
            switch Int.random(in: 0...9, using: &random) {
            case 0...3:
                let (event, deliveries) = hub.publish(name: "e", data: "{}")
                published.append(event)
                for delivery in deliveries {
                    switch delivery {
                    case .write(let s):
                        #expect(lag[s] != nil, "a write to a subscriber that is gone")
                        lag[s, default: 0] += 1
                        #expect(lag[s]! <= 4)
                    case .drop(let s):
                        #expect(lag[s]! >= 4)
                        lag[s] = nil
                    }
                }
            case 4...6:
                if let s = lag.keys.randomElement(using: &random), lag[s]! > 0 {
                    hub.written(s)
                    lag[s]! -= 1
                }
            case 7:
                let from = published.isEmpty ? nil : Int.random(in: 0..<published.count, using: &random)
                let subscription = hub.subscribe(lastEventID: from.map { hub.id(of: published[$0]) })
                if case .accepted(let s, let replay, let reset) = subscription {
                    lag[s] = replay.count + (reset ? 1 : 0)
                    if let from, !reset { #expect(replay == Array(published[(from + 1)...])) }
                    // Six kept, a buffer of four: a reset exactly when more than four were missed.
                    if reset, let from { #expect(published.count - from - 1 > 4) }
                } else {
                    #expect(lag.count == 5)
                }
            default:
                if let s = lag.keys.randomElement(using: &random) {
                    hub.unsubscribe(s)
                    lag[s] = nil
                }
            }
            #expect(hub.subscriberCount == lag.count)
        }
    }
}
