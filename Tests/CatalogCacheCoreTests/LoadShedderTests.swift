import CatalogCacheCore
import Testing

@Suite struct LoadShedderTests {
    enum Event: CaseIterable, CustomStringConvertible {
        case read, hotTierHit, write, finish
        var description: String { "\(self)" }
    }

    /// The rule as the documentation states it, written as a plain model: shedding starts when
    /// in progress reach the bound and stops when they fall to three quarters of it.
    struct Model {
        let max: Int
        var inProgress = 0
        var shedding = false
        var episodes = 0

        /// The decision for `event` (nil for `finish`).
        mutating func apply(_ event: Event) -> LoadShedder.Decision? {
            switch event {
            case .finish:
                inProgress -= 1
                if inProgress <= max * 3 / 4 { shedding = false }
                return nil
            case .read, .hotTierHit, .write:
                if inProgress >= max, !shedding { shedding = true; episodes += 1 }
                if event == .read && shedding { return .shed }
                inProgress += 1
                if inProgress >= max, !shedding { shedding = true; episodes += 1 }
                return .admit
            }
        }
    }

    /// Every sequence of up to 7 events (finish only when something is in progress) for
    /// bounds 1 to 5: the rule agrees with the model and keeps its invariants after each step.
    @Test(arguments: 1...5)
    func everySequenceAgreesWithTheModel(max: Int) {
        var checked = 0
        func walk(_ rule: LoadShedder, _ model: Model, depth: Int, trace: [Event]) {
            checked += 1
            guard depth < 7 else { return }
            for event in Event.allCases {
                if event == .finish && model.inProgress == 0 { continue }
                var rule = rule, model = model
                let predictedShed = rule.shedsReads
                let expected = model.apply(event)
                let steps = trace + [event]
                if event == .finish {
                    rule.finished()
                } else {
                    let decision = rule.decide(event == .read ? .read : event == .write ? .write : .hotTierHit)
                    #expect(decision == expected, "\(steps)")
                    if event == .read { #expect(predictedShed == (decision == .shed), "shedsReads lied after \(trace)") }
                    if event != .read { #expect(decision == .admit, "\(event) shed after \(trace)") }
                    if event == .read && decision == .admit { #expect(rule.inProgress <= max, "a read went over the bound: \(steps)") }
                }
                #expect(rule.inProgress == model.inProgress, "\(steps)")
                #expect(rule.isShedding == model.shedding, "\(steps)")
                #expect(rule.sheddingEpisodes == model.episodes, "\(steps)")
                #expect(rule.inProgress >= 0)
                walk(rule, model, depth: depth + 1, trace: steps)
            }
        }
        walk(LoadShedder(maxInProgress: max), Model(max: max), depth: 0, trace: [])
        #expect(checked > 1000)
    }

    @Test func hysteresisKeepsSheddingUntilThreeQuartersOfTheBound() {
        var rule = LoadShedder(maxInProgress: 8)
        #expect(rule.resumeAt == 6)
        for _ in 0..<8 { #expect(rule.decide(.read) == .admit) }
        #expect(rule.isShedding)
        #expect(rule.decide(.read) == .shed)
        rule.finished()  // 7 in progress: still above 6
        #expect(rule.decide(.read) == .shed)
        rule.finished()  // 6
        #expect(!rule.isShedding)
        #expect(rule.decide(.read) == .admit)
        #expect(rule.decide(.read) == .admit)  // 8 again
        #expect(rule.decide(.read) == .shed)
        #expect(rule.sheddingEpisodes == 2)
    }

    @Test func hotTierHitsAndWritesAreAdmittedWhileShedding() {
        var rule = LoadShedder(maxInProgress: 1)
        #expect(rule.decide(.read) == .admit)
        #expect(rule.decide(.read) == .shed)
        #expect(rule.decide(.hotTierHit) == .admit)
        rule.finished()  // the hit is answered at once
        #expect(rule.decide(.write) == .admit)
        #expect(rule.inProgress == 2)
        #expect(rule.decide(.read) == .shed)
        rule.finished()
        #expect(rule.decide(.read) == .shed, "one still in progress: above resumeAt (0)")
        rule.finished()
        #expect(rule.decide(.read) == .admit)
    }

    @Test func aReloadChangesTheBoundAndKeepsWhatIsInProgress() {
        var rule = LoadShedder(maxInProgress: 10)
        for _ in 0..<4 { _ = rule.decide(.read) }
        rule.adopt(maxInProgress: 4)
        #expect(rule.inProgress == 4)
        #expect(rule.isShedding)
        #expect(rule.decide(.read) == .shed)
        rule.adopt(maxInProgress: 100)
        #expect(!rule.isShedding, "4 in progress is under 75, the new resume mark")
        #expect(rule.decide(.read) == .admit)
        rule.adopt(maxInProgress: 6)
        #expect(!rule.isShedding, "5 in progress: under the new bound, not shedding before")
        #expect(rule.decide(.read) == .admit)
        #expect(rule.isShedding)
    }

    @Test func anUnboundedShedderNeverShedsAndItsResumePointDoesNotOverflow() {
        for n in 1...64 { #expect(LoadShedder.threeQuarters(n) == n * 3 / 4) }
        #expect(LoadShedder.threeQuarters(.max) == Int.max / 4 * 3 + 2)
        var shedder = LoadShedder(maxInProgress: .max)
        for _ in 0..<10_000 { #expect(shedder.decide(.read) == .admit) }
        #expect(!shedder.isShedding && shedder.sheddingEpisodes == 0)
        shedder.adopt(maxInProgress: .max)
        #expect(shedder.inProgress == 10_000)
    }
}
