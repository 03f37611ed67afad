import Foundation
import CKernels
import TestSupport
import XCTest
@testable import TalkingHead

// The packed pointwise product (`th_gemm_packed`) and its weight layout, at every level that has it.
extension KernelsVsNaiveTests {
    /// The vector levels of this CPU whose C loops run (AVX2, AVX-512); fails when there is none
    /// on an x86-64 CPU, so a vector-path test cannot pass having run no path.
    func vectorLevels() -> [VectorLevel] {
        let levels = VectorLevel.allCases.filter { $0 >= .avx2 && $0 <= .detected }
        #if arch(x86_64)
        XCTAssertFalse(levels.isEmpty, "an x86-64 CPU without AVX2 + FMA: no vector loop ran")
        #endif
        return levels
    }

    /// The packed product of the separable convolutions (`th_gemm_packed`, A packed by
    /// `th_pack_rows` with the level's tile rows) against a naive loop at each vector level:
    /// AVX-512's 8-row tiles (k < 256) and 6-row tiles, AVX2's 6 x 16 tiles, the last tile
    /// partial (m not a multiple of the rows), the last columns in every narrower tile and masked
    /// (n not a multiple of 16 or 8), leading dimensions wider than the matrices, bias or not.
    /// Weights packed for another tile height are declined.
    func testPackedGemm() throws {
        for level in vectorLevels() {
            let l = Int32(level.rawValue)
            for (m, n, k, bias) in [(1, 1, 1, true), (8, 32, 16, false), (9, 33, 7, true), (32, 1000, 96, true),
                                    (13, 17, 300, false), (64, 48, 5, true), (7, 15, 1, false), (20, 65, 260, true),
                                    (6, 64, 256, false), (512, 70, 256, true), (13, 96, 300, true), (12, 100, 256, false),
                                    (16, 64, 100, true), (5, 23, 40, false), (11, 7, 33, true)] {
                let (lda, ldb, ldc) = (k + 3, n + 5, n + 11)
                let a = random(m * lda), b = random(k * ldb), bv = random(m)
                let mr = th_gemm_tile_rows(l, k)
                XCTAssertEqual(mr, level == .avx512 ? (k >= 256 ? 6 : 8) : 6, "tile rows at \(level)")
                var packed = [Float](repeating: .nan, count: m * k)
                th_pack_rows(a, lda, m, k, mr, &packed)
                XCTAssertFalse(packed.contains { $0.isNaN }, "packing \(m)x\(k) left values unwritten")
                var c = [Float](repeating: .nan, count: m * ldc)
                let done = c.withUnsafeMutableBufferPointer { cp in
                    th_gemm_packed(l, packed, mr, m, k, b, ldb, n, bias ? bv : nil, cp.baseAddress, ldc)
                }
                XCTAssertEqual(done, 1, "th_gemm_packed declined at \(level)")
                var maxDiff = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        var want = bias ? Double(bv[i]) : 0
                        for kk in 0..<k { want += Double(a[i * lda + kk]) * Double(b[kk * ldb + j]) }
                        maxDiff = max(maxDiff, abs(Double(c[i * ldc + j]) - want))
                    }
                    // Columns past n are not written.
                    XCTAssertTrue(c[(i * ldc + n)..<(i * ldc + ldc)].allSatisfy { $0.isNaN }, "gemm \(m)x\(n)x\(k) wrote past n")
                }
                print(String(format: "%-48@ max |diff| %.2e", "packed gemm \(m)x\(n)x\(k) bias \(bias) \(level)" as NSString, maxDiff))
                XCTAssertLessThanOrEqual(maxDiff, k > 50 ? 5e-4 : 1e-4)
                XCTAssertEqual(th_gemm_packed(l, packed, mr == 6 ? 4 : 6, m, k, b, ldb, n, nil, &c, ldc), 0,
                               "weights packed for other tile rows at \(level)")
            }
        }
        XCTAssertEqual(th_gemm_tile_rows(0, 256), 0, "tile rows at the portable level")
    }

    /// Pointwise weights packed for the product (with the level's tile rows) give back the same
    /// matrix row-major (the sgemm fallback when a benchmark switches the packed product off).
    func testPointwiseWeightsUnpack() throws {
        defer { context.level = .detected }
        for level in vectorLevels() {
            context.level = level
            XCTAssertTrue(context.runs(.gemmPacked), "no packed product at \(level)")
            for (rows, columns) in [(13, 300), (64, 96), (512, 539), (9, 32)] {
                let values = random(rows * columns)
                let weights = pointwise(values, rows: rows)
                XCTAssertEqual(weights.tileRows, Int(th_gemm_tile_rows(context.cLevel, columns)))
                XCTAssertNotEqual(weights.storage.array, values, "\(rows)x\(columns) not packed at \(level)")
                XCTAssertEqual(weights.unpacked().array, values, "\(rows)x\(columns) packed and unpacked at \(level)")
            }
            XCTAssertEqual(pointwise(random(3 * 31), rows: 3).tileRows, 0, "fewer than 32 inputs stay row-major for sgemm")
        }
    }

    /// Weights packed at one level and used at another (a context whose level changed after
    /// loading) take the sgemm path on the unpacked weights instead of a product that declines.
    func testPointwiseWeightsPackedForAnotherLevel() throws {
        try XCTSkipUnless(VectorLevel.detected == .avx512, "one vector level with a packed product on this CPU")
        defer { context.level = .detected }
        let (cin, cout, h, w) = (40, 7, 9, 31)
        let x = random(cin * h * w), dw = random(cin * 9), pw = random(cout * cin)
        let weights = pointwise(pw, rows: cout)
        XCTAssertEqual(weights.tileRows, 8, "packed for AVX-512's 8-row tiles")
        context.level = .avx2
        let out = Tensor(channels: cout, height: h, width: w)
        alive.append(out)
        context.separableConv2d(input: tensor(cin, h, w, x).data, cin: cin, height: h, width: w,
                                depthwise: tensor(1, 1, dw.count, dw).data, kernel: 3, stride: 1, padding: 1,
                                pointwise: weights, cout: cout, bias: nil, output: out.data)
        let mid = Naive.conv2d(Planes(c: cin, h: h, w: w, v: x.map(Double.init)), weight: dw.map(Double.init), cout: cin,
                               k: 3, stride: 1, padding: 1, groups: cin, bias: nil)
        check(out, Naive.conv2d(mid, weight: pw.map(Double.init), cout: cout, k: 1, stride: 1, padding: 0, groups: 1, bias: nil),
              "separable with AVX-512-packed weights at AVX2")
    }
}
