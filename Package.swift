// swift-tools-version:6.0
import PackageDescription

// Swift 6 language mode: strict concurrency checking is on for every target.
let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
    .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
]
let log: Target.Dependency = .product(name: "Logging", package: "swift-log")

let package = Package(
    name: "catalog-cache",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "catalog-cache", targets: ["catalog-cache"]),
        .executable(name: "catalog-origin", targets: ["catalog-origin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // TLS to https:// upstreams (BoringSSL inside; only the NIOSSL product is built).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // RFC 8941 parsing of CDN-Cache-Control (only the small RawStructuredFieldValues target).
        .package(url: "https://github.com/apple/swift-http-structured-headers.git", from: "1.7.0"),
    ],
    targets: [
        // Thin C layers: system libraries found through pkg-config, one shim header each.
        // hiredis's pkg-config file adds -D_FILE_OFFSET_BITS=64, a flag SwiftPM refuses (with a
        // warning); its headers are found at <hiredis/...> in the default include path instead.
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Pure core: no NIO, no C (one pure-Swift RFC 8941 parser). Keys, envelope, freshness,
        // routes, invalidation, coalescing.
        .target(name: "CatalogCacheCore", dependencies: [.product(name: "RawStructuredFieldValues", package: "swift-http-structured-headers")]),

        // Adapters around the C libraries and the network.
        .target(name: "CatalogCompression", dependencies: ["CZlib"]),
        .target(name: "CatalogRedis", dependencies: ["CHiredis", "CatalogCacheCore", .product(name: "NIOSSL", package: "swift-nio-ssl")] + nio),
        .target(name: "CatalogPostgres", dependencies: ["CLibPQ", log] + nio),
        .target(name: "CatalogHTTP", dependencies: nio),

        // The two services.
        .target(name: "CatalogOrigin", dependencies: ["CatalogCacheCore", "CatalogPostgres", "CatalogRedis", "CatalogHTTP", log] + nio),
        .target(
            name: "CatalogCacheProxy",
            dependencies: [
                "CatalogCacheCore", "CatalogCompression", "CatalogRedis", "CatalogPostgres", "CatalogHTTP",
                .product(name: "Yams", package: "Yams"), .product(name: "NIOSSL", package: "swift-nio-ssl"), log,
            ] + nio
        ),
        .executableTarget(
            name: "catalog-cache",
            dependencies: ["CatalogCacheProxy", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "catalog-origin",
            dependencies: ["CatalogOrigin", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // Tests mirror the modules: pure unit tests, handler tests, then integration tests
        // against real Redis, PostgreSQL and the reference origin (started by scripts/test).
        // Helpers shared by test targets (a raw-socket HTTP client, a seeded generator, a manual clock, throwaway databases).
        .target(name: "CatalogTestSupport", dependencies: ["CatalogCacheCore", "CatalogPostgres"], path: "Tests/CatalogTestSupport"),
        .testTarget(name: "CatalogCacheCoreTests", dependencies: ["CatalogCacheCore", "CatalogTestSupport"]),
        .testTarget(name: "CatalogCompressionTests", dependencies: ["CatalogCompression"]),
        .testTarget(name: "CatalogRedisTests", dependencies: ["CatalogRedis"] + nio),
        .testTarget(name: "CatalogHTTPTests", dependencies: ["CatalogHTTP", "CatalogTestSupport"] + nio + [.product(name: "NIOEmbedded", package: "swift-nio")]),
        .testTarget(name: "CatalogPostgresTests", dependencies: ["CatalogPostgres", "CatalogTestSupport"]),
        .testTarget(name: "CatalogOriginTests", dependencies: ["CatalogOrigin", "CatalogCacheCore", "CatalogPostgres", "CatalogRedis", "CatalogHTTP", "CatalogTestSupport"] + nio),
        .testTarget(
            name: "CatalogCacheProxyTests",
            dependencies: ["CatalogCacheProxy", "CatalogCacheCore", "CatalogTestSupport", .product(name: "NIOEmbedded", package: "swift-nio")] + nio
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["CatalogCacheProxy", "CatalogOrigin", "CatalogPostgres", "CatalogRedis", "CatalogHTTP", "CatalogCacheCore", "CatalogTestSupport", .product(name: "NIOSSL", package: "swift-nio-ssl")] + nio
        ),
    ]
)
