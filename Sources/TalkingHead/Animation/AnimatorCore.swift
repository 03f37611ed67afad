import Foundation

/// The animator's state and motion, without the lock (`Animator` wraps it).
///
/// The eased pose and the sway live on a fixed 1/240 s grid that starts at the first
/// `pose(at:)` call: a frame at time t is the grid state at the last grid point before t plus
/// one partial step, so the motion is the same whatever the times of the calls (5 or 60 fps).
/// Blinks and the talking mouth are time lines too, but are sampled so that nothing between
/// two calls is lost (see `BlinkTrack` and `MouthSampler`).
struct AnimatorCore {
    static let step = 1.0 / 240
    /// The five parameters the sway moves, with each one's share of `swayAmplitude`.
    static let swayParameters: [(PoseParameter, Float)] = [
        (.headX, 0.5), (.headY, 1), (.neckZ, 0.6), (.bodyY, 0.6), (.bodyZ, 0.4),
    ]
    static let jitterInterval = 0.25
    static let jitterHalfLife = 0.15

    var settings: AnimatorSettings { didSet { updateCoefficients() } }
    var emotions: EmotionPresets
    private(set) var emotion = "neutral"
    private var emotionPose = PoseParameters()
    var isTalking = false { didSet { if isTalking && !oldValue { talkStart = lastCall; talkEpoch &+= 1 } } }
    private(set) var overrides: [PoseParameter: Float] = [:]
    private var track: (track: MouthTrack, start: TimeInterval)?
    private var capture: (pose: PoseParameters, time: TimeInterval)?

    private let seed: UInt64
    private var swayRandom: SplitMix64
    private var blinks: BlinkTrack
    private var mouth = MouthSampler()
    private var talkStart: TimeInterval?
    private var talkEpoch: UInt64 = 0
    private var breathPhase = 0.0

    // Grid state.
    private var origin: TimeInterval?
    private var gridIndex = 0
    private var lastCall: TimeInterval?
    private var eased = [Float](repeating: 0, count: PoseParameter.allCases.count)
    private var swayTarget = [Float](repeating: 0, count: 5)
    private var sway = [Float](repeating: 0, count: 5)
    private var jitterTarget = [Float](repeating: 0, count: 5)
    private var jitter = [Float](repeating: 0, count: 5)
    private var nextSway = 0.0
    private var nextJitter = 0.0
    private var swayPending = true

    // Per-step easing factors, from the settings.
    private var easeFactor: Float = 0
    private var swayFactor: Float = 0
    private var jitterFactor: Float = 0
    private var captureFactor: Float = 0

    init(settings: AnimatorSettings, emotions: EmotionPresets, seed: UInt64) {
        self.settings = settings
        self.emotions = emotions
        self.seed = seed
        swayRandom = SplitMix64(seed: SplitMix64.mix(seed ^ 0x5357_4159))
        blinks = BlinkTrack(seed: SplitMix64.mix(seed ^ 0x424C_494E_4B))
        emotionPose = emotions["neutral"] ?? PoseParameters()
        updateCoefficients()
    }

    /// The fraction of the remaining way covered in `dt` with half-life `halfLife` (exact for
    /// a constant target, so it does not depend on how time is cut into steps).
    static func factor(_ dt: Double, halfLife: Double) -> Float {
        halfLife <= 0 ? 1 : Float(1 - pow(0.5, dt / halfLife))
    }

    private mutating func updateCoefficients() {
        easeFactor = Self.factor(Self.step, halfLife: settings.easeHalfLife)
        swayFactor = Self.factor(Self.step, halfLife: settings.swayHalfLife)
        jitterFactor = Self.factor(Self.step, halfLife: Self.jitterHalfLife)
        captureFactor = Self.factor(Self.step, halfLife: settings.captureHalfLife)
    }

    // MARK: - Inputs

    mutating func setEmotion(_ name: String) throws {
        guard let pose = emotions[name] else {
            throw TalkingHeadError.invalidInput(
                source: "emotion", field: nil,
                reason: "unknown emotion '\(name)' (known: \(emotions.names.joined(separator: ", ")))")
        }
        if name != emotion { swayPending = true }  // a new emotion gets a new sway, as in SillyTavern
        emotion = name
        emotionPose = pose
    }

    mutating func replaceEmotions(_ presets: EmotionPresets) {
        emotions = presets
        let name = presets[emotion] != nil ? emotion : "neutral"
        emotion = name
        emotionPose = presets[name] ?? PoseParameters()
    }

    mutating func setOverride(_ parameter: PoseParameter, to value: Float?) {
        if let value { overrides[parameter] = min(max(value, parameter.range.lowerBound), parameter.range.upperBound) }
        else { overrides[parameter] = nil }
    }

