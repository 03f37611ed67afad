import Foundation
import XCTest
@testable import TalkingHead

final class AnimatorTests: XCTestCase {
    /// Poses at `fps` from 0 for `seconds`, with `before(time)` called before each frame.
    private func run(_ animator: Animator, fps: Double, seconds: Double,
                     before: (Double) -> Void = { _ in }) -> [(time: Double, pose: PoseParameters)] {
        let count = Int((seconds * fps).rounded()) + 1
        return (0..<count).map { i in
            let t = Double(i) / fps
            before(t)
            return (t, animator.pose(at: t))
        }
    }

    private static let eyeAndMouth: Set<PoseParameter> = [
        .eyeWinkLeft, .eyeWinkRight, .mouthAaa, .mouthIii, .mouthUuu, .mouthEee, .mouthOoo,
    ]

    func testSeededAnimatorRepeatsItself() {
        let a = run(Animator(seed: 7), fps: 10, seconds: 20)
        let b = run(Animator(seed: 7), fps: 10, seconds: 20)
        let c = run(Animator(seed: 8), fps: 10, seconds: 20)
        XCTAssertEqual(a.map(\.pose), b.map(\.pose))
        XCTAssertNotEqual(a.map(\.pose), c.map(\.pose))
    }

    func testSameMotionAtFiveAndSixtyFramesPerSecond() throws {
        // Two emotion changes, each made right after the frame at 2.8 s and at 7.2 s in both
        // runs (at 5 fps: before the frames at 3.0 s and 7.4 s; at 60 fps: before 2.8167 s and
        // 7.2167 s), so both runs see them from the same moment.
        let slow = Animator(seed: 3), fast = Animator(seed: 3)
        func changes(_ animator: Animator) -> (Double) -> Void {
            { t in
                if abs(t - (2.8 + 1.0 / 60)) < 1e-9 || abs(t - 3.0) < 1e-9 { try? animator.setEmotion("surprise") }
                if abs(t - (7.2 + 1.0 / 60)) < 1e-9 || abs(t - 7.4) < 1e-9 { try? animator.setEmotion("sadness") }
            }
        }
        let s = run(slow, fps: 5, seconds: 12, before: changes(slow))
        let f = run(fast, fps: 60, seconds: 12, before: changes(fast))
        var compared = 0
        var largest: Float = 0
        for (t, pose) in s {
            let j = Int((t * 60).rounded())
            XCTAssertEqual(f[j].time, t, accuracy: 1e-9)
            for p in PoseParameter.allCases where !Self.eyeAndMouth.contains(p) {
                largest = max(largest, abs(pose[p] - f[j].pose[p]))
            }
            compared += 1
        }
        XCTAssertEqual(compared, 61)
        XCTAssertLessThan(largest, 2e-4, "5 fps and 60 fps poses differ by \(largest)")
        // And the motion is real: the emotions and the sway moved the pose.
        XCTAssertGreaterThan(s.last!.pose[.eyebrowTroubledLeft], 0.9)
        XCTAssertGreaterThan(Set(s.map { $0.pose[.headY] }).count, 50)
    }

    func testEasingHalfLife() throws {
        var settings = AnimatorSettings()
        settings.swayAmplitude = 0
        settings.swayJitter = 0
        let animator = Animator(settings: settings, seed: 1)
        _ = animator.pose(at: 10)
        try animator.setEmotion("surprise")
        let target = EmotionPresets.builtIn["surprise"]![.eyebrowRaisedLeft]
        let half = animator.pose(at: 10 + settings.easeHalfLife)[.eyebrowRaisedLeft]
        XCTAssertEqual(half, target / 2, accuracy: 0.002)
        let settled = animator.pose(at: 10 + 12 * settings.easeHalfLife)[.eyebrowRaisedLeft]
        XCTAssertEqual(settled, target, accuracy: 0.001)
    }

    /// Blinks in a 240 fps run: (start, end) of each span with the eyes not fully open.
    private func blinkSpans(_ frames: [(time: Double, pose: PoseParameters)]) -> [(Double, Double, Float)] {
        var spans: [(Double, Double, Float)] = []
        var open: Double?
        var peak: Float = 0
        for (t, pose) in frames {
            let v = pose[.eyeWinkLeft]
            XCTAssertEqual(v, pose[.eyeWinkRight], "both eyes blink together")
            if v > 0.001 {
                if open == nil { open = t; peak = 0 }
                peak = max(peak, v)
            } else if let s = open {
                spans.append((s, t, peak))
                open = nil
            }
        }
        return spans
    }

