import CatalogCacheCore
import Testing

@Suite struct BoundedMemoTests {
    @Test func remembersUpToItsCapacity() {
        var memo = BoundedMemo<String, Int>(capacity: 3)
        for (i, k) in ["a", "b", "c"].enumerated() { memo.remember(i, for: k) }
        #expect(memo.count == 3)
        #expect(memo.value(for: "a") == 0)
        #expect(memo.value(for: "c") == 2)
        #expect(memo.value(for: "d") == nil)
        #expect(memo.resets == 0)
    }

    @Test func replacingAKeyNeverClears() {
        var memo = BoundedMemo<String, Int>(capacity: 2)
        memo.remember(1, for: "a")
        memo.remember(2, for: "b")
        memo.remember(3, for: "b")
        #expect(memo.value(for: "a") == 1)
        #expect(memo.value(for: "b") == 3)
        #expect(memo.resets == 0)
    }

    @Test func aNewKeyBeyondTheBoundForgetsEverythingElse() {
        var memo = BoundedMemo<Int, Int>(capacity: 4)
        for i in 0..<4 { memo.remember(i * 10, for: i) }
        memo.remember(99, for: 4)
        #expect(memo.count == 1)
        #expect(memo.value(for: 4) == 99)
        #expect((0..<4).allSatisfy { memo.value(for: $0) == nil })
        #expect(memo.resets == 1)
    }

    @Test func neverHoldsMoreThanItsCapacity() {
        var memo = BoundedMemo<Int, Int>(capacity: 7)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1000 {
            let k = Int.random(in: 0..<50, using: &generator)
            memo.remember(k, for: k)
            #expect(memo.count <= 7)
            #expect(memo.value(for: k) == k)
        }
    }
}
