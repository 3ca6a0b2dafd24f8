import Foundation
import Shared
import Testing

@testable import katad

func event(_ id: Int64, project: Int64 = 1) -> Shared.Event {
    Shared.Event(
        id: id, uid: ULID().string, type: "issue.updated", actor: "a", projectId: project, projectName: "p\(project)",
        issueUid: nil, issueNumber: 1, payload: [:], createdAt: Timestamp.now())
}

/// The event ids in stream items, in order (resets as negative cursors, keepalives as 0).
func ids(_ items: [StreamItem]) -> [Int64] {
    items.flatMap { item -> [Int64] in
        switch item {
        case .events(let run): return run.events.map(\.id)
        case .reset(_, let cursor): return [-cursor]
        case .keepalive: return [0]
        }
    }
}

@Suite("EventBroadcaster")
struct BroadcasterTests {
    @Test func aSubscriberReceivesEventsInOrder() async throws {
        let b = EventBroadcaster()
        let (_, stream) = b.subscribe(projectId: nil)
        b.publish([event(1), event(2)], purge: nil)
        b.publish([event(3)], purge: nil)
        b.publish([], purge: nil)  // nothing to deliver
        b.keepalive()
        b.publish([event(4)], purge: PurgeNotice(projectId: 1, resetCursor: 9))
        b.close()
        var items: [StreamItem] = []
        for await item in stream { items.append(item) }
        #expect(ids(items) == [1, 2, 3, 0, -9, 4])
    }

    @Test func projectSubscribersSeeOnlyTheirProject() async throws {
        let b = EventBroadcaster()
        let (_, mine) = b.subscribe(projectId: 1)
        let (_, all) = b.subscribe(projectId: nil)
        b.publish([event(1, project: 1), event(2, project: 2), event(3, project: 1)], purge: nil)
        b.publish([event(4, project: 2)], purge: PurgeNotice(projectId: 2, resetCursor: 5))
        b.publish([], purge: PurgeNotice(projectId: 1, resetCursor: 6))
        b.close()
        var a: [StreamItem] = []
        for await item in mine { a.append(item) }
        var c: [StreamItem] = []
        for await item in all { c.append(item) }
        #expect(ids(a) == [1, 3, -6], "a purge in project 2 must not reset project 1's stream")
        #expect(ids(c) == [1, 2, 3, -5, 4, -6])
    }

    @Test func aSubscriberThatNeverReadsIsDroppedWhileOthersGetEverything() async throws {
        let b = EventBroadcaster(bufferLimit: 2)
        let (_, slow) = b.subscribe(projectId: nil)
        let (_, fast) = b.subscribe(projectId: nil)
        #expect(b.subscriberCount == 2)
        var iterator = fast.makeAsyncIterator()
        var received: [Int64] = []
        for id in Int64(1)...6 {
            b.publish([event(id)], purge: nil)
            if case .events(let run)? = await iterator.next() { received += run.events.map(\.id) }
        }
        #expect(received == [1, 2, 3, 4, 5, 6])
        #expect(b.subscriberCount == 1, "the slow subscriber should have been disconnected")
        // The slow stream ends after what it buffered; its client resumes from its cursor.
        var slowItems: [StreamItem] = []
        for await item in slow { slowItems.append(item) }
        #expect(ids(slowItems) == [1, 2])
        // The fast one is still live.
        b.publish([event(7)], purge: nil)
        if case .events(let run)? = await iterator.next() { #expect(run.events.map(\.id) == [7]) } else {
            Testing.Issue.record("fast subscriber stopped receiving")
        }
    }

    @Test func aSubscriberThatFellBehindTakesEverythingPendingAtOnce() async throws {
        let b = EventBroadcaster()
        let (_, mailbox) = b.subscribe(projectId: nil)
        b.publish([event(1)], purge: nil)
        b.publish([event(2), event(3)], purge: nil)
        b.keepalive()
        b.publish([event(4)], purge: PurgeNotice(projectId: 1, resetCursor: 9))
        // One take returns all four publishes (one write on the wire), in order.
        let first = try #require(await mailbox.takeAll())
        #expect(ids(first) == [1, 2, 3, 0, -9, 4])
        b.publish([event(10)], purge: nil)
        #expect(ids(try #require(await mailbox.takeAll())) == [10])
        b.close()
        #expect(await mailbox.takeAll() == nil, "a closed, drained mailbox ends the stream")
    }