    mutating func clearOverrides() { overrides = [:] }

    mutating func play(_ track: MouthTrack, startingAt start: TimeInterval) { self.track = (track, start) }

    mutating func stopMouthTrack() { track = nil }

    mutating func setCapture(_ pose: PoseParameters?, at time: TimeInterval) {
        capture = pose.map { ($0, time) }
    }

    // MARK: - Output

    mutating func pose(at requested: TimeInterval) -> PoseParameters {
        // Calls are meant to come in increasing time; an earlier time is treated as a repeat.
        let t = max(requested, lastCall ?? requested)
        if origin == nil { start(at: t) }
        let last = lastCall ?? t
        advanceGrid(to: t)

        // The eased pose at t: the grid state plus one partial step.
        var state = GridState(eased: eased, sway: sway, jitter: jitter)
        let dt = t - gridTime
        if dt > 0 { integrate(&state, at: gridTime, dt: dt) }
        var out = PoseParameters(values: state.eased)

        let capturing = isCapturing(at: t)

        // Blinks: both eyes, unless a face capture drives them.
        let closure = blinks.closure(from: last, to: t, duration: settings.blinkDuration,
                                     interval: settings.blinkIntervalMin...settings.blinkIntervalMax,
                                     shown: !capturing)
        if !capturing && closure > 0 {
            out[.eyeWinkLeft] = max(out[.eyeWinkLeft], closure)
            out[.eyeWinkRight] = max(out[.eyeWinkRight], closure)
        }

        // Mouth: a playing track, else the random talking mouth, else the eased pose's.
        if let (track, start) = track, t >= start, t < start + track.duration {
            let shape = mouth.sample(from: last, to: t) { a, b in Self.trackKeys(track, start: start, from: a, to: b) } at: {
                track.shape(at: $0 - start)
            }
            applyMouth(shape, to: &out)
        } else if isTalking && !capturing {
            let begin = talkStart ?? last
            talkStart = begin
            var sampler = mouth
            let shape = sampler.sample(from: last, to: t) { a, b in talkKeys(start: begin, from: a, to: b) } at: {
                talkShape(start: begin, at: $0)
            }
            mouth = sampler
            applyMouth(shape, to: &out)
        } else {
            if track != nil, let (tr, start) = track, t >= start + tr.duration { track = nil }
            mouth.reset()
        }

        // Breathing, then the pinned parameters.
        if settings.breathingPeriod > 0 {
            // The phase advances, so a new period changes the pace without a jump.
            breathPhase = (breathPhase + (t - last) / settings.breathingPeriod).truncatingRemainder(dividingBy: 1)
            let s = sin(Double.pi * breathPhase)
            out[.breathing] = Float(s * s)
        }
        for (parameter, value) in overrides { out[parameter] = value }
        for p in PoseParameter.allCases { out[p] = min(max(out[p], p.range.lowerBound), p.range.upperBound) }
        lastCall = t
        return out
    }

    private func applyMouth(_ shape: MouthShape, to out: inout PoseParameters) {
        out[.mouthAaa] = shape.aaa
        out[.mouthIii] = shape.iii
        out[.mouthUuu] = shape.uuu
        out[.mouthEee] = shape.eee
        out[.mouthOoo] = shape.ooo
        out[.mouthRaisedCornerLeft] = max(out[.mouthRaisedCornerLeft], shape.raisedCorners)
        out[.mouthRaisedCornerRight] = max(out[.mouthRaisedCornerRight], shape.raisedCorners)
    }

    // MARK: - Grid

    private var gridTime: TimeInterval { origin! + Double(gridIndex) * Self.step }

    private mutating func start(at t: TimeInterval) {
        origin = t
        gridIndex = 0
        eased = target(at: t).values
        if talkStart == nil && isTalking { talkStart = t }
        nextSway = t
        nextJitter = t
        blinks.start(at: t, interval: settings.blinkIntervalMin...settings.blinkIntervalMax)
    }

    private struct GridState {
        var eased: [Float]
        var sway: [Float]
        var jitter: [Float]
    }

    private mutating func advanceGrid(to t: TimeInterval) {
        // After a long pause the pose has settled anyway: jump to within 30 s of t.
        let maxSteps = Int(30 / Self.step)
        let steps = Int(((t - origin!) / Self.step).rounded(.down)) - gridIndex
        if steps > maxSteps { gridIndex += steps - maxSteps }
        var state = GridState(eased: eased, sway: sway, jitter: jitter)
        while gridTime + Self.step <= t + 1e-9 {
            let g = gridTime
            drawTargets(at: g)
            integrate(&state, at: g, dt: Self.step)
            gridIndex += 1
        }
        (eased, sway, jitter) = (state.eased, state.sway, state.jitter)
    }

