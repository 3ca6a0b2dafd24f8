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

/// Events delivered together, with their frames joined once for every subscriber that receives them.
struct EventRun: Sendable {
    let events: [EncodedEvent]
    /// Every event's frame, in order, in one buffer.
    let frames: ByteBuffer

    init(_ events: [EncodedEvent]) {
        self.events = events
        var frames = ByteBuffer()
        for e in events { frames.writeImmutableBuffer(e.frame) }
        self.frames = frames
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
    case events(EventRun)
    case reset(projectId: Int64, cursor: Int64)
    case keepalive
}

/// A subscriber's undelivered items. The broadcaster pushes; the stream's writer takes everything pending
/// at once (`takeAll`), so a subscriber that fell behind catches up with one write, not one per event.
/// It holds at most `limit` items: a push beyond that drops the item and finishes the mailbox (the
/// stream ends after what it holds, and the client resumes from its cursor).
final class StreamMailbox: AsyncSequence, Sendable {
    typealias Element = StreamItem

    enum PushResult { case enqueued, dropped, finished }

    private struct State {
        var items: [StreamItem] = []
        var finished = false
        var cancelled = false
        var terminated = false
        var waiter: CheckedContinuation<Void, Never>?
        var onTermination: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Called once, when the reader sees the end (finished and drained, or its task cancelled).
    func setOnTermination(_ body: @escaping @Sendable () -> Void) {
        state.withLock { $0.onTermination = body }
    }

    func push(_ item: StreamItem) -> PushResult {
        push(contentsOf: [item])
    }

    /// Adds items in order, waking the reader once; if they do not all fit, none is added and the
    /// mailbox is finished.
    func push(contentsOf new: [StreamItem]) -> PushResult {
        let (result, waiter) = state.withLock { s -> (PushResult, CheckedContinuation<Void, Never>?) in
            if s.finished { return (.finished, nil) }
            if s.items.count + new.count > limit {
                s.finished = true
                defer { s.waiter = nil }
                return (.dropped, s.waiter)
            }
            s.items += new
            defer { s.waiter = nil }
            return (.enqueued, s.waiter)
        }
        waiter?.resume()
        return result
    }

    /// How many items wait for the reader (tests).
    var pendingCount: Int { state.withLock { $0.items.count } }

    /// No more items: the reader gets what is pending, then the end.
    func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Everything pending, after waiting for at least one item; nil at the end.
    func takeAll() async -> [StreamItem]? {
        while true {
            let taken = state.withLock { s -> [StreamItem]? in
                if !s.items.isEmpty {
                    defer { s.items = [] }
                    return s.items
                }
                return nil
            }
            if let taken { return taken }
            let ended = state.withLock { s -> Bool in s.finished || s.cancelled || Task.isCancelled }
            if ended {
                terminate()
                return nil
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now = state.withLock { s -> Bool in
                        if !s.items.isEmpty || s.finished || s.cancelled { return true }
                        s.waiter = c
                        return false
                    }
                    if now { c.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                    s.cancelled = true
                    defer { s.waiter = nil }
                    return s.waiter
                }
                waiter?.resume()
            }
        }
    }

    private func terminate() {
        let body = state.withLock { s -> (@Sendable () -> Void)? in
            if s.terminated { return nil }
            s.terminated = true
            s.finished = true
            return s.onTermination
        }
        body?()
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let mailbox: StreamMailbox
        var pending: [StreamItem] = []
        var index = 0

        mutating func next() async -> StreamItem? {
            if index == pending.count {
                guard let batch = await mailbox.takeAll() else { return nil }
                pending = batch
                index = 0
            }
            defer { index += 1 }
            return pending[index]
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(mailbox: self) }
}

/// Fans committed events out to stream subscribers.
///
/// `publish` is called on the database writer right after each commit, so subscribers see events in
/// commit order. Each subscriber has a bounded mailbox; one that falls behind is dropped (its stream ends)
/// and resumes from its cursor when it reconnects, so a slow client never slows a writer.
///
/// With a `coalesce` interval, what is published goes out at most once per interval: every stream is one
/// wake-up and one socket write per delivery whatever the number of commits, which is what lets a
/// thousand subscribers keep up with hundreds of small commits a second. Publishing then only appends to
/// a list, so the writer no longer waits for the fan-out either. A publish after a quiet interval goes
/// out at once. Without it (the default, for tests), each publish is delivered before it returns.
final class EventBroadcaster: Sendable {
    struct Subscriber {
        let projectId: Int64?
        let mailbox: StreamMailbox
    }