    @Test func closeEndsStreamsAndRefusesNewSubscribers() async throws {
        let b = EventBroadcaster()
        let (_, s1) = b.subscribe(projectId: nil)
        let (_, s2) = b.subscribe(projectId: 3)
        let reader = Task { () -> Int in
            var n = 0
            for await _ in s1 { n += 1 }
            return n
        }
        b.publish([event(1)], purge: nil)
        b.close()
        #expect(await reader.value == 1)
        var count = 0
        for await _ in s2 { count += 1 }
        #expect(count == 0)
        #expect(b.subscriberCount == 0)
        let (_, late) = b.subscribe(projectId: nil)
        b.publish([event(2)], purge: nil)
        var lateCount = 0
        for await _ in late { lateCount += 1 }
        #expect(lateCount == 0)
        #expect(b.subscriberCount == 0)
    }

    @Test func aCancelledReaderUnsubscribes() async throws {
        let b = EventBroadcaster()
        let (_, stream) = b.subscribe(projectId: nil)
        let reader = Task {
            for await _ in stream {}
        }
        #expect(b.subscriberCount == 1)
        reader.cancel()
        #expect(await eventually { b.subscriberCount == 0 })
        let (id, _) = b.subscribe(projectId: nil)
        b.unsubscribe(id)
        #expect(b.subscriberCount == 0)
    }

    @Test func storeCommitsReachSubscribersWithTheirDatabaseIds() async throws {
        let b = EventBroadcaster()
        let store = try Store.inMemory(onCommit: { events, purge in b.publish(events, purge: purge) })
        let project = try await store.addProject("alpha")
        let (_, stream) = b.subscribe(projectId: project.id)
        let created = try await store.createIssue(projectId: project.id, CreateIssueRequest(title: "One"), actor: "a")
        _ = try await store.close(projectId: project.id, ref: "1", reason: nil, message: "done now", actor: "a")
        _ = try await store.close(projectId: project.id, ref: "1", reason: nil, message: nil, actor: "a")  // no-op: nothing published
        await #expect(throws: KataError.self) { try await store.comment(projectId: project.id, ref: "1", body: " ", actor: "a") }
        let purged = try await store.purge(projectId: project.id, ref: "1", confirm: "PURGE #1", reason: nil, actor: "a")
        b.close()
        var items: [StreamItem] = []
        for await item in stream { items.append(item) }
        let firstId = try #require(created.event?.id)
        #expect(ids(items) == [firstId, firstId + 1, firstId + 2, -purged.purge.resetCursor])
        if case .events(let batch) = items[1] { #expect(batch.events.map(\.type) == ["issue.commented", "issue.closed"]) }
    }

    /// With an interval, what is published within it after a delivery waits, then goes out in one push:
    /// one wake-up and one write per stream instead of one per commit.
    @Test func publishesWithinTheIntervalGoOutTogether() async throws {
        // A loaded test run can hold this task back for longer than the interval (300 ms did, and once,
        // in a full parallel run on 2 cores, 2 s did). What is asserted needs the publishes to happen
        // within the interval of the first delivery, which starts after `start`: an attempt that took
        // longer proves nothing and is made again.
        let interval = Duration.seconds(2)
        for attempt in 1...3 {
            let b = EventBroadcaster(coalesce: interval)
            defer { b.close() }
            let (_, mailbox) = b.subscribe(projectId: nil)
            let start = ContinuousClock.now
            b.publish([event(1)], purge: nil)  // after a quiet spell: at once
            #expect(ids(try #require(await mailbox.takeAll())) == [1])
            b.publish([event(2)], purge: nil)
            b.publish([event(3), event(4)], purge: nil)
            let held = mailbox.pendingCount
            guard ContinuousClock.now - start < interval else {
                if attempt == 3 { Issue.record("3 attempts were each held back longer than the interval") }
                continue
            }
            #expect(held == 0, "published within the interval: held back")
            let together = try #require(await mailbox.takeAll())
            #expect(together.count == 1, "one run of events, one push")
            #expect(ids(together) == [2, 3, 4])
            return
        }
    }

    /// Closing delivers what was published before it, in order, before the streams end.
    @Test func closeDeliversWhatWasPublishedFirst() async throws {
        let b = EventBroadcaster(coalesce: .seconds(10))
        let (_, all) = b.subscribe(projectId: nil)
        let (_, two) = b.subscribe(projectId: 2)
        b.publish([event(1)], purge: nil)
        b.publish([event(2, project: 2), event(3)], purge: nil)
        b.keepalive()
        b.publish([event(4)], purge: PurgeNotice(projectId: 1, resetCursor: 9))
        b.close()
        var items: [StreamItem] = []
        for await item in all { items.append(item) }
        #expect(ids(items) == [1, 2, 3, 0, -9, 4])
        var mine: [StreamItem] = []
        for await item in two { mine.append(item) }
        #expect(ids(mine) == [2, 0])
    }
}
