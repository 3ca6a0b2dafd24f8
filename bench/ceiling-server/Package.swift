// swift-tools-version:6.1
// The HTTP ceiling for bench/run: the same HTTP stack as katad (Hummingbird 2 over SwiftNIO) answering a
// constant JSON body, so reads/s of katad can be held against what the stack alone does on this machine.
import PackageDescription

let package = Package(
    name: "ceiling-server",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
    ],
    targets: [
        .executableTarget(
            name: "ceiling-server",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Sources/CeilingServer"
        ),
    ],
    swiftLanguageModes: [.v6]
)
