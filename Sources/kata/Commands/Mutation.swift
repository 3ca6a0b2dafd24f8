import Shared

/// Sends one issue mutation and prints its answer.
func sendMutation(
    _ session: Session, _ out: Output, _ method: String, _ path: String, body: (any Encodable)?, headers: [(String, String)] = [],
    verb: String
) throws(ErrorEnvelope) {
    let answer = try session.client().send(method, path, body: body, headers: headers)
    printMutation(out, answer, verb: verb)
}

func printMutation(_ out: Output, _ answer: HTTPAnswer, verb: String) {
    if out.json { return out.raw(answer.body) }
    guard let m = try? KataClient.decode(MutationAnswer.self, answer) else { return out.raw(answer.body) }
    out.line(m.changed ? "\(verb) #\(m.issue.number) \(m.issue.title)" : "#\(m.issue.number) unchanged (already so)")
}
