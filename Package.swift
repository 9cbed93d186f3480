// swift-tools-version:6.2
import PackageDescription

/// Which build `snowpiped --version` names: the commit this manifest was evaluated at (a release or package build
/// from a clone), `+changes` when the tree had uncommitted changes.
let build: String = {
    guard let git = Context.gitInformation else { return "unknown build" }
    return "commit " + String(git.currentCommit.prefix(12)) + (git.hasUncommittedChanges ? "+changes" : "")
}()

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "snowpiped",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "snowpiped", targets: ["snowpiped"]),
        .executable(name: "snowpipe-emulator", targets: ["snowpipe-emulator"]),
        .executable(name: "snowpiped-replay", targets: ["snowpiped-replay"]),
        .library(name: "SnowpipeEmulator", targets: ["SnowpipeEmulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // System libraries (Debian -dev packages, found through pkg-config).
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        // The build's identity for `--version` (a C string set from the manifest; Swift settings carry no values).
        .target(name: "CBuildInfo", cSettings: [.define("SNOWPIPED_BUILD", to: "\"\(build)\"")]),

        // glibc's <malloc.h> (mallopt), for the daemon's memory settings.
        .systemLibrary(name: "CMalloc"),

        // gzip and zstd through the system zlib and libzstd.
        .target(name: "Codecs", dependencies: ["CZlib", "CZstd"], swiftSettings: swiftSettings),

        // Pure core: domain types and decisions, stdlib only.
        .target(name: "IngestCore", swiftSettings: swiftSettings),

        // The HTTP seam every client talks through (requests, answers, transport errors; no NIO), and percent-encoding.
        .target(name: "HTTPSeam", swiftSettings: swiftSettings),

        // SHA-256, MD5 and HMAC-SHA256 through OpenSSL's EVP interface, and its error queue.
        .target(name: "OpenSSLSupport", dependencies: ["COpenSSL"], swiftSettings: swiftSettings),

        // Wire types, URL building and the typed Snowflake clients over the HTTP seam (no NIO).
        .target(name: "SnowpipeAPI", dependencies: ["IngestCore", "HTTPSeam"], swiftSettings: swiftSettings),

        // The production transport: AsyncHTTPClient.
        .target(
            name: "SnowpipeHTTPClient",
            dependencies: [
                "SnowpipeAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),

        // RSA keys, fingerprints and RS256 JWTs through OpenSSL 3 (EVP only).
        .target(
            name: "SnowflakeAuth",
            dependencies: ["COpenSSL", "OpenSSLSupport"],
            swiftSettings: swiftSettings
        ),

        // Stage storage for upload rules: the AWS SigV4 signer and the S3 object client (no AWS SDK builds here).
        .target(
            name: "StageStorage",
            dependencies: ["COpenSSL", "OpenSSLSupport", "HTTPSeam"],
            swiftSettings: swiftSettings
        ),

        // sd_notify and the journald LogHandler (libsystemd).
        .target(
            name: "Systemd",
            dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),

        // The durable SQLite outbox (GRDB over the system libsqlite3).
        .target(
            name: "Outbox",
            dependencies: ["IngestCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),

        // inotify watching and directory scanning.
        .target(name: "FileWatching", swiftSettings: swiftSettings),

        // The daemon: configuration, services, wiring.
        .target(
            name: "SnowpipeDaemon",
            dependencies: [
                "StageStorage",
                "Codecs",
                "IngestCore",
                "SnowpipeAPI",
                "SnowflakeAuth",
                "SnowpipeHTTPClient",
                "Outbox",
                "FileWatching",
                "Systemd",
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                // The opt-in metrics endpoint: Prometheus instruments, served by Hummingbird.
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),

        // The local Snowpipe: engine (no sockets) and its Hummingbird front end.
        .target(
            name: "SnowpipeEmulator",
            dependencies: [
                "Codecs",
                "HTTPSeam",
                "OpenSSLSupport",
                "StageStorage",
                "SnowpipeHTTPClient",
                "IngestCore",
                "SnowflakeAuth",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "snowpipe-emulator",
            dependencies: [
                "SnowpipeEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "snowpiped-replay",
            dependencies: [
                "IngestCore",
                "SnowflakeAuth",
                "SnowpipeDaemon",
                "SnowpipeEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "snowpiped",
            dependencies: [
                "CBuildInfo",
                "CMalloc",
                "IngestCore",
                "Outbox",
                "SnowflakeAuth",
                "SnowpipeAPI",
                "SnowpipeDaemon",
                "Systemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),

        // Tests.
        .target(
            name: "TestSupport",
            dependencies: [
                "Codecs",
                "FileWatching",
                "HTTPSeam",
                "IngestCore",
                "OpenSSLSupport",
                "SnowflakeAuth",
                "SnowpipeEmulator",
                "SnowpipeAPI",
                "SnowpipeHTTPClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SnowflakeAuthTests",
            dependencies: ["SnowflakeAuth", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StageStorageTests",
            dependencies: ["StageStorage", "SnowpipeAPI", "SnowpipeHTTPClient", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IngestCoreTests",
            dependencies: ["IngestCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SnowpipeAPITests",
            dependencies: [
                "HTTPSeam", "SnowpipeAPI", "IngestCore", "SnowflakeAuth", "SnowpipeEmulator", "SnowpipeHTTPClient",
                "TestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SnowpipedCLITests",
            dependencies: ["SnowflakeAuth", "SnowpipeEmulator", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutboxTests",
            dependencies: ["Outbox", "IngestCore", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DaemonEndToEndTests",
            dependencies: [
                "IngestCore", "Outbox", "SnowpipeEmulator", "TestSupport", "StageStorage", "SnowflakeAuth",
                "SnowpipeHTTPClient",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SnowpipeDaemonTests",
            dependencies: [
                "Codecs", "FileWatching", "IngestCore", "Outbox", "SnowflakeAuth", "SnowpipeAPI", "SnowpipeDaemon",
                "SnowpipeEmulator",
                "StageStorage", "TestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SnowpipeEmulatorTests",
            dependencies: [
                "OpenSSLSupport",
                "Codecs",
                "SnowpipeEmulator",
                "SnowpipeAPI",
                "StageStorage",
                "SnowpipeHTTPClient",
                "SnowflakeAuth",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