    func testBlinksCloseFullyAndLastAboutTwoTenthsOfASecondAFewSecondsApart() {
        let frames = run(Animator(seed: 11), fps: 240, seconds: 120)
        let spans = blinkSpans(frames)
        XCTAssertGreaterThan(spans.count, 20)  // 120 s at 2-5 s apart: 24-60 blinks
        XCTAssertLessThan(spans.count, 61)
        for (start, end, peak) in spans {
            XCTAssertEqual(peak, 1, accuracy: 1e-3)
            XCTAssertGreaterThanOrEqual(end - start, 0.15)
            XCTAssertLessThanOrEqual(end - start, 0.25)
        }
        for (a, b) in zip(spans, spans.dropFirst()) {
            XCTAssertGreaterThanOrEqual(b.0 - a.0, 2 - 0.01)
            XCTAssertLessThanOrEqual(b.0 - a.0, 5 + 0.01)
        }
    }

    func testEveryBlinkIsClosedInAFrameAtOnePointFourFramesPerSecond() {
        let reference = blinkSpans(run(Animator(seed: 5), fps: 240, seconds: 120)).count
        let slow = run(Animator(seed: 5), fps: 1.4, seconds: 120)
        let closed = slow.filter { $0.pose[.eyeWinkLeft] > 0.999 }.count
        XCTAssertEqual(closed, reference, "each of the \(reference) blinks closes the eyes in exactly one slow frame")
        XCTAssertGreaterThan(reference, 20)
    }

    func testTalkingMouthAtAboutTwelveChangesPerSecond() {
        let animator = Animator(seed: 2)
        animator.isTalking = true
        let frames = run(animator, fps: 240, seconds: 10)
        var changes = 0
        var state: Bool?
        for (_, pose) in frames {
            let v = pose[.mouthAaa] + pose[.mouthOoo] * 0 + pose[.mouthEee] * 0
            let open = max(v, pose[.mouthOoo], pose[.mouthEee])
            if open >= 0.25, state != true { if state != nil { changes += 1 }; state = true }
            if open < 0.1, state != false { if state != nil { changes += 1 }; state = false }
        }
        XCTAssertEqual(Double(changes) / 10, 12, accuracy: 1.5)
    }

    func testTalkingMouthOpensAndClosesInFramesSevenTenthsOfASecondApart() {
        let animator = Animator(seed: 4)
        animator.isTalking = true
        let frames = run(animator, fps: 1 / 0.7, seconds: 14)
        let openness = frames.map { MouthShapeOf($0.pose).openness }
        let opened = openness.filter { $0 >= 0.25 }.count, closed = openness.filter { $0 < 0.1 }.count
        XCTAssertGreaterThanOrEqual(opened, 9, "\(openness)")
        XCTAssertGreaterThanOrEqual(closed, 9, "\(openness)")
        // Open and closed alternate: never two open frames in a row.
        for (a, b) in zip(openness, openness.dropFirst()) {
            XCTAssertFalse(a >= 0.25 && b >= 0.25, "\(openness)")
        }
        animator.isTalking = false
        _ = animator.pose(at: 20)
        XCTAssertLessThan(MouthShapeOf(animator.pose(at: 21)).openness, 0.01)
    }

