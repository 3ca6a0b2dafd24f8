import Hummingbird
import Shared

/// `/tokens` (API listeners and the admin socket) and `/whoami`.
enum TokenRoutes {
    static func add(to group: RouterGroup<KataRequestContext>, _ s: APIServices) {
        let tokens = group.group("tokens")
        tokens.post { request, context in
            try requireAdmin(context)
            let req = try await RequestDecoding.body(CreateTokenRequest.self, from: request)
            let by = try creator(context, request)
            return JSONResponse.make(try await s.store.createToken(req, createdBy: by), status: .created)
        }
        tokens.get { _, context in
            try requireAdmin(context)
            let list = try await s.store.listTokens().map { t -> APIToken in
                var t = t
                if let used = s.tokenUsage.lastUsed(t.id) { t.lastUsedAt = used }
                return t
            }
            return JSONResponse.make(TokenListAnswer(tokens: list))
        }
        tokens.delete(":tid") { request, context in
            try requireAdmin(context)
            let raw = context.parameters.get("tid") ?? ""
            guard let id = Int64(raw), id > 0 else { throw KataError(404, .notFound, "no token with id \(raw)", hint: "list tokens with `kata tokens list`") }
            var answer = try await s.store.revokeToken(id: id, by: try creator(context, request))
            if let used = s.tokenUsage.lastUsed(id) { answer.token.lastUsedAt = used }
            return JSONResponse.make(answer)
        }
    }

    static func addWhoAmI(to router: Router<KataRequestContext>, _ s: APIServices) {
        router.get("api/v1/whoami") { request, context in
            let claimed = request.uri.queryParameters["actor"].map(String.init)
            var expires: String?
            var tokenId: Int64?
            if case .token(let t) = context.principal {
                expires = t.expiresAt
                tokenId = t.id
            }
            return JSONResponse.make(
                WhoAmIAnswer(
                    actor: try context.actor(claimed), principal: context.principal.kindName, role: context.principal.role.rawValue,
                    tokenId: tokenId, expiresAt: expires))
        }
    }

    /// Token administration needs the bootstrap token, an `admin` token, or a local no-auth caller.
    static func requireAdmin(_ context: KataRequestContext) throws {
        try context.require(.admin, to: "token administration")
    }

    /// Who is recorded as the creator or revoker: the token's actor, else the `actor` query/header claim, else the principal kind.
    static func creator(_ context: KataRequestContext, _ request: Request) throws -> String {
        // A trusted proxy's header never reaches token administration.
        var context = context
        context.proxyActor = nil
        if case .token(let t) = context.principal { return t.actor }
        let claimed = request.uri.queryParameters["by"].map(String.init)
        let name = try context.actor(claimed)
        return name == "anonymous" ? context.principal.kindName : name
    }
}
