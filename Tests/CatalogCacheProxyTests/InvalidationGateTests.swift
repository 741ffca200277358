import CatalogCacheCore
import NIOCore
import Testing

@testable import CatalogCacheProxy

@Suite struct InvalidationGateTests {
    @Test func blocksOnlyWhatIsBeingInvalidated() {
        let gate = InvalidationGate()
        #expect(!gate.blocks(key: "k", tags: ["a"]))
        gate.begin(tags: ["a"], keys: ["x"])
        #expect(gate.blocks(key: "k", tags: ["b", "a"]))
        #expect(gate.blocks(key: "x", tags: []))
        #expect(!gate.blocks(key: "k", tags: ["b"]))
        gate.begin(tags: ["a"], keys: [])
        gate.end(tags: ["a"], keys: ["x"])
        #expect(gate.blocks(key: "k", tags: ["a"]))  // still one pending for "a"
        #expect(!gate.blocks(key: "x", tags: []))
        gate.end(tags: ["a"], keys: [])
        #expect(!gate.blocks(key: "k", tags: ["a"]))
        gate.begin(tags: [], keys: [], all: true)
        #expect(gate.blocks(key: "anything", tags: []))
        gate.end(tags: [], keys: [], all: true)
        #expect(!gate.blocks(key: "anything", tags: []))
    }
}