    func testMouthTrackReplacesTheTalkingMouthUntilItEnds() {
        let track = MouthTrack(frameRate: 10, shapes: (0..<20).map { MouthShape(ooo: $0 % 2 == 0 ? 0 : 0.8) })
        let animator = Animator(seed: 9)
        animator.isTalking = true
        _ = animator.pose(at: 0.9)
        animator.play(track, startingAt: 1)
        for t in stride(from: 1.0, to: 3.0, by: 0.01) {
            let expected = track.shape(at: t - 1)
            XCTAssertEqual(animator.pose(at: t)[.mouthOoo], expected.ooo, accuracy: 1e-5, "at \(t)")
        }
        // Then the random talking mouth again (it uses aaa).
        let after = (0..<200).map { animator.pose(at: 3.0 + Double($0) / 100)[.mouthAaa] }
        XCTAssertGreaterThan(after.max()!, 0.4)
        // A track that starts later leaves the talking mouth alone until it starts.
        animator.play(track, startingAt: 10)
        let before = (0..<100).map { animator.pose(at: 8.0 + Double($0) / 50)[.mouthAaa] }
        XCTAssertGreaterThan(before.max()!, 0.4)
        XCTAssertEqual(animator.pose(at: 10.0)[.mouthOoo], 0, accuracy: 1e-5)
        XCTAssertEqual(animator.pose(at: 10.1)[.mouthOoo], 0.8, accuracy: 1e-5)
        // Stopped: the mouth of the (neutral) pose again, talking being off.
        animator.isTalking = false
        animator.stopMouthTrack()
        XCTAssertEqual(animator.pose(at: 10.15)[.mouthOoo], 0)
    }

    func testBreathingFollowsItsPeriod() {
        var settings = AnimatorSettings()
        settings.breathingPeriod = 4
        let animator = Animator(settings: settings, seed: 1)
        XCTAssertEqual(animator.pose(at: 0)[.breathing], 0, accuracy: 1e-6)
        XCTAssertEqual(animator.pose(at: 1)[.breathing], 0.5, accuracy: 1e-5)
        XCTAssertEqual(animator.pose(at: 2)[.breathing], 1, accuracy: 1e-5)
        XCTAssertEqual(animator.pose(at: 3)[.breathing], 0.5, accuracy: 1e-5)
        XCTAssertEqual(animator.pose(at: 4)[.breathing], 0, accuracy: 1e-5)
        // A new period changes the pace from where the breath is, without a jump.
        animator.settings.breathingPeriod = 6
        XCTAssertEqual(animator.pose(at: 5)[.breathing], 0.25, accuracy: 1e-5)
        XCTAssertEqual(animator.pose(at: 7)[.breathing], 1, accuracy: 1e-5)
    }

    func testSwayStaysWithinItsAmplitudeAndKeepsMoving() {
        var settings = AnimatorSettings()
        settings.swayAmplitude = 0.2
        settings.swayJitter = 0
        let frames = run(Animator(settings: settings, seed: 21), fps: 10, seconds: 60)
        for (parameter, share) in AnimatorCore.swayParameters {
            let values = frames.map { $0.pose[parameter] }
            XCTAssertLessThanOrEqual(values.map(abs).max()!, 0.2 * share + 1e-6, "\(parameter)")
            XCTAssertGreaterThan(values.max()! - values.min()!, 0.05 * share, "\(parameter) hardly moves")
        }
        // New targets every 5-10 s: the head turns in several directions within a minute.
        let headY = frames.map { $0.pose[.headY] }
        let turns = zip(headY, headY.dropFirst()).map { $1 - $0 }
        let signChanges = zip(turns, turns.dropFirst()).filter { $0 * $1 < 0 }.count
        XCTAssertGreaterThanOrEqual(signChanges, 4)
        // No sway at all with amplitude 0.
        settings.swayAmplitude = 0
        let still = run(Animator(settings: settings, seed: 21), fps: 10, seconds: 20)
        XCTAssertEqual(Set(still.map { $0.pose[.headY] }), [0])
    }

    func testOverridesWinAndRelease() {
        let animator = Animator(seed: 3)
        animator.isTalking = true
        animator.setOverride(.mouthAaa, to: 0.7)
        animator.setOverride(.headX, to: 5)  // clamped to the range
        XCTAssertEqual(animator.overrides, [.mouthAaa: 0.7, .headX: 1])
        for i in 0..<50 {
            let pose = animator.pose(at: Double(i) * 0.05)
            XCTAssertEqual(pose[.mouthAaa], 0.7)
            XCTAssertEqual(pose[.headX], 1)
        }
        animator.setOverride(.mouthAaa, to: nil)
        XCTAssertEqual(animator.overrides, [.headX: 1])
        let released = (50..<100).map { animator.pose(at: Double($0) * 0.05)[.mouthAaa] }
        XCTAssertGreaterThan(Set(released).count, 5)
        animator.clearOverrides()
        XCTAssertEqual(animator.overrides, [:])
    }

