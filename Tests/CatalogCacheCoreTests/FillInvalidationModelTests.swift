import Testing

/// The single-store coherence protocol (`docs/coherence.md`) as a model: one fill of a key,
/// one lookup that puts what it reads from the store into the hot tier, and one write whose
/// invalidation the proxy applies, each a sequence of atomic steps as the code takes them
/// (a Lua script is one step). Every interleaving is explored; in every reachable state, once
/// the invalidation has been applied, neither the store nor the hot tier may hold an answer
/// older than the write. Each mutation (a step left out or moved) must break that somewhere,
/// so the search is not vacuous.
@Suite struct FillInvalidationModelTests {
    enum Mutation: CaseIterable, Sendable {
        case none
        /// The fill reads its ticket after its upstream answer, not before.
        case ticketAfterFetch
        /// The drop deletes the entry but marks no tag.
        case dropWithoutMark
        /// The hot tier is invalidated (and its epoch moved) before the store's drop.
        case tierBeforeStore
        /// Inserts into the hot tier ignore its epoch.
        case insertIgnoresEpoch
    }

    struct World: Hashable {
        /// The row's version in the database: each commit makes a new one.
        var database = 0
        var sequence = 0
        var mark = 0
        /// The version the store's entry holds; nil: absent.
        var entry: Int?
        var hot: Int?
        var epoch = 0
        var gate = false
        var applied = false

        // The fill's registers.
        var fillPC = 0
        var fillEpoch = 0
        var ticket = 0
        var fetched = 0
        var stored = false
        // The lookup's registers.
        var lookupPC = 0
        var lookupEpoch = 0
        var read: Int?
        // The write's program counter.
        var writePC = 0
    }

    typealias Step = (name: String, run: (inout World) -> Void)

    static func fillSteps(_ mutation: Mutation) -> [Step] {
        let ticket: Step = ("fill.ticket", { $0.ticket = $0.sequence })
        let fetch: Step = ("fill.fetch", { $0.fetched = $0.database })
        return [
            ("fill.epoch", { $0.fillEpoch = $0.epoch }),
        ] + (mutation == .ticketAfterFetch ? [fetch, ticket] : [ticket, fetch]) + [
            ("fill.store", { w in
                w.stored = w.mark <= w.ticket
                if w.stored { w.entry = w.fetched }
            }),
            ("fill.hotInsert", { w in
                if w.stored, mutation == .insertIgnoresEpoch || w.epoch == w.fillEpoch { w.hot = w.fetched }
            }),
        ]
    }

    static func lookupSteps(_ mutation: Mutation) -> [Step] {
        [
            ("lookup.epoch", { $0.lookupEpoch = $0.epoch }),
            ("lookup.get", { $0.read = $0.entry }),
            ("lookup.insert", { w in
                // The gate hides what the read brought while an invalidation runs.
                guard let read = w.read, !w.gate else { return }
                if mutation == .insertIgnoresEpoch || w.epoch == w.lookupEpoch { w.hot = read }
            }),
        ]
    }

    static func writeSteps(_ mutation: Mutation) -> [Step] {
        let drop: Step = ("invalidation.drop", { w in
            w.sequence += 1
            if mutation != .dropWithoutMark { w.mark = w.sequence }
            w.entry = nil
        })
        let tier: Step = ("invalidation.tier", { w in
            w.hot = nil
            w.epoch += 1
        })
        return [
            ("write.commit", { $0.database += 1 }),
            ("invalidation.gateBegin", { $0.gate = true }),
        ] + (mutation == .tierBeforeStore ? [tier, drop] : [drop, tier]) + [
            ("invalidation.gateEnd", { w in
                w.gate = false
                w.applied = true
            }),
        ]
    }

    /// A violation found: the steps that lead to it, or nil when every state is coherent.
    static func search(_ mutation: Mutation) -> (violation: [String]?, states: Int) {
        let programs = [fillSteps(mutation), lookupSteps(mutation), writeSteps(mutation)]
        func pc(_ w: World, _ i: Int) -> Int { [w.fillPC, w.lookupPC, w.writePC][i] }
        func advance(_ w: inout World, _ i: Int) {
            switch i {
            case 0: w.fillPC += 1
            case 1: w.lookupPC += 1
            default: w.writePC += 1
            }
        }
        var seen: Set<World> = []
        var stack: [(World, [String])] = [(World(), [])]
        while let (world, path) = stack.popLast() {
            guard seen.insert(world).inserted else { continue }
            if world.applied && (world.entry.map { $0 < world.database } ?? false || world.hot.map { $0 < world.database } ?? false) {
                return (path, seen.count)
            }
            for (i, program) in programs.enumerated() where pc(world, i) < program.count {
                var next = world
                let step = program[pc(world, i)]
                step.run(&next)
                advance(&next, i)
                stack.append((next, path + [step.name]))
            }
        }
        return (nil, seen.count)
    }

    @Test func everyInterleavingOfAFillALookupAndAnInvalidationIsCoherent() {
        let (violation, states) = Self.search(.none)
        #expect(violation == nil, "stale after the invalidation: \(violation ?? [])")
        #expect(states > 100)
    }

    @Test(arguments: Mutation.allCases.filter { $0 != .none })
    func eachMutationOfTheProtocolIsCaught(_ mutation: Mutation) {
        #expect(Self.search(mutation).violation != nil, "\(mutation) left every state coherent: the model checks nothing")
    }
}
