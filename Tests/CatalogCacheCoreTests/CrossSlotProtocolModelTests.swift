import CatalogCacheCore
import Testing

/// ``CrossSlotFill`` and ``CrossSlotInvalidation`` run against a model of Redis Cluster slots
/// (each action's per-slot step atomic, nothing atomic across slots), over every interleaving
/// of one fill with the commits of one or two notifications and one or two instances applying
/// them (each instance in commit order, as the feed does). Checked in every reachable state:
/// once an instance has finished applying a notification, the entry is absent or holds an
/// answer at least as new as that notification's commit. Each mutation of the slot steps (a
/// step of the protocol left out or reordered) must break it somewhere, so the search is not
/// vacuous.
@Suite struct CrossSlotProtocolModelTests {
    enum Mutation: CaseIterable, Sendable {
        case none
        case storeIgnoresTombstone
        case registerDoesNotAddTheKey
        case dropLeavesNoTombstone
        case markOverwritesInsteadOfRaising
        case takeRemovesTheMembers
        case takeOnlyMembersScoredBelow
        case forgetRemovesEveryMember
    }

    struct World: Hashable {
        var sequence = 0
        var marks: [String: Int] = [:]
        var members: [String: [String: Int]] = [:]   // tag -> key -> score
        var entries: [String: Int] = [:]             // key -> the version of the data it holds
        var tombstones: [String: Int] = [:]
        var commits: [Int] = []                      // version made by each notification's commit
        var version: Int { commits.count }
    }

    static let key = "k"

    struct Fill: Hashable {
        var machine = CrossSlotFill()
        var action: CrossSlotFill.Action?
        let tags: [String]
        var fetchedVersion = 0
        var marks: [String: Int] = [:]

        /// The atomic steps this fill can take next, each a name and its effect.
        func steps(_ mutation: Mutation) -> [(String, (inout Fill, inout World) -> Void)] {
            switch action {
            case nil:
                return [("fill.start", { fill, _ in fill.action = fill.machine.start() })]
            case .readSequence:
                return [("fill.readSequence", { fill, world in fill.action = fill.machine.sequenceRead(world.sequence) })]
            case .fetch:
                return [("fill.fetch", { fill, world in
                    fill.fetchedVersion = world.version
                    fill.action = fill.machine.fetched(tags: fill.tags)
                })]
            case .register(let tags, let sequence):
                return tags.filter { marks[$0] == nil }.map { tag in
                    ("fill.register(\(tag))", { fill, world in
                        if mutation != .registerDoesNotAddTheKey {
                            world.members[tag, default: [:]][key] = max(world.members[tag]?[key] ?? 0, sequence)
                        }
                        fill.marks[tag] = world.marks[tag] ?? 0
                        if fill.marks.count == tags.count {
                            fill.action = fill.machine.registered(marks: tags.map { fill.marks[$0]! })
                        }
                    })
                }
            case .storeUnlessTombstonedAfter(let sequence):
                return [("fill.store", { fill, world in
                    let stored = mutation == .storeIgnoresTombstone || (world.tombstones[key] ?? 0) <= sequence
                    if stored { world.entries[key] = fill.fetchedVersion }
                    fill.action = fill.machine.storeAnswered(stored: stored)
                })]
            case .done:
                return []
            }
        }
    }

    /// One instance applying its notifications in order.
    struct Applier: Hashable {
        let queue: [[String]]                 // each notification's tags, in commit order
        var current = 0                       // index of the notification being applied
        var machine: CrossSlotInvalidation?
        var action: CrossSlotInvalidation.Action?
        var finished: [Int] = []              // notifications applied completely
        var tagsDone: Set<String> = []
        var taken: [String] = []
        var keysDone: Set<String> = []
        /// Forgets sent and not yet run: the shell does not wait for their replies, so each may
        /// reach its slots at any later point, after the next notifications' steps too.
        var forgets: [Forget] = []

        struct Forget: Hashable {
            let tags: [String]
            let below: Int
        }

        func steps(_ mutation: Mutation, _ world: World) -> [(String, (inout Applier, inout World) -> Void)] {
            let late = forgets.indices.map { index in
                ("forget(below \(forgets[index].below))", { (applier: inout Applier, world: inout World) in
                    let forget = applier.forgets.remove(at: index)
                    for tag in forget.tags {
                        world.members[tag] = world.members[tag]?.filter { mutation != .forgetRemovesEveryMember && $0.value >= forget.below }
                    }
                })
            }
            return late + ownSteps(mutation, world)
        }

