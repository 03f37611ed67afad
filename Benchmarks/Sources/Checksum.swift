import Foundation
@testable import TalkingHead

/// `--checksum WEIGHTS [--v1 V1WEIGHTS]`: an FNV-1a of the float bits of every output of each
/// network, and of three whole poses, on seeded random inputs. Two builds that print the same
/// lines compute the same bits (a refactor's check; issue 14 used it main vs branch).
func printChecksums(weights: String, v1 v1Directory: String?) throws {
    func fnv(_ ts: [Tensor]) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for t in ts { for v in t.array { h = (h ^ UInt64(v.bitPattern)) &* 0x100000001b3 } }
        return String(h, radix: 16)
    }
    var rng: UInt64 = 42
    func next() -> Float {
        rng = rng &* 6364136223846793005 &+ 1442695040888963407
        return Float(rng >> 40) / Float(1 << 23) - 1
    }
    func tensor(_ c: Int, _ s: Int) -> Tensor {
        Tensor(channels: c, height: s, width: s, values: (0..<(c * s * s)).map { _ in next() })
    }
    func pose() -> PoseParameters {
        var p = PoseParameters()
        for q in PoseParameter.allCases { p[q] = q.range.lowerBound + (next() + 1) / 2 * (q.range.upperBound - q.range.lowerBound) }
        return p
    }
    let poser = try TalkingHead(weightsDirectory: URL(fileURLWithPath: weights)).poser
    let x = tensor(4, 512)
    let dec = poser.decomposer(x.crop(top: 64, left: 192, height: 128, width: 128))
    print("decomposer", fnv(dec.all))
    let p = pose()
    print("combiner", fnv(poser.combiner(backgroundLayer: dec.backgroundLayer, eyebrowLayer: dec.eyebrowLayer, pose: p.eyebrow).all))
    print("morpher", fnv(poser.morpher(tensor(4, 192), pose: p.face).all))
    print("rotator", fnv(poser.rotator(tensor(4, 256), pose: p.rotation).all))
    print("editor", fnv(poser.editor(originalImage: tensor(4, 512), warpedImage: tensor(4, 512), gridChange: tensor(2, 512),
                                     pose: p.rotation).all))
    for i in 0..<3 { print("pipeline", i, fnv([poser.pose(x, decomposed: dec, pose: pose())])) }
    guard let v1Directory else { return }
    let v1 = try V1Poser(weightsDirectory: URL(fileURLWithPath: v1Directory))
    let s = v1.imageSize
    print("v1 morpher", fnv(v1.morpher(tensor(4, s), pose: [next(), next(), next()]).all))
    print("v1 rotator", fnv(v1.rotator(tensor(4, s), pose: [next(), next(), next()]).all))
    print("v1 combiner", fnv(v1.combiner(tensor(4, s), tensor(4, s), pose: [next(), next(), next()]).all))
    print("v1 pose", fnv([v1.pose(tensor(4, s), pose: (0..<6).map { _ in next() })]))
}
