import Foundation
import ArgumentParser
import Shared

/// `kata search`.
struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", 
        abstract: "Full-text search (BM25) over titles, bodies and comments, best first, with the score.",
        discussion: "FTS5 syntax: words, \"phrases\", prefix*, AND/OR/NOT. Example: kata search \"login crash\"")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The query.") var query: String
    @Option(help: "At most this many results (1-200).") var limit: Int?
    @Flag(name: .customLong("all-projects"), help: "Search every project.") var allProjects = false

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            var q: [(String, String)] = [("q", query)]
            if let limit { q.append(("limit", String(limit))) }
            let path = allProjects ? "/api/v1/search" : "/api/v1/projects/\(try session.project().id)/search"
            let answer = try session.client().send("GET", path + URLEncoding.query(q))
            if out.json { return out.raw(answer.body) }
            let hits = try KataClient.decode(SearchAnswer.self, answer).results
            if hits.isEmpty { out.line("no matches") }
            for h in hits { out.line(String(format: "%.3f  ", h.score) + Format.issueLine(h.issue)) }
        }
    }
}
