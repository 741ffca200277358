/// What `catalog_cache_build_info` reports. `commit` is "unknown" in a plain checkout;
/// `scripts/stamp-build-info` writes the commit being built into `BuildCommit.swift`
/// before a release build.
public enum BuildInfo {
    public static let version = "0.1.0"
    public static var commit: String { BuildCommit.value }
}
