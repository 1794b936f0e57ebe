// swift-tools-version: 6.2
// Vitrine: a product-catalogue embedding service.
// Dependencies flow one way: codecs → imaging → (embedding → storage → indexing) → CLI / server.
import PackageDescription

let package = Package(
    name: "Vitrine",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vitrine", targets: ["vitrine"]),
        .executable(name: "vitrine-bench", targets: ["VitrineBench"]),
        .library(name: "VitrineImaging", targets: ["VitrineImaging"]),
        .library(name: "VitrineEmbedding", targets: ["VitrineEmbedding"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // The only C in Vitrine: libjpeg-turbo and libpng behind plain buffers and status codes.
        .target(
            name: "CVitrineCodecs",
            cSettings: [
                .unsafeFlags(["-O2"], .when(configuration: .debug)),
            ],
            linkerSettings: [
                .linkedLibrary("jpeg"),
                .linkedLibrary("png"),
            ]
        ),
        // Pixel buffers, format sniffing, EXIF orientation, limits: nothing above sees a pointer.
        .target(
            name: "VitrineImaging",
            dependencies: ["CVitrineCodecs"],
            exclude: ["README.md"]
        ),
        // The model: image and text features projected into one joint 512-d space.
        .target(
            name: "VitrineEmbedding",
            dependencies: [
                "VitrineImaging",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["README.md"]
        ),
        // Products and their vectors behind the ProductStore protocol; SQLite through GRDB.
        .target(
            name: "VitrineStore",
            dependencies: ["VitrineEmbedding", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["README.md"]
        ),
        // The same protocols on PostgreSQL (postgres-nio), for API nodes and workers on many hosts:
        // pooled blocking connections for the pool's threads, LISTEN/NOTIFY, advisory-locked migrations.
        .target(
            name: "VitrinePostgres",
            dependencies: [
                "VitrineStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),
        // SIMD kernels for search (int8 dot products, AVX2 when the CPU has it).
        .target(
            name: "CVitrineKernels",
            cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]
        ),
        // Use cases over the store: the one indexing path, job workers, live search indexes that
        // follow the change feed, near-duplicates, export; and the long-running Services.
        .target(
            name: "VitrineCatalog",
            dependencies: [
                "VitrineImaging", "VitrineEmbedding", "VitrineStore", "CVitrineKernels",
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),
        // The HTTP API (Hummingbird): routes, errors, auth, metrics, in-process workers.
        .target(
            name: "VitrineServer",
            dependencies: [
                "VitrineImaging", "VitrineEmbedding", "VitrineStore", "VitrineCatalog",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md", "search-page.png"],
            resources: [.copy("openapi.yaml"), .copy("Page")]
        ),
        // The commands of the `vitrine` tool, as a library so tests can run them.
        .target(
            name: "VitrineCLI",
            dependencies: [
                "VitrineImaging",
                "VitrineEmbedding",
                "VitrineStore",
                "VitrinePostgres",
                "VitrineCatalog",
                "VitrineServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "vitrine",
            dependencies: ["VitrineCLI"]
        ),
        // Release-built benchmarks that print their figures (see BENCHMARKS.md).
        .executableTarget(
            name: "VitrineBench",
            dependencies: [
                "VitrineImaging",
                "VitrineEmbedding",
                "VitrineCatalog",
                "VitrineStore",
                "VitrinePostgres",
                "VitrineProbe",
                "VitrineChaos",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Clients that behave as hostile, slow or careless ones do, for tests and benchmarks:
        // raw HTTP/1.1 over sockets, a seeded request fuzzer, byte mutations, a seeded generator.
        .target(name: "VitrineProbe"),
        // Crash and race runs against the real `vitrine` processes (workers killed, a server killed,
        // a writer killed mid-transaction, a worker stopped past its lease, SIGTERM under load):
        // the tests run them small, `vitrine-bench chaos` in full.
        .target(
            name: "VitrineChaos",
            dependencies: ["VitrineProbe", "VitrineStore", "VitrineCatalog", "VitrineEmbedding",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Helpers shared by the test targets (repository paths; re-exports VitrineProbe).
        .target(
            name: "VitrineTestSupport",
            dependencies: ["VitrineProbe", "VitrineImaging"],
            path: "Tests/VitrineTestSupport"
        ),
        .testTarget(
            name: "VitrineImagingTests",
            dependencies: ["VitrineImaging", "VitrineTestSupport"]
        ),
        .testTarget(
            name: "VitrineEmbeddingTests",
            dependencies: ["VitrineEmbedding", "VitrineImaging", "VitrineTestSupport"]
        ),
        .testTarget(
            name: "VitrineCatalogTests",
            dependencies: ["VitrineCatalog", "VitrineStore", "VitrineEmbedding", "VitrineImaging", "VitrineTestSupport", "VitrineProbe",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The storage contract: the same tests against every implementation of the protocols.
        .testTarget(
            name: "VitrineContractTests",
            dependencies: ["VitrineStore", "VitrinePostgres", "VitrineChaos", "VitrineTestSupport"]
        ),
        .testTarget(
            name: "VitrineServerTests",
            dependencies: [
                "VitrineServer", "VitrineStore", "VitrineCatalog", "VitrineEmbedding", "VitrineTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "VitrineCLITests",
            dependencies: ["VitrineCLI", "VitrineImaging", "VitrineCatalog", "VitrineStore", "VitrineChaos", "VitrineTestSupport",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
