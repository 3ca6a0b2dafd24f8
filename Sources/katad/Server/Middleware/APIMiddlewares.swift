import Hummingbird

/// The middlewares of every API route, in their order: the error envelope outermost, then the browser
/// defence, then authentication. The router adds them (`add(to:)`); `APIResponder` runs the same ones in
/// front of the one request it answers without the router (`run(_:context:_:)`).
struct APIMiddlewares: Sendable {
    typealias Context = KataRequestContext
    let envelope = ErrorEnvelopeMiddleware<Context>()
    let defense = BrowserDefenseMiddleware<Context>()
    let auth: AuthMiddleware

    init(_ s: APIServices) {
        auth = AuthMiddleware(policy: s.authPolicy, throttle: s.throttle, store: s.store, usage: s.tokenUsage)
    }

    func add(to router: Router<Context>) {
        router.add(middleware: envelope)
        router.add(middleware: defense)
        router.add(middleware: auth)
    }

    /// `handler` behind the three, called directly: the router's chain of `MiddlewareResponder`s allocates
    /// a closure per middleware and request, and reaches each middleware through a protocol witness.
    func run(
        _ request: Request, context: Context, _ handler: (Request, Context) async throws -> Response
    ) async throws -> Response {
        try await envelope.handle(request, context: context) { request, context in
            try await defense.handle(request, context: context) { request, context in
                try await auth.handle(request, context: context, next: handler)
            }
        }
    }
}
