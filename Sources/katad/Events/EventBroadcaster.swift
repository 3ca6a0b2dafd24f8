import NIOCore
import Shared
import Synchronization

/// An event with its SSE frame, encoded once however many subscribers receive it.
struct EncodedEvent: Sendable {
    let event: Event
    let frame: ByteBuffer
    var id: Int64 { event.id }
    var type: String { event.type }

    init(_ event: Event) {
        self.event = event
        frame = SSEFrame.event(event)
    }
}

/// Server-sent event frames.
enum SSEFrame {
    static func event(_ e: Event) -> ByteBuffer {
        ByteBuffer(string: "id: \(e.id)\nevent: \(e.type)\ndata: \(KataJSON.line(e))\n\n")
    }

    static func reset(_ cursor: Int64) -> ByteBuffer {
        ByteBuffer(string: "id: \(cursor)\nevent: sync.reset_required\ndata: {\"cursor\":\(cursor),\"reset_required\":true}\n\n")
    }
}

/// What a stream subscriber receives.
enum StreamItem: Sendable {
    case events([EncodedEvent])
    case reset(projectId: Int64, cursor: Int64)
    case keepalive
}

/// Fans committed events out to stream subscribers.
///
/// `publish` is called synchronously on the database writer right after each commit, so subscribers see
/// events in commit order. Each subscriber has a bounded buffer; one that falls behind is dropped (its
/// stream ends) and resumes from its cursor when it reconnects, so a slow client never slows a writer.
final class EventBroadcaster: Sendable {
    struct Subscriber {
        let projectId: Int64?
        let continuation: AsyncStream<StreamItem>.Continuation
    }

    struct State {
        var nextId = 0
        var subscribers: [Int: Subscriber] = [:]
        var closed = false
    }

    private let state = Mutex(State())
    /// How many undelivered items a subscriber may hold before it is disconnected.
    let bufferLimit: Int

    init(bufferLimit: Int = 1024) {
        self.bufferLimit = bufferLimit
    }

    /// Registers a subscriber; `projectId` nil means every visible project.
    func subscribe(projectId: Int64?) -> (id: Int, stream: AsyncStream<StreamItem>) {
        let (stream, continuation) = AsyncStream<StreamItem>.makeStream(bufferingPolicy: .bufferingOldest(bufferLimit))
        let id = state.withLock { s -> Int in
            s.nextId += 1
            if s.closed {
                continuation.finish()
            } else {
                s.subscribers[s.nextId] = Subscriber(projectId: projectId, continuation: continuation)
            }
            return s.nextId
        }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        return (id, stream)
    }

    func unsubscribe(_ id: Int) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: id) }
    }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Delivers committed events (and a purge's reset notice) to every matching subscriber.
    func publish(_ events: [Event], purge: PurgeNotice?) {
        let subs = state.withLock { Array($0.subscribers) }
        if subs.isEmpty { return }
        let encoded = events.map(EncodedEvent.init)
        for (id, sub) in subs {
            var items: [StreamItem] = []
            if let purge, sub.projectId == nil || sub.projectId == purge.projectId {
                items.append(.reset(projectId: purge.projectId, cursor: purge.resetCursor))
            }
            let mine = sub.projectId.map { p in encoded.filter { $0.event.projectId == p } } ?? encoded
            if !mine.isEmpty { items.append(.events(mine)) }
            for item in items {
                if case .dropped = sub.continuation.yield(item) {
                    sub.continuation.finish()
                    unsubscribe(id)
                    break
                }
            }
        }
    }

    /// Sends a keepalive to every subscriber.
    func keepalive() {
        let subs = state.withLock { Array($0.subscribers.values) }
        for sub in subs { sub.continuation.yield(.keepalive) }
    }

    /// Ends every stream (graceful shutdown) and refuses new subscribers.
    func close() {
        let subs = state.withLock { s -> [Subscriber] in
            s.closed = true
            let all = Array(s.subscribers.values)
            s.subscribers.removeAll()
            return all
        }
        for sub in subs { sub.continuation.finish() }
    }
}
