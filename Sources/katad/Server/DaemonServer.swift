import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL
import Logging
import NIOCore
import ServiceLifecycle
import Shared

/// One Hummingbird application per listener (so a request knows its listener), plus the admin socket,
/// run together in one service group with graceful shutdown on SIGTERM and SIGINT.
struct DaemonServer {
    let services: APIServices
    let listeners: [ListenAddress]
    let adminSocket: String
    let logger: Logger
    /// When set, TCP listeners serve HTTPS with it (Unix sockets stay plain).
    var tls: TLSConfiguration?

    /// Loads `[tls]` PEM files into a server configuration, or fails with a message naming the key.
    static func loadTLS(_ t: DaemonConfig.TLS) throws(StartupError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(t.certFile)
        } catch {
            throw .config("tls.cert_file: cannot load a PEM certificate from \(t.certFile): \(error)")
        }
        if chain.isEmpty { throw .config("tls.cert_file: \(t.certFile) holds no certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: t.keyFile, format: .pem)
        } catch {
            throw .config("tls.key_file: cannot load a PEM private key from \(t.keyFile): \(error)")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }

    /// The API router (`APIResponder` stamps each request's listener before it), behind `middlewares`.
    static func apiRouter(_ s: APIServices, middlewares: APIMiddlewares? = nil) -> Router<KataRequestContext> {
        let router = Router(context: KataRequestContext.self)
        (middlewares ?? APIMiddlewares(s)).add(to: router)
        SystemRoutes.add(to: router, s)
        OpenAPIRoutes.add(to: router, s)
        ProjectRoutes.add(to: router, s)
        IssueRoutes.add(to: router, s)
        QueryRoutes.add(to: router, s)
        EventRoutes.add(to: router, s)
        TokenRoutes.add(to: router.group("api/v1"), s)
        TokenRoutes.addWhoAmI(to: router, s)
        UserRoutes.add(to: router.group("api/v1"), s)
        AuthRoutes.add(to: router, s)
        PortabilityRoutes.add(to: router, s)
        return router
    }

    /// What serves one API listener (see `APIResponder`).
    static func apiResponder(_ s: APIServices, listener: ListenerInfo) -> APIResponder {
        let middlewares = APIMiddlewares(s)
        return APIResponder(router: apiRouter(s, middlewares: middlewares), listener: listener, middlewares: middlewares, services: s)
    }

    /// The admin socket's router: administration routes only.
    static func adminRouter(_ s: APIServices, listener: ListenerInfo) -> Router<KataRequestContext> {
        let router = Router(context: KataRequestContext.self)
        router.add(middleware: ErrorEnvelopeMiddleware())
        router.add(middleware: ListenerMiddleware(listener: listener))
        router.add(middleware: BrowserDefenseMiddleware())
        router.add(middleware: AdminGuardMiddleware(token: s.authPolicy.token))
        AdminRoutes.add(to: router, s)
        TokenRoutes.add(to: router.group("admin/v1"), s)
        UserRoutes.add(to: router.group("admin/v1"), s)
        BackupRoutes.add(to: router, s)
        return router
    }

    func application(responder: some HTTPResponder<KataRequestContext>, address: ListenAddress) throws -> some ApplicationProtocol {
        let bind: BindAddress
        var server: HTTPServerBuilder = .http1(configuration: .init(idleTimeout: .seconds(120)))
        switch address {
        case .unix(let path): bind = .unixDomainSocket(path: path)
        case .tcp(let host, let port):
            bind = .hostname(host, port: port)
            if let tls { server = try .tls(server, tlsConfiguration: tls) }
        }
        let logger = self.logger
        return Application(
            responder: responder,
            server: server,
            configuration: ApplicationConfiguration(address: bind, serverName: nil),
            onServerRunning: { channel in
                if case .unix(let path) = address { chmod(path, 0o600) }
                logger.info("listening", metadata: ["address": "\(address)"])
            },
            logger: logger)
    }

    /// Runs until SIGTERM/SIGINT, then drains in-flight requests.
    func run() async throws {
        var all: [any Service] = []
        for address in listeners {
            let info = ListenerInfo(address: address, isAdmin: false)
            all.append(try application(responder: Self.apiResponder(services, listener: info), address: address))
        }
        let adminAddress = ListenAddress.unix(path: adminSocket)
        all.append(
            try application(
                responder: Self.adminRouter(services, listener: ListenerInfo(address: adminAddress, isAdmin: true)).buildResponder(),
                address: adminAddress))
        // Last in the list, so it is shut down first: open streams end before the listeners drain.
        all.append(TokenUsageService(usage: services.tokenUsage, store: services.store, logger: logger))
        all.append(StreamService(broadcaster: services.broadcaster))
        let group = ServiceGroup(
            configuration: .init(services: all, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Stamps the listener onto each request's context.
struct ListenerMiddleware: RouterMiddleware {
    let listener: ListenerInfo

    func handle(
        _ request: Request, context: KataRequestContext, next: (Request, KataRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.listener = listener
        return try await next(request, context)
    }
}
