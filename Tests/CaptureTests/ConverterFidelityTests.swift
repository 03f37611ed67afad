import Foundation
import XCTest
@testable import TalkingHead

/// FaceCaptureConverter against upstream's converter 25 run on the same inputs
/// (Tests/Fixtures/make_capture_fixtures.py; `make capture-fixtures`). A missing fixture fails.
final class ConverterFidelityTests: XCTestCase {
    struct Case: Decodable {
        var name: String
        var options: FaceCaptureOptions
        var blendshapes: [Double]
        var head: [Double]
        var pose: [Double]
        var vowelFit: [Double]?
    }
    struct File: Decodable {
        var blendshapeNames: [String]
        var cases: [Case]
    }

    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Generated/converter.json")

    func loadCases() throws -> [Case] {
        guard FileManager.default.fileExists(atPath: Self.fixture.path) else {
            XCTFail("\(Self.fixture.path) is missing: run `make capture-fixtures`")
            return []
        }
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: Self.fixture))
        XCTAssertEqual(file.blendshapeNames, ARKitBlendshape.allCases.map(\.rawValue), "upstream's blendshape order")
        return file.cases
    }

    func testEveryParameterMatchesUpstream() throws {
        let cases = try loadCases()
        XCTAssertGreaterThanOrEqual(cases.filter { $0.name.hasPrefix("random") }.count, 1000)
        XCTAssertGreaterThanOrEqual(cases.filter { !$0.name.hasPrefix("random") }.count, 50)
        let vowels: Set<PoseParameter> = [.mouthAaa, .mouthIii, .mouthUuu, .mouthOoo]
        var maxExact = 0.0, maxVowel = 0.0, fits = 0, earlyStops = 0, maxGap = 0.0, maxEarlyDiff = 0.0
        for c in cases {
            let converter = try FaceCaptureConverter(options: c.options)
            let face = FaceCaptureFrame(
                Dictionary(uniqueKeysWithValues: ARKitBlendshape.allCases.map { ($0, Float(c.blendshapes[$0.index])) }),
                headDegrees: SIMD3(Float(c.head[0]), Float(c.head[1]), Float(c.head[2])))
            let pose = converter.convert(face)
            // Upstream's L-BFGS-B stops early on some mouths (its loss is a norm, not smooth): there
            // its weights are not the minimum and only the loss can be compared.
            var upstreamStoppedEarly = false
            if let upstream = c.vowelFit {
                fits += 1
                let point = converter.vowelPoint(face)
                let ourLoss = VowelFit.objective(VowelFit.solve(point: point), point: point)
                let theirLoss = VowelFit.objective(upstream, point: point)
                XCTAssertLessThanOrEqual(ourLoss, theirLoss + 1e-9, "\(c.name): our loss \(ourLoss) above upstream's \(theirLoss)")
                if theirLoss > ourLoss + 1e-4 {
                    upstreamStoppedEarly = true
                    earlyStops += 1
                    maxGap = max(maxGap, theirLoss - ourLoss)
                }
            }
            for p in PoseParameter.allCases {
                let diff = abs(Double(pose[p]) - c.pose[p.index])
                if c.vowelFit != nil && vowels.contains(p) {
                    if upstreamStoppedEarly { maxEarlyDiff = max(maxEarlyDiff, diff); continue }
                    maxVowel = max(maxVowel, diff)
                    XCTAssertLessThanOrEqual(diff, 0.02, "\(c.name): \(p.rawValue) \(pose[p]) vs upstream \(c.pose[p.index])")
                } else {
                    maxExact = max(maxExact, diff)
                    XCTAssertLessThanOrEqual(diff, 1e-4, "\(c.name): \(p.rawValue) \(pose[p]) vs upstream \(c.pose[p.index])")
                }
            }
        }
        // A wrong solver would show as a higher loss above or as many "early stops": upstream
        // converges on most mouths (592 of 613 on these fixtures).
        XCTAssertLessThan(earlyStops * 10, fits, "upstream cannot have stopped early on 10% of the fits")
        XCTAssertGreaterThan(fits, 300, "the fixtures exercise the vowel fit")
        print("capture converter: \(cases.count) cases, max |diff| \(maxExact) outside the vowel fit; \(fits) fits: "
              + "max |diff| \(maxVowel) on the vowel outputs where upstream converged; \(earlyStops) where upstream's "
              + "optimiser stopped early (its loss up to \(maxGap) above ours, vowel outputs up to \(maxEarlyDiff) apart)")
    }
}
