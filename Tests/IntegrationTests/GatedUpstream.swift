import CatalogHTTP
import NIOCore
import Synchronization

/// An upstream that holds requests until `open()` is called (all of them, or those after the
/// first `passing`): it forces a fill to be in flight while the test does something else.
/// Answers `{"hero_banners":[{"title":"version N"}],"products":[]}` for its N-th request (a
/// body every configured route can store).
final class GatedUpstream: HTTPResponder {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>], received: Int)>((false, [], 0))
    private let passing: Int

    init(passing: Int = 0) {
        self.passing = passing
    }

    var received: Int { state.withLock { $0.received } }

    func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        let n = state.withLock { s -> Int in
            s.received += 1
            return s.received
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.open || n <= passing { return true }
                s.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
        return .json(.ok, "{\"hero_banners\":[{\"title\":\"version \(n)\"}],\"products\":[]}")
    }
}
