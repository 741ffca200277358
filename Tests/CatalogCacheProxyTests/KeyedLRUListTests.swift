import CatalogTestSupport
import Testing

@testable import CatalogCacheProxy

/// The list against a plain array model, over random pushes, removes and moves.
@Suite struct KeyedLRUListTests {
    @Test func randomOperationsKeepTheListEqualToAnArrayModel() {
        var generator = SeededGenerator(seed: 42)
        var list = KeyedLRUList()
        var model: [String] = []  // most recent first
        for step in 0..<20_000 {
            let key = "k\(Int.random(in: 0..<40, using: &generator))"
            switch Int.random(in: 0..<3, using: &generator) {
            case 0:
                if !model.contains(key) {
                    list.pushFront(key)
                    model.insert(key, at: 0)
                }
            case 1:
                list.remove(key)
                model.removeAll { $0 == key }
            default:
                let moved = list.moveToFront(key)
                #expect(moved == model.contains(key), "step \(step)")
                if moved {
                    model.removeAll { $0 == key }
                    model.insert(key, at: 0)
                }
            }
            #expect(list.count == model.count, "step \(step)")
            #expect(list.head == model.first && list.back == model.last, "step \(step)")
            #expect(list.contains(key) == model.contains(key), "step \(step)")
            if step % 500 == 0 {
                // Walk the whole list from the back by removing and re-adding in order.
                var copy = list
                var order: [String] = []
                while let back = copy.back {
                    order.append(back)
                    copy.remove(back)
                }
                #expect(order == model.reversed(), "step \(step)")
            }
        }
    }
}
