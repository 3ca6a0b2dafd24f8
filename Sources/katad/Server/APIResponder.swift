import Hummingbird
import HummingbirdCore

/// What serves one API listener: stamps the listener on each request's context, and hands the request to
/// the router, except its most frequent request, `GET /api/v1/projects/{id}/issues/{number}` (`kata
/// show`, an agent reading its issue), which is matched in front of the router.
///
/// Hummingbird resolves every request's path in its trie before any middleware runs, walking the path by
/// `Character`s: under reads of one issue that was about a tenth of katad's instructions per request
/// (callgrind, bench/README.md). Here a path of exactly that shape (both parameters digits) goes straight
/// to the same handler as the router's route (`IssueRoutes.show`) behind the same middlewares
/// (`APIMiddlewares`, called directly), with the same parameters as arguments. Every other request, that path with
/// anything but digits included, goes through the router as before.
struct APIResponder: HTTPResponder {
    typealias Context = KataRequestContext
    let listener: ListenerInfo
    let router: RouterResponder<Context>
    let middlewares: APIMiddlewares
    let services: APIServices

    /// The router's responder; `middlewares` are the router's own.
    init(router: Router<Context>, listener: ListenerInfo, middlewares: APIMiddlewares, services: APIServices) {
        self.listener = listener
        self.router = router.buildResponder()
        self.middlewares = middlewares
        self.services = services
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        var context = context
        context.listener = listener
        // An id that is not a positive Int64 (too many digits, zero) goes to the router, which refuses it.
        guard request.method == .get, let (id, number) = Self.issueReadParameters(request.uri.path), let projectId = Int64(id), projectId > 0
        else {
            return try await router.respond(to: request, context: context)
        }
        // The handler gets its parameters as arguments: Hummingbird's `FlatDictionary` of parameters, which
        // is not specialized outside its module, hashed each key at every set and get.
        context.coreContext.endpointPath.value = IssueRoutes.showPath
        let ref = String(number)
        return try await middlewares.run(request, context: context) { request, _ in
            try await IssueRoutes.show(services, request, projectId: projectId, ref: ref)
        }
    }

    /// `id` and `ref` of a path `/api/v1/projects/{id}/issues/{ref}` whose two parameters are digits, or
    /// nil for any other path.
    static func issueReadParameters(_ path: String) -> (id: Substring, ref: Substring)? {
        var path = path
        guard let (idStart, idEnd, refStart) = path.withUTF8({ Self.issueReadRanges($0) }) else { return nil }
        let utf8 = path.utf8
        let at = { (offset: Int) in utf8.index(utf8.startIndex, offsetBy: offset) }
        return (Substring(utf8[at(idStart)..<at(idEnd)]), Substring(utf8[at(refStart)...]))
    }

    private static let prefix = Array("/api/v1/projects/".utf8), middle = Array("/issues/".utf8)

    /// The byte offsets of `id` (start, end) and of `ref` (start; it runs to the end) in such a path.
    private static func issueReadRanges(_ p: UnsafeBufferPointer<UInt8>) -> (Int, Int, Int)? {
        guard p.count > prefix.count, p.starts(with: prefix) else { return nil }
        var i = prefix.count
        while i < p.count, isDigit(p[i]) { i += 1 }
        let idEnd = i
        guard idEnd > prefix.count, p.count > idEnd + middle.count, UnsafeBufferPointer(rebasing: p[idEnd...]).starts(with: middle) else {
            return nil
        }
        let refStart = idEnd + middle.count
        for j in refStart..<p.count where !isDigit(p[j]) { return nil }
        return (prefix.count, idEnd, refStart)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
}
