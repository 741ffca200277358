import Foundation
import Testing

@testable import CatalogCacheProxy

/// `docs/configuration.md`'s field reference is `ConfigurationSchema`'s: the checked-in
/// region between the markers must equal what `ConfigurationReference` renders.
@Suite struct ConfigurationReferenceTests {
    static var docs: URL { ConfigurationLoaderTests.packageRoot.appendingPathComponent("docs/configuration.md") }

    @Test func theCheckedInReferenceIsTheSchemas() throws {
        let checkedIn = try String(contentsOf: Self.docs, encoding: .utf8)
        guard let generated = ConfigurationReference.updating(checkedIn) else {
            Issue.record("docs/configuration.md lacks the lines \(ConfigurationReference.beginMarker) and \(ConfigurationReference.endMarker)")
            return
        }
        if ProcessInfo.processInfo.environment["CATALOG_UPDATE_CONFIG_DOCS"] == "1" {
            if generated != checkedIn { try generated.write(to: Self.docs, atomically: true, encoding: .utf8) }
            return
        }
        if let difference = Self.firstDifference(checkedIn, generated) {
            Issue.record("""
                docs/configuration.md is out of date with ConfigurationSchema; first difference at line \(difference.line):
                  checked in: \(difference.old ?? "(end of file)")
                  generated:  \(difference.new ?? "(end of file)")
                Regenerate it with scripts/config-docs
                """)
        }
    }

    @Test func theComparisonNamesTheFirstDifferingLine() {
        #expect(Self.firstDifference("a\nb\nc", "a\nb\nc") == nil)
        #expect(Self.firstDifference("a\nb\nc", "a\nB\nc")?.line == 2)
        #expect(Self.firstDifference("a\nb", "a\nb\nc")?.line == 3)
        #expect(Self.firstDifference("a\nb", "a\nb\nc")?.old == nil)
    }

    @Test func everyFieldHasARowAndEverySectionAHeading() {
        let text = ConfigurationReference.markdown()
        for field in ConfigurationSchema.fields where field.type != .section || field.parent.isEmpty == false {
            #expect(text.contains("| `\(field.path)` |"), "\(field.path) has no row")
        }
        for field in ConfigurationSchema.fields where field.type == .section && field.parent.isEmpty {
            #expect(text.contains("### `\(field.path)`"), "\(field.path) has no heading")
        }
    }

    @Test func replacingTheRegionKeepsTheProseAroundIt() throws {
        let document = "intro\n\(ConfigurationReference.beginMarker)\nstale table\n\(ConfigurationReference.endMarker)\noutro\n"
        let updated = try #require(ConfigurationReference.updating(document))
        #expect(updated.hasPrefix("intro\n\(ConfigurationReference.beginMarker)\n"))
        #expect(updated.hasSuffix("\n\(ConfigurationReference.endMarker)\noutro\n"))
        #expect(!updated.contains("stale table"))
        #expect(ConfigurationReference.updating(updated) == updated)
        #expect(ConfigurationReference.updating("no markers") == nil)
    }

    /// The 1-based line where `a` and `b` first differ, with each side's line (nil past its end).
    static func firstDifference(_ a: String, _ b: String) -> (line: Int, old: String?, new: String?)? {
        let left = a.split(separator: "\n", omittingEmptySubsequences: false), right = b.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(left.count, right.count) {
            let old = i < left.count ? String(left[i]) : nil, new = i < right.count ? String(right[i]) : nil
            if old != new { return (i + 1, old, new) }
        }
        return nil
    }
}