    /// New sway and jitter targets when their time has come (at grid points only, so the
    /// draws happen at the same times whatever the call pattern).
    private mutating func drawTargets(at g: TimeInterval) {
        if swayPending || g >= nextSway {
            for (i, (_, share)) in Self.swayParameters.enumerated() {
                let a = Double(settings.swayAmplitude * share)
                swayTarget[i] = Float(swayRandom.uniform(-a, a))
            }
            nextSway = g + swayRandom.uniform(settings.swayIntervalMin, settings.swayIntervalMax)
            swayPending = false
        }
        if g >= nextJitter {
            let j = Double(settings.swayJitter)
            for i in 0..<5 { jitterTarget[i] = Float(swayRandom.uniform(-j, j)) }
            nextJitter = g + Self.jitterInterval
        }
    }

    private func integrate(_ state: inout GridState, at g: TimeInterval, dt: Double) {
        let exact = abs(dt - Self.step) < 1e-12
        let fs = exact ? swayFactor : Self.factor(dt, halfLife: settings.swayHalfLife)
        let fj = exact ? jitterFactor : Self.factor(dt, halfLife: Self.jitterHalfLife)
        for i in 0..<5 {
            state.sway[i] += (swayTarget[i] - state.sway[i]) * fs
            state.jitter[i] += (jitterTarget[i] - state.jitter[i]) * fj
        }
        let capturing = isCapturing(at: g)
        var goal: PoseParameters
        if capturing, let capture {
            goal = capture.pose
        } else {
            goal = emotionPose
            for (i, (p, _)) in Self.swayParameters.enumerated() {
                goal[p] = min(max(goal[p] + state.sway[i] + state.jitter[i], -1), 1)
            }
        }
        let f = capturing ? (exact ? captureFactor : Self.factor(dt, halfLife: settings.captureHalfLife))
                          : (exact ? easeFactor : Self.factor(dt, halfLife: settings.easeHalfLife))
        for i in 0..<state.eased.count {
            state.eased[i] += (goal.values[i] - state.eased[i]) * f
        }
    }

    /// The pose the animator eases towards at `t` without sway (used to start at rest).
    private func target(at t: TimeInterval) -> PoseParameters {
        if isCapturing(at: t), let capture { return capture.pose }
        return emotionPose
    }

    private func isCapturing(at t: TimeInterval) -> Bool {
        guard let capture else { return false }
        return t - capture.time <= settings.captureTimeout
    }

    // MARK: - Mouth key frames

    /// Key frames of a mouth track in `(a, b]`.
    static func trackKeys(_ track: MouthTrack, start: TimeInterval, from a: TimeInterval, to b: TimeInterval) -> [MouthShape] {
        let first = max(0, Int(((a - start) * track.frameRate).rounded(.down)) + 1)
        let last = min(track.shapes.count - 1, Int(((b - start) * track.frameRate).rounded(.down)))
        guard first <= last else { return [] }
        return Array(track.shapes[first...last])
    }

    /// Key frames of the random talking mouth in `(a, b]`.
    private func talkKeys(start: TimeInterval, from a: TimeInterval, to b: TimeInterval) -> [MouthShape] {
        let rate = settings.talkingRate
        let first = max(0, Int(((a - start) * rate).rounded(.down)) + 1)
        let last = Int(((b - start) * rate).rounded(.down))
        guard first <= last else { return [] }
        // A long gap needs only its most open and most closed key frames, which a pair shows.
        return (first...min(last, first + 3)).map(talkKey)
    }

    private func talkShape(start: TimeInterval, at t: TimeInterval) -> MouthShape {
        let x = max(0, (t - start) * settings.talkingRate)
        let i = Int(x.rounded(.down))
        return MouthShape.mix(talkKey(i), talkKey(i + 1), Float(x - Double(i)))
    }

    /// Key frame `i` of the talking mouth: odd ones open (mostly "aaa", some "ooo" or "eee"),
    /// even ones nearly closed (the first closed: talking starts from a closed mouth).
    private func talkKey(_ i: Int) -> MouthShape {
        let r = { (stream: UInt64) in SplitMix64.uniform(seed: seed ^ talkEpoch, stream: stream, index: UInt64(i), 0, 1) }
        guard i % 2 == 1 else {
            return i == 0 ? .closed : MouthShape(aaa: Float(0.08 * r(3)) * settings.talkingOpenness)
        }
        let open = Float(0.5 + 0.5 * r(1)) * settings.talkingOpenness
        let vowel = r(2)
        if vowel < 0.7 { return MouthShape(aaa: open) }
        if vowel < 0.85 { return MouthShape(aaa: open * 0.4, ooo: open * 0.8) }
        return MouthShape(aaa: open * 0.5, eee: open * 0.6)
    }
}