    struct State {
        var nextId = 0
        var subscribers: [Int: Subscriber] = [:]
        var closed = false
    }

    /// One thing to deliver, in order.
    enum Published {
        case events([Event], purge: PurgeNotice?)
        case keepalive
    }

    private let state = Mutex(State())
    /// What was published since the last delivery.
    private let pending = Mutex<[Published]>([])
    /// Paces deliveries, one at a time; nil delivers each publish at once.
    private let delivery: Pacer?
    /// How many undelivered items a subscriber may hold before it is disconnected.
    let bufferLimit: Int

    /// `coalesce`: the least time between two deliveries; zero delivers each publish at once.
    init(bufferLimit: Int = 1024, coalesce: Duration = .zero) {
        self.bufferLimit = bufferLimit
        delivery = coalesce > .zero ? Pacer(label: "kata.events", interval: coalesce) : nil
    }

    /// Registers a subscriber; `projectId` nil means every visible project.
    func subscribe(projectId: Int64?) -> (id: Int, stream: StreamMailbox) {
        let mailbox = StreamMailbox(limit: bufferLimit)
        let id = state.withLock { s -> Int in
            s.nextId += 1
            if s.closed {
                mailbox.finish()
            } else {
                s.subscribers[s.nextId] = Subscriber(projectId: projectId, mailbox: mailbox)
            }
            return s.nextId
        }
        mailbox.setOnTermination { [weak self] in self?.unsubscribe(id) }
        return (id, mailbox)
    }

    func unsubscribe(_ id: Int) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: id) }
    }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Delivers committed events (and a purge's reset notice) to every matching subscriber.
    func publish(_ events: [Event], purge: PurgeNotice?) {
        if events.isEmpty && purge == nil { return }
        enqueue(.events(events, purge: purge))
    }

    /// Sends a keepalive to every subscriber.
    func keepalive() {
        enqueue(.keepalive)
    }

    /// Ends every stream (graceful shutdown) and refuses new subscribers, after delivering what was
    /// published before.
    func close() {
        delivery?.runNow { deliverPending() }
        let subs = state.withLock { s -> [Subscriber] in
            s.closed = true
            let all = Array(s.subscribers.values)
            s.subscribers.removeAll()
            return all
        }
        for sub in subs { sub.mailbox.finish() }
    }

    private func enqueue(_ item: Published) {
        guard let delivery else { return deliver([item]) }
        pending.withLock { $0.append(item) }
        delivery.signal { self.deliverPending() }
    }

    private func deliverPending() {
        let published = pending.withLock { p -> [Published] in
            defer { p = [] }
            return p
        }
        if !published.isEmpty { deliver(published) }
    }

    /// Hands each subscriber its share of `published`, in order, in one push: a run of events as one item,
    /// a purge's reset before the events committed with it. Subscribers of the same scope (all projects,
    /// or one project) share one list of items, built once.
    private func deliver(_ published: [Published]) {
        let subs = state.withLock { Array($0.subscribers) }
        if subs.isEmpty { return }
        let encoded: [(events: [EncodedEvent], purge: PurgeNotice?)?] = published.map {
            switch $0 {
            case .events(let events, let purge): return (events.map(EncodedEvent.init), purge)
            case .keepalive: return nil
            }
        }
        var byScope: [Int64?: [StreamItem]] = [:]
        for (id, sub) in subs {
            let items = byScope[sub.projectId] ?? Self.items(encoded, scope: sub.projectId)
            byScope[sub.projectId] = items
            if !items.isEmpty, sub.mailbox.push(contentsOf: items) != .enqueued { unsubscribe(id) }
        }
    }

    /// What a subscriber of `scope` (nil: every project) receives of `encoded` (nil entries: keepalives).
    private static func items(_ encoded: [(events: [EncodedEvent], purge: PurgeNotice?)?], scope: Int64?) -> [StreamItem] {
        var items: [StreamItem] = []
        var run: [EncodedEvent] = []
        func endRun() {
            if !run.isEmpty { items.append(.events(EventRun(run))) }
            run = []
        }
        for group in encoded {
            guard let group else {
                endRun()
                items.append(.keepalive)
                continue
            }
            if let purge = group.purge, scope == nil || scope == purge.projectId {
                endRun()
                items.append(.reset(projectId: purge.projectId, cursor: purge.resetCursor))
            }
            run += scope.map { p in group.events.filter { $0.event.projectId == p } } ?? group.events
        }
        endRun()
        return items
    }
}
