/// Upstream converter 25's vowel fit, solved exactly: the weights `w ∈ [0,1]⁴` of the mouth
/// prototypes aaa, iii, uuu, ooo minimising `‖wM − p‖₂ + λ‖w‖₁` for a mouth point
/// `p = (open, lowerDown, funnel, pucker)`. Upstream runs scipy's L-BFGS-B from 0 and stops early.
///
/// Why exact is easy: for each of the 3⁴ active sets (every weight at 0, at 1 or free) the
/// free weights minimise `‖A_F x − q‖ + λ·1ᵀx` without bounds in closed form (below); the
/// objective is convex, so the optimum is the best of the candidates that land inside the box.
public enum VowelFit {
    /// Rows: the prototype points of aaa, iii, uuu, ooo (upstream's `M`).
    public static let prototypes: [[Double]] = [
        [1.0, 1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0, 0.0],
        [0.5, 0.3, 0.25, 0.75],
        [1.0, 0.5, 0.5, 0.4],
    ]
    /// Upstream's L1 weight.
    public static let lambda = 0.01

    /// Upstream's loss: `‖wM − p‖₂ + λ‖w‖₁`.
    public static func objective(_ w: [Double], point p: [Double]) -> Double {
        var sq = 0.0
        for j in 0..<4 {
            var r = -p[j]
            for i in 0..<4 { r += w[i] * prototypes[i][j] }
            sq += r * r
        }
        return sq.squareRoot() + lambda * w.reduce(0) { $0 + abs($1) }
    }

    /// The minimising weights (aaa, iii, uuu, ooo).
    public static func solve(point p: [Double]) -> [Double] {
        precondition(p.count == 4, "a mouth point has 4 coordinates")
        var best = [0.0, 0.0, 0.0, 0.0]
        var bestValue = objective(best, point: p)
        // state per weight: 0 = at 0, 1 = at 1, 2 = free.
        for code in 0..<81 {
            var state = [Int](repeating: 0, count: 4)
            var c = code
            for i in 0..<4 { state[i] = c % 3; c /= 3 }
            guard let w = candidate(state: state, point: p) else { continue }
            let value = objective(w, point: p)
            if value < bestValue { best = w; bestValue = value }
        }
        return best
    }

    /// The unbounded minimiser over the free weights with the others fixed, or nil when it
    /// leaves the box (another active set holds the optimum then).
    static func candidate(state: [Int], point p: [Double]) -> [Double]? {
        var w = state.map { $0 == 1 ? 1.0 : 0.0 }
        let free = (0..<4).filter { state[$0] == 2 }
        if free.isEmpty { return w }
        // q = p − Σ_fixed w_i·M_i; columns of A_F are the free prototypes.
        var q = p
        for i in 0..<4 where state[i] == 1 {
            for j in 0..<4 { q[j] -= prototypes[i][j] }
        }
        let k = free.count
        // G = A_Fᵀ A_F, b = A_Fᵀ q.
        var g = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        var b = [Double](repeating: 0, count: k)
        for a in 0..<k {
            for c in 0..<k {
                g[a][c] = (0..<4).reduce(0) { $0 + prototypes[free[a]][$1] * prototypes[free[c]][$1] }
            }
            b[a] = (0..<4).reduce(0) { $0 + prototypes[free[a]][$1] * q[$1] }
        }
        guard let x0 = solveLinear(g, b), let h = solveLinear(g, [Double](repeating: 1, count: k)) else { return nil }
        // d: distance from q to the span of the free prototypes; ‖c‖² = 1ᵀG⁻¹1.
        var d2 = 0.0
        for j in 0..<4 {
            var fit = 0.0
            for a in 0..<k { fit += x0[a] * prototypes[free[a]][j] }
            d2 += (q[j] - fit) * (q[j] - fit)
        }
        let cNorm = h.reduce(0, +).squareRoot()
        let gain = lambda * cNorm
        guard gain < 1 else { return nil }
        // Along the span the loss is sqrt(t² + d²) − gain·t: minimum at t = gain·d/sqrt(1 − gain²).
        let t = gain * d2.squareRoot() / (1 - gain * gain).squareRoot()
        let tolerance = 1e-12
        for a in 0..<k {
            let x = x0[a] - t / cNorm * h[a]
            guard x >= -tolerance, x <= 1 + tolerance else { return nil }
            w[free[a]] = min(1, max(0, x))
        }
        return w
    }

    /// Gaussian elimination with partial pivoting (k ≤ 4); nil for a singular matrix.
    static func solveLinear(_ matrix: [[Double]], _ rhs: [Double]) -> [Double]? {
        var m = matrix, r = rhs
        let n = r.count
        for col in 0..<n {
            guard let pivot = (col..<n).max(by: { abs(m[$0][col]) < abs(m[$1][col]) }),
                  abs(m[pivot][col]) > 1e-14 else { return nil }
            m.swapAt(col, pivot); r.swapAt(col, pivot)
            for row in (col + 1)..<n {
                let f = m[row][col] / m[col][col]
                for c in col..<n { m[row][c] -= f * m[col][c] }
                r[row] -= f * r[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var s = r[row]
            for c in (row + 1)..<n { s -= m[row][c] * x[c] }
            x[row] = s / m[row][row]
        }
        return x
    }
}
