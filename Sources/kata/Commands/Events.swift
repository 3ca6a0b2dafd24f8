import ArgumentParser
import Foundation
import Shared

/// `kata events`: poll the event log, or follow the SSE stream.
struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", 
        abstract: "Show the event log; --follow tails the live stream and reconnects with its cursor.",
        discussion: "Example: kata events --after 120 --limit 50")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only events after this id.") var after: Int64?
    @Option(help: "At most this many (1-1000).") var limit: Int?
    @Flag(help: "Follow the live stream (Ctrl-C to stop).") var follow = false
    @Flag(name: .customLong("all-projects"), help: "Every project's events.") var allProjects = false

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            let scope: Int64? = (allProjects || !session.hasProjectContext) ? nil : try session.project().id
            if follow { return try followStream(session, out, scope) }
            var q: [(String, String)] = [("after_id", String(after ?? 0))]
            if let limit { q.append(("limit", String(limit))) }
            let path = scope.map { "/api/v1/projects/\($0)/events" } ?? "/api/v1/events"
            let answer = try session.client().send("GET", path + URLEncoding.query(q))
            if out.json { return out.raw(answer.body) }
            let poll = try KataClient.decode(EventPollAnswer.self, answer)
            if poll.resetRequired { out.line("purged events: continue from --after \(poll.nextAfterId)") }
            for e in poll.events { out.line(Format.eventLine(e)) }
        }
    }

    func followStream(_ session: Session, _ out: Output, _ scope: Int64?) throws(ErrorEnvelope) {
        var cursor = after
        let client = try session.client()
        while true {
            var q: [(String, String)] = []
            if let scope { q.append(("project_id", String(scope))) }
            var headers = [("Accept", "text/event-stream")]
            if let cursor { headers.append(("Last-Event-ID", String(cursor))) }
            let conn: HTTPConnection
            do throws(ErrorEnvelope) {
                conn = try client.openStream("/api/v1/events/stream" + URLEncoding.query(q), headers: headers)
            } catch where error.error.code == ErrorCode.daemonUnavailable.rawValue {
                // The daemon is gone (restart, upgrade): wait and resume from the cursor.
                sleep(1)
                continue
            }
            do {
                let head = try conn.readHead()
                if head.status != 200 {
                    let answer = try conn.readAnswerBody(status: head.status, headers: head.headers)
                    throw KataClient.envelope(of: answer)
                }
                var text = ""
                while let chunk = try conn.readChunk() {
                    text += String(decoding: chunk, as: UTF8.self)
                    while let range = text.range(of: "\n\n") {
                        let block = String(text[..<range.lowerBound])
                        text = String(text[range.upperBound...])
                        if let id = handle(block, out) { cursor = id }
                    }
                }
            } catch let e as ErrorEnvelope {
                throw e
            } catch {
                // cut off: reconnect below with the cursor
            }
            sleep(1)
        }
    }

    /// Prints one SSE frame; returns its id.
    func handle(_ block: String, _ out: Output) -> Int64? {
        var id: Int64?
        var type = ""
        var data = ""
        for line in block.split(separator: "\n") {
            if line.hasPrefix(":") { continue }
            if line.hasPrefix("id: ") { id = Int64(line.dropFirst(4)) }
            if line.hasPrefix("event: ") { type = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
        }
        guard !data.isEmpty else { return id }
        if out.json {
            out.raw(Array(data.utf8))
        } else if type == "sync.reset_required" {
            out.line("events were purged; continuing from \(id ?? 0)")
        } else if let e = try? KataJSON.decoder().decode(Event.self, from: Data(data.utf8)) {
            out.line(Format.eventLine(e))
        }
        return id
    }
}
