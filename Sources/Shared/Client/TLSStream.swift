import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// A blocking byte stream over TLS (swift-nio-ssl), for `https://` servers.
///
/// The certificate is verified against the system store plus `caFile`; a DNS name is also checked against the
/// certificate (an IP literal is verified by chain only, as NIO SSL cannot send an IP as SNI).
final class TLSStream: ByteStream {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let inbox: Inbox
    private let timeoutSeconds: Int
    private let target: String

    init(host: String, port: Int, caFile: String?, timeoutSeconds: Int) throws(TransportError) {
        target = "https://\(host):\(port)"
        self.timeoutSeconds = timeoutSeconds
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let inbox = Inbox()
        self.inbox = inbox
        do {
            var config = TLSConfiguration.makeClientConfiguration()
            if let caFile {
                config.additionalTrustRoots = [.file(caFile)]
            }
            let context = try NIOSSLContext(configuration: config)
            let isLiteral = AddressClass.parseIPv4(host) != nil || AddressClass.parseIPv6(host) != nil
            let sni: String? = isLiteral ? nil : host
            channel = try ClientBootstrap(group: group)
                .connectTimeout(.seconds(Int64(timeoutSeconds)))
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        let tls = try NIOSSLClientHandler(context: context, serverHostname: sni)
                        try ch.pipeline.syncOperations.addHandlers([tls, InboxHandler(inbox: inbox)])
                    }
                }
                .connect(host: host, port: port).wait()
        } catch let e as NIOSSLError {
            try? group.syncShutdownGracefully()
            throw TransportError(message: "\(e)", tlsVerifyFailed: true)
        } catch {
            try? group.syncShutdownGracefully()
            throw TransportError(message: "cannot connect to \(target): \(error)")
        }
    }

    deinit {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    func write(_ bytes: [UInt8]) throws(TransportError) {
        do {
            try channel.writeAndFlush(ByteBuffer(bytes: bytes)).wait()
        } catch {
            if let failure = inbox.failure { throw failure }
            throw TransportError(message: "cannot send to \(target): \(error)")
        }
    }

    func read(max: Int) throws(TransportError) -> [UInt8]? {
        try inbox.take(max: max, timeoutSeconds: timeoutSeconds, target: target)
    }

    /// Bytes received by the channel, waited for by the reading thread.
    final class Inbox: @unchecked Sendable {
        private let condition = ConditionLock(value: 0)
        private var bytes: [UInt8] = []
        private var closed = false
        private(set) var failure: TransportError?

        func push(_ more: [UInt8]) {
            condition.lock()
            bytes += more
            condition.unlock(withValue: 1)
        }

        func finish(_ error: TransportError?) {
            condition.lock()
            closed = true
            if failure == nil { failure = error }
            condition.unlock(withValue: 1)
        }

        func take(max: Int, timeoutSeconds: Int, target: String) throws(TransportError) -> [UInt8]? {
            guard condition.lock(whenValue: 1, timeoutSeconds: Double(timeoutSeconds)) else {
                throw TransportError(message: "timed out waiting for \(target)")
            }
            defer {
                let more = !bytes.isEmpty || closed
                condition.unlock(withValue: more ? 1 : 0)
            }
            if !bytes.isEmpty {
                let n = min(max, bytes.count)
                let out = Array(bytes[0..<n])
                bytes.removeFirst(n)
                return out
            }
            if let failure { throw failure }
            return nil
        }
    }

    final class InboxHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let inbox: Inbox

        init(inbox: Inbox) { self.inbox = inbox }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            if let bytes = buffer.readBytes(length: buffer.readableBytes) { inbox.push(bytes) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            inbox.finish(nil)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if case NIOSSLError.uncleanShutdown = error {
                inbox.finish(nil)
            } else if error is NIOSSLError {
                inbox.finish(TransportError(message: "\(error)", tlsVerifyFailed: true))
            } else {
                inbox.finish(TransportError(message: "\(error)"))
            }
            context.close(promise: nil)
        }
    }
}