        private func ownSteps(_ mutation: Mutation, _ world: World) -> [(String, (inout Applier, inout World) -> Void)] {
            guard current < queue.count else { return [] }
            guard let action else {
                // A notification is received only after its commit.
                guard world.commits.count > current else { return [] }
                return [("apply#\(current).start", { applier, _ in
                    applier.machine = CrossSlotInvalidation(tags: applier.queue[applier.current])
                    applier.action = applier.machine!.start()
                })]
            }
            switch action {
            case .incrementSequence:
                return [("incr", { applier, world in
                    world.sequence += 1
                    applier.action = applier.machine!.sequenceIncremented(to: world.sequence)
                })]
            case .markAndTakeMembers(let tags, let sequence):
                return tags.filter { !tagsDone.contains($0) }.map { tag in
                    ("mark(\(tag))", { applier, world in
                        world.marks[tag] = mutation == .markOverwritesInsteadOfRaising ? sequence : max(world.marks[tag] ?? 0, sequence)
                        let members = (world.members[tag] ?? [:]).filter { mutation != .takeOnlyMembersScoredBelow || $0.value < sequence }.keys
                        applier.taken += members
                        if mutation == .takeRemovesTheMembers { world.members[tag] = nil }
                        applier.tagsDone.insert(tag)
                        if applier.tagsDone.count == tags.count { applier.action = applier.machine!.membersTaken(applier.taken) }
                    })
                }
            case .dropAndTombstone(let keys, let sequence):
                return keys.filter { !keysDone.contains($0) }.map { key in
                    ("drop(\(key))", { applier, world in
                        world.entries[key] = nil
                        if mutation != .dropLeavesNoTombstone { world.tombstones[key] = max(world.tombstones[key] ?? 0, sequence) }
                        applier.keysDone.insert(key)
                        if applier.keysDone.count == keys.count { applier.action = applier.machine!.dropped() }
                    })
                }
            case .forgetMembers(let tags, let below):
                return [("forget-sent", { applier, _ in
                    applier.forgets.append(Forget(tags: tags, below: below))
                    applier.action = applier.machine!.forgotten()
                })]
            case .done:
                return [("apply#\(current).done", { applier, _ in
                    applier.finished.append(applier.current)
                    applier.current += 1
                    applier.machine = nil
                    applier.action = nil
                    applier.tagsDone = []
                    applier.taken = []
                    applier.keysDone = []
                })]
            }
        }
    }

    struct System: Hashable {
        var world = World()
        var fill: Fill
        var notifications: [[String]]
        var appliers: [Applier]
    }

    struct Outcome {
        var states = 0
        var finals = 0
        var stored = 0
        var violation: [String]?
    }

    /// Depth-first over every interleaving, each distinct state once.
    static func explore(_ start: System, _ mutation: Mutation) -> Outcome {
        var outcome = Outcome()
        var seen: Set<System> = []
        func visit(_ system: System, _ trace: [String]) {
            guard outcome.violation == nil, seen.insert(system).inserted else { return }
            outcome.states += 1
            for applier in system.appliers {
                for index in applier.finished where !Set(system.notifications[index]).isDisjoint(with: system.fill.tags) {
                    let commit = system.world.commits[index]
                    if let held = system.world.entries[key], held < commit {
                        outcome.violation = trace + ["entry holds version \(held) after notification \(index) (version \(commit)) was applied"]
                        return
                    }
                }
            }
            var next: [(String, System)] = []
            for (name, step) in system.fill.steps(mutation) {
                var copy = system
                step(&copy.fill, &copy.world)
                next.append((name, copy))
            }
            if system.world.commits.count < system.notifications.count {
                var copy = system
                copy.world.commits.append(copy.world.commits.count + 1)
                next.append(("commit#\(system.world.commits.count)", copy))
            }
            for index in system.appliers.indices {
                for (name, step) in system.appliers[index].steps(mutation, system.world) {
                    var copy = system
                    step(&copy.appliers[index], &copy.world)
                    next.append(("instance\(index).\(name)", copy))
                }
            }
            if next.isEmpty {
                outcome.finals += 1
                if system.fill.action == .done(stored: true) { outcome.stored += 1 }
            }
            for (name, system) in next { visit(system, trace + [name]) }
        }
        visit(start, [])
        return outcome
    }

    struct Scenario: Sendable, CustomTestStringConvertible {
        let name: String
        let fillTags: [String]
        let notifications: [[String]]
        let instances: Int
        let cachedBefore: Bool
        var testDescription: String { name }

        var system: System {
            var system = System(fill: Fill(tags: fillTags), notifications: notifications,
                                appliers: Array(repeating: Applier(queue: notifications), count: instances))
            if cachedBefore {
                system.world.entries[key] = 0
                for tag in fillTags { system.world.members[tag, default: [:]][key] = 0 }
            }
            return system
        }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "one tag, one notification", fillTags: ["a"], notifications: [["a"]], instances: 1, cachedBefore: false),
        Scenario(name: "two tags, the second invalidated, entry cached before", fillTags: ["a", "b"], notifications: [["b"]], instances: 1, cachedBefore: true),
        Scenario(name: "one tag, two notifications, two instances", fillTags: ["a"], notifications: [["a"], ["a"]], instances: 2, cachedBefore: true),
        Scenario(name: "two tags, each invalidated once, one instance", fillTags: ["a", "b"], notifications: [["a"], ["b"]], instances: 1, cachedBefore: true),
        Scenario(name: "one tag, one notification, two instances", fillTags: ["a"], notifications: [["a"]], instances: 2, cachedBefore: true),
        Scenario(name: "a notification of another tag", fillTags: ["a"], notifications: [["x"]], instances: 1, cachedBefore: false),
    ]

    @Test(arguments: scenarios)
    func theProtocolIsExactInEveryInterleaving(_ scenario: Scenario) {
        let outcome = Self.explore(scenario.system, .none)
        #expect(outcome.violation == nil, "\(outcome.violation ?? [])")
        #expect(outcome.states > 20 && outcome.finals > 1)
        // Not exact by refusing everything: some interleavings store the fill's answer.
        #expect(outcome.stored > 0)
    }

    @Test(arguments: Mutation.allCases.filter { $0 != .none })
    func everyStepIsNeeded(_ mutation: Mutation) {
        let broken = Self.scenarios.contains { Self.explore($0.system, mutation).violation != nil }
        #expect(broken, "leaving out \(mutation) broke no scenario: the model does not check it")
    }
}
