import CatalogCacheCore
import Testing

@Suite struct RefreshBudgetTests {
    @Test func refreshesBeyondTheLimitAreRefusedUntilOneFinishes() {
        var budget = RefreshBudget(limit: 2)
        var taken: [Bool] = []
        for _ in 0..<3 { taken.append(budget.tryStart()) }
        #expect(taken == [true, true, false])
        #expect(budget.inFlight == 2)
        budget.finish()
        taken = []
        for _ in 0..<2 { taken.append(budget.tryStart()) }
        #expect(taken == [true, false])
    }

    @Test func aZeroOrNegativeLimitRefusesEveryRefresh() {
        for limit in [0, -3] {
            var budget = RefreshBudget(limit: limit)
            let took = budget.tryStart()
            #expect(!took)
            #expect(budget.inFlight == 0)
        }
    }

    /// Against a plain counter over random starts and finishes.
    @Test func staysWithinItsLimitUnderRandomUse() {
        var generator = SystemRandomNumberGenerator()
        for limit in 1...5 {
            var budget = RefreshBudget(limit: limit)
            var started = 0
            for _ in 0..<2_000 {
                if Bool.random(using: &generator) || started == 0 {
                    let took = budget.tryStart()
                    #expect(took == (started < limit))
                    if took { started += 1 }
                } else {
                    budget.finish()
                    started -= 1
                }
                #expect(budget.inFlight == started)
                #expect(budget.inFlight <= limit)
            }
        }
    }
}
