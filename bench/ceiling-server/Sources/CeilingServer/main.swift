// ceiling-server ADDRESS BODYFILE
//   ADDRESS: 127.0.0.1:PORT or unix:///abs/path.sock
//   BODYFILE: the bytes answered (Content-Type: application/json) to GET on any path.
// Prints "listening" on stdout once bound. Stops on SIGTERM/SIGINT.
import Foundation
import Hummingbird
import NIOCore

let args = CommandLine.arguments
guard args.count == 3, let body = FileManager.default.contents(atPath: args[2]) else {
    FileHandle.standardError.write(Data("usage: ceiling-server 127.0.0.1:PORT|unix:///path BODYFILE\n".utf8))
    exit(2)
}
let address: BindAddress
if args[1].hasPrefix("unix://") {
    address = .unixDomainSocket(path: String(args[1].dropFirst("unix://".count)))
} else {
    let parts = args[1].split(separator: ":")
    guard parts.count == 2, let port = Int(parts[1]) else { exit(2) }
    address = .hostname(String(parts[0]), port: port)
}
let buffer = ByteBuffer(bytes: body)
let router = Router()
router.get("**") { _, _ -> Response in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
}
let app = Application(
    router: router,
    server: .http1(configuration: .init(idleTimeout: .seconds(120))),
    configuration: ApplicationConfiguration(address: address, serverName: nil),
    onServerRunning: { _ in
        FileHandle.standardOutput.write(Data("listening\n".utf8))
    })
try await app.runService()
