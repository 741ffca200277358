import CatalogCacheProxy
import Foundation
import NIOHTTP1
import Synchronization
import Testing

/// The flash benchmark's check as a test: writers each on products of their own (no two
/// writes of one product at once), readers hammering the same pages meanwhile (fills racing
/// the writes); after each write's 200, the product page equals what the write answered.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct ReadAfterWriteStressTests {
    final class Shared: Sendable {
        let stale = Mutex<[String]>([])
        let running = Atomic<Bool>(true)
    }

    static func fields(_ text: String) -> [String] {
        guard let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], let p = json["product"] as? [String: Any] else { return ["unparsable"] }
        return ["\(p["inventory_quantity"] ?? "-")", "\(p["title"] ?? "-")", "\(p["updated_at"] ?? "-")"]
    }

    @Test func afterAWritesAnswerItsPageShowsIt() async throws {
        try await withStack(products: 200, triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            let ids = try await stack.sql("SELECT id FROM product WHERE status = 'published' AND stock >= 100 ORDER BY id LIMIT 24").rows.compactMap { $0[0] }
            let shared = Shared()
            await withTaskGroup(of: Void.self) { group in
                for r in 0..<6 {
                    group.addTask {
                        var i = r
                        while shared.running.load(ordering: .relaxed) {
                            _ = try? await proxy.get("/store/products/\(ids[i % ids.count])")
                            _ = try? await proxy.get("/store/products?limit=5&offset=\(i % 7)")
                            i += 1
                        }
                    }
                }
                await withTaskGroup(of: Void.self) { writers in
                    for (w, id) in ids.enumerated() {
                        writers.addTask {
                            for i in 0..<8 {
                                _ = try? await proxy.get("/store/products/\(id)")
                                let write = (i + w) % 2 == 0
                                    ? try? await proxy.request(.POST, "/admin/products/\(id)/inventory", body: #"{"delta":-1,"reason":"sale"}"#)
                                    : try? await proxy.request(.PATCH, "/admin/products/\(id)", body: "{\"title\":\"Sale \(w) \(i)\"}")
                                guard let write, write.head.status == .ok else { shared.stale.withLock { $0.append("\(id): write failed") }; continue }
                                guard let read = try? await proxy.get("/store/products/\(id)") else { continue }
                                if Self.fields(read.text) != Self.fields(write.text) {
                                    shared.stale.withLock { $0.append("\(id) #\(i): read \(Self.fields(read.text)) (\(read.xCache ?? "-")) after write \(Self.fields(write.text))") }
                                }
                            }
                        }
                    }
                }
                shared.running.store(false, ordering: .relaxed)
            }
            #expect(shared.stale.withLock { $0 }.isEmpty, "\(shared.stale.withLock { $0 }.prefix(5))")
            #expect(proxy.metrics.readYourWritesTimeouts.count == 0)
        }
    }
}
