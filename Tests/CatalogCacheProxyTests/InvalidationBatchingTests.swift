import CatalogCacheCore
import CatalogCacheProxy
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The notifications of one read of the feed are applied as few drops as the tokens among
/// them allow: consecutive invalidations merge, a token ends the drop before it.
@Suite struct InvalidationBatchingTests {
    /// Records what the applier tells its observers, in order.
    final class Recorder: InvalidationObserver {
        let log = Mutex<[String]>([])
        func dropped(tags: [String], keys: [String], all: Bool) {
            log.withLock { $0.append("drop \(tags.joined(separator: ","))\(all ? " all" : "")") }
        }
        func rowChanged(table: String, op: RowOperation, ids: [String]) {
            log.withLock { $0.append("row \(table) \(ids.joined(separator: ","))") }
        }
    }

    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    func applier(tokens: WriteTokens, recorder: Recorder) throws -> (InvalidationApplier, ProxyMetrics) {
        let configuration = try ConfigurationLoader.load(path: ConfigurationLoaderTests.shippedConfig)
        let metrics = ProxyMetrics(routeNames: configuration.routes.map(\.name))
        let store = MemoryCacheStore(maxBytes: 1 << 20, clock: SystemClock())
        let applier = InvalidationApplier(configuration: configuration, store: store, gate: InvalidationGate(), metrics: metrics, tokens: tokens,
                                          clock: SystemClock(), loop: Self.group.next(), logger: Logger(label: "test"), observers: [recorder])
        return (applier, metrics)
    }

    func stock(_ id: String) -> String { #"{"table":"product","op":"UPDATE","ids":["\#(id)"],"columns":["stock"],"ts":1700000000000000}"# }

    @Test func consecutiveNotificationsAreOneDropAndATokenSplitsThem() throws {
        let tokens = WriteTokens(instance: "t")
        let recorder = Recorder()
        let (applier, metrics) = try applier(tokens: tokens, recorder: recorder)
        let (token, confirmed) = tokens.make(on: Self.group.next())
        applier.apply(payloads: [stock("p1"), stock("p2"), stock("p1"), #"{"token":"\#(token)"}"#, stock("p3"), "not json"])
        #expect(recorder.log.withLock { $0 } == [
            "drop product:p1,product:p2", "row product p1", "row product p2", "row product p1",
            "drop product:p3", "row product p3",
        ])
        try confirmed.wait()
        #expect(metrics.invalidationsMerged.count == 2)
        #expect(metrics.notificationsReceived.count == 6)
        #expect(metrics.notificationsMalformed.count == 1)
        #expect(metrics.commitToInvalidated.snapshot.count == 4)
        #expect(metrics.receivedToInvalidated.snapshot.count == 4)
    }

    @Test func aTableWideChangeMergesAsEverything() throws {
        let recorder = Recorder()
        let (applier, _) = try applier(tokens: WriteTokens(instance: "t"), recorder: recorder)
        applier.apply(payloads: [stock("p1"), #"{"table":"product","op":"UPDATE","ids":[]}"#])
        let log = recorder.log.withLock { $0 }
        #expect(log.count == 3)
        #expect(log.first?.hasSuffix(" all") == true)
        #expect(log.first?.contains("product:p1") == true)
    }

    @Test func theBatchKeepsFirstSeenOrderWithoutDuplicates() {
        var batch = InvalidationBatch()
        #expect(batch.isEmpty && !batch.dropsSomething)
        batch.addRow(tags: ["b", "a"], keys: ["k1"], all: false, commitTime: 5)
        batch.add(tags: ["a", "c"], keys: ["k1", "k2"], all: false)
        batch.addRow(tags: [], keys: [], all: false, commitTime: nil)
        #expect(batch.tags == ["b", "a", "c"])
        #expect(batch.keys == ["k1", "k2"])
        #expect(batch.rowCommitTimes == [5, nil])
        #expect(batch.drops == 3 && !batch.all)
        batch.changed(table: "t", op: .delete, ids: ["1"])
        #expect(batch.rows.count == 1)
    }
}
