import CSoxr
import Foundation
import TalkingHead

/// Live lip sync: push samples as they arrive, get the mouth frames they complete.
///
/// Everything is causal except a bounded look-ahead: the 32 ms MFCC / mel window reaches 16 ms
/// ahead, the live frame classifier 2 frames (20 ms) more, and an output frame waits for the
/// audio a little after its time (half a frame, at most 14 ms, so a closure inside the frame
/// still shows): `lookAhead` seconds in all, at most 50 ms. Play the audio that much later than
/// it is pushed to stay in sync. The loudness reference is a running peak.
public final class LipSyncStream {
    public let inputRate: Double
    public let frameRate: Double
    public let sync: LipSync
    /// Seconds of audio after a frame's time needed before the frame is returned.
    public let lookAhead: Double
    /// The longest look-ahead any stream has (seconds).
    public static let maximumLookAhead = 0.05

    private var resampler: soxr_t?
    private var buffer: [Float] = []          // 16 kHz samples from `bufferStart` on
    private var bufferStart = 0
    private var received = 0                  // 16 kHz samples received in all
    private var nextFeature = 0               // next 10 ms frame to analyse
    private var shapes: [MouthShape] = []     // 100 Hz shapes from `shapesStart` on
    private var shapesStart = 0
    private var nextOutput = 0                // next output frame
    private let extractor = FeatureExtractor()
    private var reference: Float
    private var smoothed: [Float] = [0.2, 0.2, 0.2, 0.2, 0.2]
    private var current = 0
    private var held = 0
    private var finished = false
    private var recent: [Float] = []          // the template method: loudness of the last 100 ms
    private var recentOpen: [Float] = []      // the classifier: P(open) of the last 50 ms
    private let runner: FrameClassifierRunner?
    private var pending: [(loudness: Float, reference: Float, mfcc: [Float])] = []   // analysed, not yet classified
    /// How far after an output frame's time a closure still shows in it (seconds).
    private let window: Double

    /// A stream of audio at `sampleRate` (mono) giving frames at `frameRate`.
    public init(sampleRate: Double, frameRate: Double = 25, sync: LipSync = LipSync()) throws {
        guard sampleRate > 0 && sampleRate.isFinite else {
            throw TalkingHeadError.invalidInput(source: "lip-sync stream", field: "sample rate", reason: "\(sampleRate) Hz")
        }
        guard frameRate >= 15 && frameRate <= 240 else {
            throw TalkingHeadError.invalidInput(source: "lip-sync stream", field: "frame rate", reason: "\(frameRate) is outside 15...240 (the look-ahead is half a frame)")
        }
        (inputRate, self.frameRate, self.sync) = (sampleRate, frameRate, sync)
        runner = sync.model.map { FrameClassifierRunner($0.live) }
        let analysis = Double(AudioFeatures.mfccWindow / 2) / AudioFeatures.sampleRate
            + Double(sync.model?.live.lookAheadFrames ?? 0) / AudioFeatures.frameRate
        guard analysis < Self.maximumLookAhead else {
            throw TalkingHeadError.invalidConfiguration(field: "live lip-sync model", reason: "it looks \(Int(analysis * 1000)) ms ahead, more than 50 ms")
        }
        window = min(0.5 / frameRate, Self.maximumLookAhead - analysis)
        lookAhead = analysis + window
        reference = sync.settings.initialReference
        if sampleRate != AudioFeatures.sampleRate {
            var error: soxr_error_t?
            var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
            // Medium quality: a short filter, so the resampler adds little delay.
            var q = soxr_quality_spec(UInt(SOXR_MQ), 0)
            resampler = soxr_create(sampleRate, AudioFeatures.sampleRate, 1, &error, &io, &q, nil)
            if let error { throw TalkingHeadError.invalidInput(source: "lip-sync stream", field: "resampler", reason: String(cString: error)) }
        }
    }

    deinit { if let resampler { soxr_delete(resampler) } }

    /// Adds samples (mono, -1...1) and returns the frames they complete, in order.
    public func push(_ samples: [Float]) -> [MouthShape] {
        guard !finished else { return [] }
        append16k(resample(samples, flush: false))
        return drain(final: false)
    }

    /// Ends the stream: the remaining frames (up to the audio's end).
    public func finish() -> [MouthShape] {
        guard !finished else { return [] }
        append16k(resample([], flush: true))
        finished = true
        return drain(final: true)
    }

    private func resample(_ x: [Float], flush: Bool) -> [Float] {
        guard let resampler else { return x }
        if x.isEmpty && !flush { return [] }
        var out = [Float](repeating: 0, count: Int(Double(x.count) * AudioFeatures.sampleRate / inputRate) + 1024)
        var produced: [Float] = []
        var offset = 0
        repeat {
            var idone = 0, odone = 0
            x.withUnsafeBufferPointer { inp in
                out.withUnsafeMutableBufferPointer { o in
                    let input: UnsafeRawPointer? = flush ? nil : inp.baseAddress.map { UnsafeRawPointer($0 + offset) }
                    _ = soxr_process(resampler, input, flush ? 0 : x.count - offset, &idone, o.baseAddress, o.count, &odone)
                }
            }
            offset += idone
            produced.append(contentsOf: out[0..<odone])
            if flush && odone == 0 { break }
            if !flush && offset >= x.count && odone < out.count { break }
        } while true
        return produced
    }

    private func append16k(_ x: [Float]) {
        buffer.append(contentsOf: x)
        received += x.count
    }

