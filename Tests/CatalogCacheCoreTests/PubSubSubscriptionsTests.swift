import Testing

@testable import CatalogCacheCore

/// The shared subscriber's bookkeeping: one SUBSCRIBE per channel, a listener live only
/// after the reply to the SUBSCRIBE sent after it asked, and a wake for every listener when
/// the connection is remade (messages sent meanwhile were lost).
@Suite struct PubSubSubscriptionsTests {
    typealias Subscriptions = PubSubSubscriptions<Int>

    func connected() -> Subscriptions {
        var s = Subscriptions()
        #expect(s.connectionUp() == [])
        return s
    }

    @Test func oneSubscribePerChannelAndLiveOnlyAfterItsReply() {
        var s = connected()
        #expect(s.add(1, to: "a") == [.subscribe(["a"])])
        #expect(s.add(2, to: "a") == [])
        #expect(s.subscribeConfirmed("a") == [.live(1, true), .live(2, true)])
        #expect(s.add(3, to: "a") == [.live(3, true)])
        guard case .wake(let woken) = s.message("a").first else { Issue.record("no wake"); return }
        #expect(Set(woken) == [1, 2, 3])
        #expect(s.message("b") == [])
    }

    @Test func theLastListenerLeavingUnsubscribes() {
        var s = connected()
        _ = s.add(1, to: "a")
        _ = s.add(2, to: "a")
        _ = s.subscribeConfirmed("a")
        #expect(s.remove(1, from: "a") == [])
        #expect(s.remove(2, from: "a") == [.unsubscribe(["a"])])
        #expect(s.remove(2, from: "a") == [])
        #expect(s.message("a") == [])
        #expect(s.channelCount == 0)
    }

    /// Subscribed, left, asked for again before the first reply: the first reply is for a
    /// subscription the UNSUBSCRIBE behind it undoes, so only the second makes it live.
    @Test func aListenerIsLiveOnlyAfterTheReplyToItsOwnSubscribe() {
        var s = connected()
        _ = s.add(1, to: "a")
        #expect(s.remove(1, from: "a") == [.unsubscribe(["a"])])
        #expect(s.add(2, to: "a") == [.subscribe(["a"])])
        #expect(s.subscribeConfirmed("a") == [])
        #expect(s.subscribeConfirmed("a") == [.live(2, true)])
        #expect(s.subscribeConfirmed("a") == [])
    }

    @Test func whileDownListenersAreNotLiveAndAreWokenOnceSubscribedAgain() {
        var s = Subscriptions()
        #expect(s.add(1, to: "a") == [.live(1, false)])
        #expect(s.connectionUp() == [.subscribe(["a"])])
        #expect(s.add(2, to: "b") == [.subscribe(["b"])])
        // Lost before b's reply: 2 is told it is not live.
        #expect(s.connectionDown() == [.live(2, false)])
        #expect(s.add(3, to: "a") == [.live(3, false)])
        #expect(s.connectionUp() == [.subscribe(["a", "b"])])
        let a = s.subscribeConfirmed("a")
        #expect(a.count == 1)
        guard case .wake(let woken) = a.first else { Issue.record("not woken after the reconnect"); return }
        #expect(Set(woken) == [1, 3])
        #expect(s.subscribeConfirmed("b") == [.wake([2])])
        // Woken once: a later reply (none is awaited) wakes nobody.
        #expect(s.subscribeConfirmed("a") == [])
    }

    @Test func aListenerLeavingWhileDownSendsNothing() {
        var s = Subscriptions()
        _ = s.add(1, to: "a")
        #expect(s.remove(1, from: "a") == [])
        #expect(s.connectionUp() == [])
    }
}