    func testEmotionsAndErrors() throws {
        let animator = Animator(seed: 1)
        XCTAssertEqual(animator.emotion, "neutral")
        try animator.setEmotion("joy")
        XCTAssertEqual(animator.emotion, "joy")
        XCTAssertThrowsError(try animator.setEmotion("glee")) { error in
            guard case TalkingHeadError.invalidInput(_, _, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("'glee'"), reason)
        }
        XCTAssertEqual(animator.emotion, "joy")
        // Replacing the presets keeps joy while it exists, else falls back to neutral.
        animator.emotions = try EmotionPresets(json: Data(#"{"joy": {"mouth_aaa": 1}}"#.utf8), source: "x")
        XCTAssertEqual(animator.emotion, "joy")
        animator.emotions = EmotionPresets(["neutral": PoseParameters(), "calm": PoseParameters()])
        XCTAssertEqual(animator.emotion, "neutral")
    }

    func testCaptureDrivesThePoseThenTheAnimatorTakesOverSmoothly() throws {
        var settings = AnimatorSettings()
        settings.swayAmplitude = 0
        settings.swayJitter = 0
        let animator = Animator(settings: settings, seed: 13)
        var captured = PoseParameters()
        captured[.headY] = 0.8
        captured[.mouthAaa] = 0.6
        var previous = animator.pose(at: 0)
        var largestStep: Float = 0
        for i in 1...600 {  // 10 s at 60 fps; capture at 30 Hz for the first 4 s
            let t = Double(i) / 60
            if t <= 4, i % 2 == 0 { animator.setCapture(captured, at: t) }
            let pose = animator.pose(at: t)
            if t > 0.5 && t <= 4 {
                XCTAssertEqual(pose[.headY], 0.8, accuracy: 1e-3, "at \(t)")
                XCTAssertEqual(pose[.mouthAaa], 0.6, accuracy: 1e-3, "at \(t)")
                XCTAssertEqual(pose[.eyeWinkLeft], 0, "no blinking while captured (at \(t))")
                XCTAssertEqual(pose[.breathing], Float(pow(sin(Double.pi * t / 4), 2)), accuracy: 1e-4)
            }
            if t > 1 { largestStep = max(largestStep, abs(pose[.headY] - previous[.headY])) }
            previous = pose
        }
        // Back to the neutral pose after the 1 s timeout, without a jump.
        XCTAssertEqual(previous[.headY], 0, accuracy: 1e-3)
        XCTAssertLessThan(largestStep, 0.1)
        // nil ends capture at once.
        animator.setCapture(captured, at: 10.1)
        XCTAssertEqual(animator.pose(at: 10.6)[.headY], 0.8, accuracy: 1e-3)
        animator.setCapture(nil, at: 10.6)
        XCTAssertLessThan(animator.pose(at: 10.6 + 2 * settings.easeHalfLife)[.headY], 0.3)
    }

    func testConcurrentCallersSeeConsistentPoses() {
        // A render loop and request handlers at once: no crash, every pose within range.
        let animator = Animator(seed: 17)
        let names = EmotionPresets.labels
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<2000 {
                switch worker {
                case 0: _ = animator.pose(at: Double(i) / 100).values.map { precondition($0.isFinite) }
                case 1: try? animator.setEmotion(names[i % names.count])
                case 2: animator.setOverride(.headY, to: i % 2 == 0 ? Float(i % 10) / 10 : nil)
                default: animator.isTalking = i % 3 == 0; _ = animator.settings
                }
            }
        }
        let pose = animator.pose(at: 30)
        for p in PoseParameter.allCases { XCTAssertTrue(p.range.contains(pose[p]), "\(p) = \(pose[p])") }
    }

    func testPosesAtAFrameRate() {
        let poses = Animator(seed: 6).poses(count: 30, fps: 15)
        let animator = Animator(seed: 6)
        XCTAssertEqual(poses, (0..<30).map { animator.pose(at: Double($0) / 15) })
    }
}

/// The mouth part of a pose.
func MouthShapeOf(_ pose: PoseParameters) -> MouthShape {
    MouthShape(aaa: pose[.mouthAaa], iii: pose[.mouthIii], uuu: pose[.mouthUuu], eee: pose[.mouthEee], ooo: pose[.mouthOoo])
}
