// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "rlhf-shakespeare",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pipeline", targets: ["pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // libarchive for canonical tar packing. (OpenBLAS is loaded at run time by NN/BLAS.swift.)
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]
        ),

        // OpenSSL's libcrypto for SHA-256 (system library: nothing to compile).
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl"])]
        ),

        // Content-addressed store, canonical packing, lock file and the DAG runner.
        .target(
            name: "Artifacts",
            dependencies: ["CArchive", "COpenSSL"]
        ),
        // bfloat16 matrix products through oneDNN, opened at run time (NN/BFloat16.swift).
        .target(name: "CBF16", cSettings: [.unsafeFlags(["-O2"])]),
        // Tensors and kernels for the transformer.
        // Optimised even in debug builds: its SIMD kernels are 30x slower unoptimised, which
        // would turn seconds of tests into minutes.
        .target(name: "NN", dependencies: ["CBF16"], swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // The project's stages and their registry.
        .target(name: "Stages", dependencies: ["Artifacts", "NN"],
                swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // The `pipeline` command's subcommands, as a library so a test host can reuse them.
        .target(
            name: "PipelineCLI",
            dependencies: ["Artifacts", "Stages", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "pipeline", dependencies: ["PipelineCLI", "Stages"]),

        // Test support: small stages for exercising the runner, and a `pipeline` built with them.
        .target(name: "TestStages", dependencies: ["Artifacts"], path: "Tests/TestStages"),
        .executableTarget(name: "stage-host", dependencies: ["PipelineCLI", "TestStages"], path: "Tests/StageHost"),

        // Benchmarks (bench/): run in release mode by the scripts there.
        .executableTarget(name: "nn-bench", dependencies: ["NN"], path: "bench/NNBench"),
        .executableTarget(name: "ppo-bench", dependencies: ["Stages", "Artifacts", "NN"], path: "bench/PPOBench"),

        .testTarget(name: "ArtifactsTests", dependencies: ["Artifacts", "TestStages"]),
        .testTarget(name: "NNTests", dependencies: ["NN"], exclude: ["Resources"]),
        .testTarget(name: "StagesTests", dependencies: ["Stages", "Artifacts", "TestStages"], exclude: ["Resources"]),
        .testTarget(name: "PipelineCLITests", dependencies: ["PipelineCLI", "Stages", "NN", "TestStages", "stage-host", "pipeline"]),
    ],
    swiftLanguageModes: [.v5]
)