    /// Analyses every 10 ms frame whose windows are complete, then returns the output frames
    /// whose half-frame of look-ahead is analysed.
    private func drain(final: Bool) -> [MouthShape] {
        let half = AudioFeatures.mfccWindow / 2
        let totalFrames = (received + AudioFeatures.hop - 1) / AudioFeatures.hop
        while nextFeature < totalFrames, final || nextFeature * AudioFeatures.hop + half <= received {
            let centre = nextFeature * AudioFeatures.hop - bufferStart
            let f = buffer.withUnsafeBufferPointer { b -> (mfcc: [Float], loudness: Float, logMel: [Float]) in
                extractor.frame(at: centre, of: b)
            }
            if let runner {
                if f.loudness > -60 { reference = max(reference - sync.settings.referenceDecay / 100, f.loudness - 4) }
                runner.append(FrameClassifier.input(logMel: f.logMel, loudness: f.loudness, reference: reference))
                pending.append((f.loudness, reference, f.mfcc))
            } else {
                shapes.append(step(mfcc: f.mfcc, loudness: f.loudness))
            }
            nextFeature += 1
        }
        if let runner {
            if final { runner.finish() }
            var done = shapesStart + shapes.count
            while done < runner.available {
                let p = pending.removeFirst()
                shapes.append(step(classified: runner.output(done), loudness: p.loudness, reference: p.reference, mfcc: p.mfcc))
                done += 1
            }
            runner.discard(before: done)
        }
        let ready = shapesStart + shapes.count   // 10 ms frames with a shape
        // Keep only what later windows need.
        let keepFrom = max(0, nextFeature * AudioFeatures.hop - half - 1)
        if keepFrom - bufferStart > 16000 {
            buffer.removeFirst(keepFrom - bufferStart)
            bufferStart = keepFrom
        }
        var out: [MouthShape] = []
        let audioFrames = final ? max(1, Int((Double(received) / AudioFeatures.sampleRate * frameRate).rounded())) : Int.max
        while nextOutput < audioFrames {
            let t = Double(nextOutput) / frameRate
            let needed = Int(((t + window) * AudioFeatures.frameRate + 1e-9).rounded(.down))
            if !final && needed >= ready { break }
            let lo = max(shapesStart, Int(((t - 0.5 / frameRate) * AudioFeatures.frameRate).rounded(.up)))
            let hi = min(ready - 1, needed)
            let centre = min(max(lo, Int((t * AudioFeatures.frameRate).rounded())), hi)
            guard lo <= hi, centre >= shapesStart else { out.append(.closed); nextOutput += 1; continue }
            var pick = shapes[centre - shapesStart]
            if pick.openness >= sync.settings.closedThreshold {
                for k in lo...hi where shapes[k - shapesStart].openness < sync.settings.closedThreshold {
                    pick = shapes[k - shapesStart]; break
                }
            }
            out.append(pick)
            nextOutput += 1
        }
        let dropBefore = Int(((Double(nextOutput) / frameRate - 1 / frameRate) * AudioFeatures.frameRate).rounded(.down))
        if dropBefore - shapesStart > 200 {
            shapes.removeFirst(dropBefore - shapesStart)
            shapesStart = dropBefore
        }
        return out
    }

    /// One 10 ms frame from the live classifier: smoothed vowel probabilities, held shape.
    private func step(classified z: ArraySlice<Float>, loudness: Float, reference: Float, mfcc: [Float]) -> MouthShape {
        let (po, pv) = classifierProbabilities(z)
        // A dip of P(open) closes, as offline, judged on the past 50 ms only (no look-ahead left).
        let dip = po < 0.6 && po <= (recentOpen.last ?? 1) && (recentOpen.max() ?? 0) - po >= 0.3
        recentOpen.append(po)
        if recentOpen.count > 5 { recentOpen.removeFirst() }
        let open = dip ? 0 : sync.classifiedOpenness(po, threshold: sync.model!.live.openThreshold, loudness: loudness, reference: reference)
        held += 1
        guard open > 0 else { return VowelClass.allCases[current].shape(openness: 0) }
        let p = sync.vowelProbabilities(pv, mfcc: mfcc)
        for c in 0..<5 { smoothed[c] += 0.5 * (p[c] - smoothed[c]) }
        let best = smoothed.indices.max { smoothed[$0] < smoothed[$1] }!
        // 10 ms under `minimumHold` (70 ms): the stream cannot merge short runs afterwards as offline
        // does; chosen on the training part (vowels 0.680 -> 0.706, holds < 70 ms 0.035 -> 0.037).
        let hold = max(1, Int((sync.settings.minimumHold * AudioFeatures.frameRate).rounded()) - 1)
        if best != current && held >= hold { current = best; held = 0 }
        return VowelClass.allCases[current].shape(openness: open)
    }

    /// One 10 ms frame, causally: running reference, smoothed vowel probabilities, held shape.
    private func step(mfcc: [Float], loudness: Float) -> MouthShape {
        let s = sync.settings
        if loudness > -60 { reference = max(reference - s.referenceDecay / 100, loudness - 4) }
        held += 1
        // The dip against the last 100 ms (the stream cannot wait for the next 50 ms).
        recent.append(loudness)
        if recent.count > 11 { recent.removeFirst() }
        let dip = loudness - recent.max()!
        guard let (open, p) = sync.frame(mfcc: mfcc, loudness: loudness, reference: reference, dip: dip) else {
            return VowelClass.allCases[current].shape(openness: 0)
        }
        let a = 0.4 * open
        for c in 0..<5 { smoothed[c] += a * (p[c] - smoothed[c]) }
        let best = smoothed.indices.max { smoothed[$0] < smoothed[$1] }!
        let hold = Int((s.minimumHold * AudioFeatures.frameRate).rounded())
        if best != current && held >= hold { current = best; held = 0 }
        return VowelClass.allCases[current].shape(openness: open)
    }
}
