import CatalogTestSupport
import Testing
import CatalogCacheCore

@Suite struct TagGenerationsTests {
    @Test func ticketsBecomeStaleWhenTheirTagsMove() {
        var generations = TagGenerations()
        let ticket = generations.snapshot(for: ["product:1", "products"])
        #expect(generations.isCurrent(ticket))
        generations.invalidate(tags: ["product:2"])
        #expect(generations.isCurrent(ticket))
        generations.invalidate(tags: ["products"])
        #expect(!generations.isCurrent(ticket))
        // A ticket taken after the invalidation is current again.
        let later = generations.snapshot(for: ["product:1", "products"])
        #expect(generations.isCurrent(later))
    }

    @Test func invalidateAllMovesEveryTicket() {
        var generations = TagGenerations()
        let tagged = generations.snapshot(for: ["a"])
        let untagged = generations.snapshot(for: [])
        let keyed = generations.snapshot(key: "k", tags: [])
        generations.invalidateAll()
        #expect(!generations.isCurrent(tagged))
        #expect(!generations.isCurrent(untagged))
        #expect(!generations.isCurrent(keyed))
        #expect(generations.trackedCount == 0)
        #expect(generations.isCurrent(generations.snapshot(for: ["a"])))
    }

    @Test func keyLevelInvalidation() {
        var generations = TagGenerations()
        let ticket = generations.snapshot(key: "cc:product:1", tags: ["product:1"])
        let other = generations.snapshot(key: "cc:product:2", tags: ["product:2"])
        let tagOnly = generations.snapshot(for: ["product:1"])
        generations.invalidate(keys: ["cc:product:1"])
        #expect(!generations.isCurrent(ticket))
        #expect(generations.isCurrent(other))
        #expect(generations.isCurrent(tagOnly))
    }

    @Test func emptyInvalidationsStillAdvanceTheCounter() {
        var generations = TagGenerations()
        let ticket = generations.snapshot(for: ["a"])
        generations.invalidate(tags: [String]())
        #expect(generations.counter == 1)
        #expect(generations.isCurrent(ticket))
    }

    @Test func ticketsFromTheFutureAreRejected() {
        var issuer = TagGenerations()
        issuer.invalidate(tags: ["x"])
        issuer.invalidate(tags: ["x"])
        let foreign = issuer.snapshot(for: ["a"])
        #expect(!TagGenerations().isCurrent(foreign))
    }

    /// Memory stays bounded, and pruning only ever rejects fills: a ticket invalidated by a
    /// forgotten mark is still not current.
    @Test func boundedMemoryNeverAcceptsAStaleFill() {
        var generations = TagGenerations(capacity: 100)
        var outstanding: [(ticket: FillTicket, invalidated: Bool)] = []
        var generator = SeededGenerator(seed: 17)
        for step in 0..<20_000 {
            let tag = "product:\(Int.random(in: 0..<5_000, using: &generator))"
            if step % 3 == 0 {
                outstanding.append((generations.snapshot(key: "key:\(tag)", tags: [tag]), false))
            } else if step % 3 == 1 {
                generations.invalidate(tags: [tag])
                for index in outstanding.indices where outstanding[index].ticket.tags.contains(tag) {
                    outstanding[index].invalidated = true
                }
            } else {
                generations.invalidate(keys: ["key:\(tag)"])
                for index in outstanding.indices where outstanding[index].ticket.key == "key:\(tag)" {
                    outstanding[index].invalidated = true
                }
            }
            #expect(generations.trackedCount <= 100)
            if outstanding.count > 50 { outstanding.removeFirst(outstanding.count - 50) }
        }
        for entry in outstanding where entry.invalidated {
            #expect(!generations.isCurrent(entry.ticket))
        }
        #expect(generations.floor > 0)
        // A fresh ticket is still current after all that pruning.
        #expect(generations.isCurrent(generations.snapshot(key: "key:new", tags: ["product:1"])))
    }
}
