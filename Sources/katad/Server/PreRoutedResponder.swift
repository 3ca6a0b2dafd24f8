import Hummingbird
import HummingbirdCore

/// The API's router, with its most frequent request, `GET /api/v1/projects/{id}/issues/{number}` (`kata
/// show`, an agent reading its issue), matched in front of it.
///
/// Hummingbird resolves every request's path in its trie before any middleware runs, walking the path by
/// `Character`s: under reads of one issue that was about a tenth of katad's instructions per request
/// (callgrind, bench/README.md). Here a path of exactly that shape (both parameters digits) goes straight
/// to `issueRead`: the same handler as the router's route (`IssueRoutes.show`) behind the same middlewares,
/// with the same parameters. Every other request, that path with anything but digits included, goes
/// through the router as before.
struct PreRoutedResponder: HTTPResponder {
    typealias Context = KataRequestContext
    let router: RouterResponder<Context>
    let issueRead: any HTTPResponder<Context>

    /// The router's responder, and `IssueRoutes.show` behind the router's middlewares.
    init(router: Router<Context>, services: APIServices) {
        self.router = router.buildResponder()
        issueRead = router.middlewares.constructResponder(finalResponder: CallbackResponder(callback: IssueRoutes.show(services)))
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .get, let (id, ref) = Self.issueReadParameters(request.uri.path) else {
            return try await router.respond(to: request, context: context)
        }
        var context = context
        context.coreContext.parameters = ["id": id, "ref": ref]
        context.coreContext.endpointPath.value = IssueRoutes.showPath
        return try await issueRead.respond(to: request, context: context)
    }

    /// `id` and `ref` of a path `/api/v1/projects/{id}/issues/{ref}` whose two parameters are digits, or
    /// nil for any other path.
    static func issueReadParameters(_ path: String) -> (id: Substring, ref: Substring)? {
        let prefix = "/api/v1/projects/", middle = "/issues/"
        guard path.utf8.starts(with: prefix.utf8) else { return nil }
        let rest = path.utf8.dropFirst(prefix.utf8.count)
        guard let idEnd = rest.firstIndex(where: { !isDigit($0) }), idEnd > rest.startIndex,
            rest[idEnd...].starts(with: middle.utf8)
        else { return nil }
        let ref = rest[idEnd...].dropFirst(middle.utf8.count)
        guard !ref.isEmpty, ref.allSatisfy(isDigit) else { return nil }
        return (Substring(rest[..<idEnd]), Substring(ref))
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
}
