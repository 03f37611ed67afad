import Foundation
import TalkingHead
import TalkingHeadSpeech

struct Scores {
    var openTP = 0, openN = 0, closedTN = 0, closedN = 0
    var closureRuns = 0, closureHits = 0
    var vowelRight = 0, vowelN = 0
    var changes = 0, holds = 0, shortHolds = 0
    var seconds = 0.0, compute = 0.0
    var lagSum = 0.0, lagN = 0
    var confusion = [[Int]](repeating: [Int](repeating: 0, count: 6), count: 5)

    mutating func add(_ o: Scores) {
        openTP += o.openTP; openN += o.openN; closedTN += o.closedTN; closedN += o.closedN
        closureRuns += o.closureRuns; closureHits += o.closureHits; vowelRight += o.vowelRight; vowelN += o.vowelN
        changes += o.changes; holds += o.holds; shortHolds += o.shortHolds; seconds += o.seconds; compute += o.compute
        lagSum += o.lagSum; lagN += o.lagN
        for i in 0..<5 { for j in 0..<6 { confusion[i][j] += o.confusion[i][j] } }
    }
    var balancedAccuracy: Double { 0.5 * (Double(openTP) / Double(max(1, openN)) + Double(closedTN) / Double(max(1, closedN))) }
    var closureRate: Double { Double(closureHits) / Double(max(1, closureRuns)) }
    var vowelAccuracy: Double { Double(vowelRight) / Double(max(1, vowelN)) }
    var changesPerSecond: Double { Double(changes) / max(seconds, 1e-9) }
    var shortHoldShare: Double { Double(shortHolds) / Double(max(1, holds)) }
    var lag: Double { lagSum / Double(max(1, lagN)) }
    var realTime: Double { seconds / max(compute, 1e-12) }
}

/// Scores 100 Hz predicted shapes against the labels (frame t of both at t * 10 ms).
func score(_ shapes: [MouthShape], _ labels: [Label], threshold: Float) -> Scores {
    var s = Scores()
    let n = min(shapes.count, labels.count)
    func cls(_ m: MouthShape) -> Int? {
        let w = [m.aaa, m.iii, m.uuu, m.eee, m.ooo]
        guard let mx = w.max(), mx >= threshold else { return nil }
        return w.firstIndex(of: mx)
    }
    for t in 0..<n {
        let isOpen = shapes[t].openness >= threshold
        switch labels[t] {
        case .closed: s.closedN += 1; if !isOpen { s.closedTN += 1 }
        case .open(let v):
            s.openN += 1; if isOpen { s.openTP += 1 }
            if let v {
                let truth = VowelClass.allCases.firstIndex(of: v)!
                s.vowelN += 1
                let c = cls(shapes[t])
                s.confusion[truth][c ?? 5] += 1
                if c == truth { s.vowelRight += 1 }
            }
        case .unscored: break
        }
    }
    // Closures of 40 ms or more: does the mouth close at least once?
    var t = 0
    while t < n {
        if labels[t] == .closed {
            var e = t
            while e < n && labels[e] == .closed { e += 1 }
            if e - t >= 4 && t > 0 && e < n {   // inside speech, not the leading/trailing silence
                s.closureRuns += 1
                if (t..<e).contains(where: { shapes[$0].openness < threshold }) { s.closureHits += 1 }
            }
            t = e
        } else { t += 1 }
    }
    // Flicker: the shape shown when open; a hold lasts from one change of shape to the next
    // (closed frames in between keep the shape: it shows again when the mouth reopens).
    var current: Int? = nil
    var since = 0
    for t in 0..<n {
        guard let c = cls(shapes[t]) else { continue }
        if c != current {
            if current != nil { s.changes += 1; s.holds += 1; if t - since < 7 { s.shortHolds += 1 } }
            current = c; since = t
        }
    }
    if current != nil { s.holds += 1; if n - since < 7 { s.shortHolds += 1 } }
    // Lag (ms) maximising the correlation of predicted and true openness (positive: prediction late).
    let truth = labels.prefix(n).map { l -> Double in
        switch l { case .closed: return 0; case .open: return 1; case .unscored: return 0.5 } }
    let pred = shapes.prefix(n).map { Double($0.openness) }
    let mt = truth.reduce(0, +) / Double(max(1, n)), mp = pred.reduce(0, +) / Double(max(1, n))
    var best = (lag: 0, c: -Double.infinity)
    for lag in -10...10 {
        var c = 0.0
        for t in 0..<n { let u = t - lag; if u >= 0 && u < n { c += (pred[t] - mp) * (truth[u] - mt) } }
        if c > best.c { best = (lag, c) }
    }
    s.lagSum = Double(best.lag * 10); s.lagN = 1
    s.seconds = Double(n) / 100
    return s
}
