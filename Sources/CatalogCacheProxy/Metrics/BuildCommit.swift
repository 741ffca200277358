// Written by scripts/stamp-build-info for release builds; "unknown" in a plain checkout.
enum BuildCommit {
    static let value = "unknown"
}
