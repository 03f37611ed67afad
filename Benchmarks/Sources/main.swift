// TalkingHeadBenchmarks (release build; not a test, not run by CI):
//   (no arguments)                     kernel micro-benchmarks
//   --pipeline WEIGHTS [--image PNG] [--poses JSON | --count N] [--json OUT] [--by-layer] [--eager-norms]
//                                      whole poses through the public API: JSON with time per pose,
//                                      per network, per kernel kind (--by-layer: per call site and
//                                      shape, on stderr), with 1 thread the serial share of a pose
//                                      (outside parallelFor); --eager-norms applies every norm at once
//   --ab KNOB:V1,V2,... --weights W [--image PNG] [--count N]
//                                      poses alternating between settings of a tuning knob in one
//                                      process (band, bandspercore, pool, minputs, threads, level:
//                                      0 portable, 1 avx2, 2 avx512)
//   --layers [--shape CIN,COUT,SIZE,K,S,UP]
//                                      separable layer shapes, OpenBLAS vs th_gemm_packed, interleaved
//   --dw-cost [--only-small]           the depthwise stage of bottleneck-shaped separable layers
//   --checksum WEIGHTS [--v1 DIR]      FNV of every network output's float bits (same bits?)
import Foundation
@testable import TalkingHead

func time(_ label: String, repeats: Int = 5, flops: Double = 0, _ body: () -> Void) {
    body()
    var times: [Double] = []
    for _ in 0..<repeats {
        let t = Date()
        body()
        times.append(Date().timeIntervalSince(t))
    }
    times.sort()
    let med = times[times.count / 2]
    let gf = flops > 0 ? String(format: "  %.1f GFLOP/s", flops / med / 1e9) : ""
    print(String(format: "%-40@ %8.2f ms", label as NSString, med * 1000) + gf)
}

/// n uniform values in [-1, 1) from a fixed-seed xorshift (the system generator makes a
/// syscall per value: 100 million of them took most of a profile).
func rand(_ n: Int) -> Tensor {
    let t = Tensor(channels: 1, height: 1, width: n)
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    for i in 0..<n {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        t.data[i] = Float(state >> 40) / Float(1 << 23) - 1
    }
    return t
}

_ = configureBLASThreads
let args = CommandLine.arguments
/// The value after `flag`, if given.
func option(_ flag: String) -> String? {
    guard let i = args.firstIndex(of: flag), i + 1 < args.count else { return nil }
    return args[i + 1]
}

/// A memory figure of this process from /proc/self/status (VmHWM: peak resident; RssAnon,
/// RssFile: resident now, anonymous and file-backed), in MB.
func procStatusMegabytes(_ field: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return -1 }
    return kb / 1024
}
func peakRSSMegabytes() -> Double { procStatusMegabytes("VmHWM") }

/// CPU seconds of this process so far, all threads (time stolen by the hypervisor not included).
func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func summary(_ xs: [Double]) -> [String: Double] {
    let s = xs.sorted()
    return ["median": s[s.count / 2], "min": s[0], "max": s[s.count - 1],
            "p90": s[min(s.count - 1, Int(0.9 * Double(s.count)))], "n": Double(s.count)]
}

// Bit check of a refactor (Checksum.swift).
if let weights = option("--checksum") {
    try printChecksums(weights: weights, v1: option("--v1"))
    exit(0)
}

// PNG encoding of rendered frames (--png FRAME.png ...): time and size per row-filter set and
// zlib level, one thread, best of 5 per frame, summed over the frames.
if args.contains("--png") {
    let frames = try args.drop { $0 != "--png" }.dropFirst().map { try RGBAImage(contentsOf: URL(fileURLWithPath: $0)) }
    let settings: [(String, Int32, Int32)] = [("all filters, level 6 (libpng default)", 0xF8, 6), ("all filters, level 3", 0xF8, 3),
        ("all filters, level 1", 0xF8, 1), ("up, level 3", 0x20, 3), ("sub+up, level 3", 0x30, 3), ("up, level 1", 0x20, 1),
        ("paeth, level 3", 0x80, 3), ("none, level 1 (live feed)", 0x08, 1)]
    for (label, filters, level) in settings {
        var seconds = 0.0, bytes = 0
        for f in frames {
            var best = Double.infinity
            for _ in 0..<5 {
                let t = Date()
                let d = try PNGCodec.encode(width: f.width, height: f.height, pixels: f.pixels, name: "", filters: filters, level: level)
                best = min(best, Date().timeIntervalSince(t)); bytes += d.count / 5
            }
            seconds += best
        }
        print(String(format: "%-40@ %6.1f ms/frame %8d bytes/frame", label as NSString, seconds / Double(frames.count) * 1000, bytes / frames.count))
    }
    exit(0)
}

// Pipeline benchmark: the public API end to end (PNG-decoded image in, RGBAImage out), one
// warm-up pose (which runs the eyebrow decomposer), then every pose of --poses (JSON
// {"poses": [[45 numbers], ...]}) or --count random ones. Prints a JSON object.
if let weights = option("--pipeline") {
    let loadStart = Date()
    var configuration = try TalkingHead.Configuration(environment: ProcessInfo.processInfo.environment)
    configuration.tuning.deferredNorms = !args.contains("--eager-norms")
    let head = try TalkingHead(weightsDirectory: URL(fileURLWithPath: weights), configuration: configuration)
    let loadSeconds = Date().timeIntervalSince(loadStart)
    let image: RGBAImage
    if let path = option("--image") {
        image = try RGBAImage(contentsOf: URL(fileURLWithPath: path))
    } else {
        image = try RGBAImage(width: 512, height: 512, pixels: (0..<(512 * 512 * 4)).map { _ in UInt8.random(in: 0...255) })
    }
    var poses: [PoseParameters] = []
    if let path = option("--poses") {
        struct File: Decodable { var poses: [[Float]] }
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        poses = file.poses.map { PoseParameters(values: $0) }
    } else {
        for _ in 0..<(Int(option("--count") ?? "") ?? 10) {
            var p = PoseParameters()
            for q in PoseParameter.allCases { p[q] = Float.random(in: q.range) }
            poses.append(p)
        }
    }
    let firstStart = Date()
    _ = try head.pose(image: image, params: poses[0])
    let firstSeconds = Date().timeIntervalSince(firstStart)
    var totals: [Double] = []
    var cpuTotals: [Double] = []
    var perKind: [Profile.Kind: [Double]] = [:]
    Profile.enabled = true
    Profile.byDetail = args.contains("--by-layer")
    var perDetail: [String: [Double]] = [:]
    var detailFlops: [String: Double] = [:]
    var serialShares: [Double] = []
    for p in poses {
        Profile.reset()
        let t = Date()
        let cpu = processCPUSeconds()
        _ = try head.pose(image: image, params: p)
        totals.append(Date().timeIntervalSince(t))
        if head.context.workerCount == 1 { serialShares.append(1 - Profile.parallelSeconds / totals.last!) }
        cpuTotals.append(processCPUSeconds() - cpu)
        for (k, v) in Profile.snapshot() { perKind[k, default: []].append(v) }
        for (k, v) in Profile.detailSnapshot() { perDetail[k, default: []].append(v.seconds); detailFlops[k] = v.flops }
    }
    if Profile.byDetail {
        // Median per call site and shape, slowest first, with its rate where FLOPs are known.
        let rows = perDetail.map { (key: $0.key, median: summary($0.value)["median"]!) }.sorted { $0.median > $1.median }
        for r in rows {
            let gf = (detailFlops[r.key] ?? 0) > 0 ? String(format: "%7.1f GFLOP/s", detailFlops[r.key]! / r.median / 1e9) : ""
            FileHandle.standardError.write(Data(String(format: "%8.2f ms  %@  %@\n", r.median * 1000, r.key as NSString, gf as NSString).utf8))
        }
    }
    Profile.enabled = false
    var networks: [String: [String: Double]] = [:]
    var kernels: [String: [String: Double]] = [:]
    for (k, v) in perKind {
        if k.isNetwork { networks[k.rawValue] = summary(v) } else { kernels[k.rawValue] = summary(v) }
    }
    let result: [String: Any] = [
        "threads": head.context.workerCount, "poses": poses.count, "load_seconds": loadSeconds,
        "first_pose_seconds": firstSeconds, "pose": summary(totals), "pose_seconds": totals, "pose_cpu_seconds": summary(cpuTotals), "networks": networks,
        "kernels": kernels, "peak_rss_mb": peakRSSMegabytes(),
        // 1 thread only: the share of a pose outside parallelFor calls of 2 or more items.
        "serial_share": serialShares.isEmpty ? [:] : summary(serialShares),
        "peak_live_activations_mb": Double(head.context.pool.statistics.peakLive) / 1048576,
        "idle_pool_mb": Double(head.context.pool.statistics.idle) / 1048576,
        "rss_anon_mb": procStatusMegabytes("RssAnon"), "rss_file_mb": procStatusMegabytes("RssFile"),
    ]
    let json = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
    if let out = option("--json") { try json.write(to: URL(fileURLWithPath: out)) }
    print(String(decoding: json, as: UTF8.self))
    exit(0)
}

// A/B of a tuning knob inside one process: poses alternate between the settings, so the
// VM's noisy spells hit both alike. --ab band:524288,262144 (floats per separable band).
// (The product's kind is not a knob: the weights' layout for it is chosen when they load.)
if let spec = option("--ab"), let weights = option("--weights") {
    let parts = spec.split(separator: ":")
    let values = parts[1].split(separator: ",").map { Int($0)! }
    // One TalkingHead per setting (the knobs are part of its configuration); same-sized pools
    // share their buffers.
    let heads = try values.map { v -> TalkingHead in
        var configuration = try TalkingHead.Configuration(environment: ProcessInfo.processInfo.environment)
        switch parts[0] {
        case "band": configuration.tuning.separableBandFloats = v
        case "bandspercore": configuration.tuning.separableBandsPerCore = v
        case "pool": configuration.spinningPool = v != 0
        case "minputs": configuration.tuning.packedProductMinimumInputs = v
        case "threads": configuration.threads = v
        case "level": configuration.maxVectorLevel = VectorLevel(rawValue: v) ?? .avx512
        default: fatalError("unknown knob \(parts[0])")
        }
        return try TalkingHead(weightsDirectory: URL(fileURLWithPath: weights), configuration: configuration)
    }
    let image = try RGBAImage(contentsOf: URL(fileURLWithPath: option("--image") ?? "\(weights)/samples/lambda_00.png"))
    var times = [[Double]](repeating: [], count: values.count)
    var cpu = [[Double]](repeating: [], count: values.count)
    let rounds = Int(option("--count") ?? "") ?? 20
    for round in 0..<(rounds + 1) {
        var p = PoseParameters()
        for q in PoseParameter.allCases { p[q] = Float.random(in: q.range) }
        for (i, head) in heads.enumerated() {
            let t = Date(), c = processCPUSeconds()
            _ = try head.pose(image: image, params: p)
            if round > 0 {
                times[i].append(Date().timeIntervalSince(t))
                cpu[i].append(processCPUSeconds() - c)
            }
        }
    }
    for (i, v) in values.enumerated() {
        let s = summary(times[i]), c = summary(cpu[i])
        print(String(format: "%@=%d: median %.4f s  min %.4f s  cpu median %.4f s", String(parts[0]) as NSString, v,
                     s["median"]!, s["min"]!, c["median"]!))
    }
    exit(0)
}

if args.contains("--layers") {
    // (cin, cout, size, k, s, upsampledChannels)
    var shapes: [(Int, Int, Int, Int, Int, Int)] = [(16, 32, 512, 3, 1, 0), (32, 64, 512, 4, 2, 0), (96, 32, 512, 3, 1, 64), (192, 64, 256, 3, 1, 128),
        (384, 128, 128, 3, 1, 256), (128, 64, 256, 3, 1, 0), (256, 128, 128, 3, 1, 0), (64, 128, 256, 4, 2, 0), (256, 256, 64, 3, 1, 0), (512, 512, 32, 3, 1, 0), (512, 512, 16, 3, 1, 0)]
    // The level and threads of the environment (TALKING_HEAD_MAX_VECTOR_LEVEL=avx2: the AVX2 loops).
    var context = KernelContext(try TalkingHead.Configuration(environment: ProcessInfo.processInfo.environment))
    if let v = option("--bands-per-core").flatMap({ Int($0) }) { context.tuning.separableBandsPerCore = v }
    // --shape cin,cout,size,k,s,upsampled: that layer alone (for a profiler).
    if let v = option("--shape")?.split(separator: ",").compactMap({ Int($0) }), v.count == 6 {
        shapes = [(v[0], v[1], v[2], v[3], v[4], v[5])]
    }
    let big = rand(384 * 512 * 512)
    let out = Tensor(channels: 128, height: 512, width: 512)
    let wts = rand(512 * 512 + 512 * 16)
    for (cin, cout, size, k, s, up) in shapes {
        let p = k == 4 ? 1 : k / 2
        let ho = (size + 2 * p - k) / s + 1
        let flops = Double(2 * cin * cout * ho * ho + 2 * k * k * cin * ho * ho)
        var best = [Double.infinity, Double.infinity]
        var all: [[Double]] = [[], []]
        // Row-major for sgemm, packed for th_gemm_packed (the layout is chosen when weights load).
        let weights = [false, true].map { packed in
            context.tuning.packedProduct = packed
            return PointwiseWeights(copying: wts.data, rows: cout, columns: cin, context: context)
        }
        for round in 0..<24 {
            let g = round % 2
            context.tuning.packedProduct = g == 1
            let pw = weights[g]
            let t0 = Date()
            do {
                if up > 0 {
                    context.separableConv2d(sources: [ChannelSource(data: big.data, channels: up, upsampled: true),
                                              ChannelSource(data: big.data + up * size * size / 4, channels: cin - up, upsampled: false)],
                                    height: size, width: size, depthwise: wts.data + 512 * 512, kernel: k, stride: s, padding: p,
                                    pointwise: pw, cout: cout, bias: nil, output: out.data)
                } else {
                    context.separableConv2d(input: big.data, cin: cin, height: size, width: size, depthwise: wts.data + 512 * 512, kernel: k, stride: s,
                                    padding: p, pointwise: pw, cout: cout, bias: nil, output: out.data)
                }
            }
            best[g] = min(best[g], Date().timeIntervalSince(t0))
            all[g].append(Date().timeIntervalSince(t0))
        }
        let med = all.map { $0.sorted()[$0.count / 2] }
        print(String(format: "sep %d->%d k%ds%d @%d up%d  blas %.2f ms (%.0f GF)  direct %.2f ms (%.0f GF), median %.2f ms", cin, cout, k, s, size, up,
                     best[0] * 1e3, flops / best[0] / 1e9, best[1] * 1e3, flops / best[1] / 1e9, med[1] * 1e3))
    }
    exit(0)
}
if args.contains("--dw-cost") {
    let onlyDW = args.contains("--only-small")
    let big = rand(512 * 64 * 64)
    let out = Tensor(channels: 512, height: 64, width: 64)
    let wts = rand(512 * 512 + 512 * 16)
    let context = KernelContext.standard
    let scale = [Float](repeating: 1.1, count: 512), shift = [Float](repeating: 0.1, count: 512)
    for (c, size) in [(512, 32), (512, 16), (256, 64)] {
        for cout in (onlyDW ? [8] : [8, c]) {
            let pw = PointwiseWeights(copying: wts.data, rows: cout, columns: c, context: context)
            for normed in [false, true] {
                var ts: [Double] = []
                for _ in 0..<(onlyDW ? 2000 : 40) {
                    let t0 = Date()
                    context.separableConv2d(sources: [ChannelSource(data: big.data, channels: c, upsampled: false,
                                                            norm: normed ? ChannelScaleShift(scale: Array(scale[0..<c]), shift: Array(shift[0..<c]), activation: .relu) : nil)],
                                    height: size, width: size, depthwise: wts.data + 512 * 512, kernel: 3, stride: 1, padding: 1,
                                    pointwise: pw, cout: cout, bias: nil, output: out.data)
                    ts.append(Date().timeIntervalSince(t0))
                }
                ts.sort()
                print(String(format: "%d@%d cout %d norm %d: median %.3f ms min %.3f", c, size, cout, normed ? 1 : 0, ts[20] * 1e3, ts[0] * 1e3))
            }
        }
    }
    exit(0)
}
let context = KernelContext.standard
let x = rand(96 * 512 * 512)
let y = Tensor(channels: 96, height: 512, width: 512)
let w = rand(96 * 49)
time("depthwise 3x3 96@512", flops: 2 * 9 * 96 * 512 * 512) {
    context.depthwiseConv2d(input: x.data, channels: 96, height: 512, width: 512, weight: w.data, kernel: 3, stride: 1, padding: 1, output: y.data)
}
time("depthwise 4x4s2 96@512", flops: 2 * 16 * 96 * 256 * 256) {
    context.depthwiseConv2d(input: x.data, channels: 96, height: 512, width: 512, weight: w.data, kernel: 4, stride: 2, padding: 1, output: y.data)
}
time("depthwise 7x7 10@256", flops: 2 * 49 * 10 * 256 * 256) {
    context.depthwiseConv2d(input: x.data, channels: 10, height: 256, width: 256, weight: w.data, kernel: 7, stride: 1, padding: 3, output: y.data)
}
time("depthwise transposed 4x4 96@256", flops: 2 * 4 * 96 * 512 * 512) {
    context.depthwiseConvTranspose2d(input: x.data, channels: 96, height: 256, width: 256, weight: w.data, kernel: 4, stride: 2, padding: 1, output: y.data)
}
let pw = rand(96 * 96)
time("conv1x1 96->32 @512", flops: 2 * 96 * 32 * 512 * 512) {
    context.conv1x1(input: x.data, cin: 96, plane: 512 * 512, weight: pw.data, cout: 32, bias: nil, output: y.data)
}
let pw256 = rand(256 * 256)
time("conv1x1 256->256 @64", flops: 2 * 256 * 256 * 64 * 64) {
    context.conv1x1(input: x.data, cin: 256, plane: 64 * 64, weight: pw256.data, cout: 256, bias: nil, output: y.data)
}
let hw = rand(10 * 32 * 9)
time("conv3x3 32->10 @512", flops: 2 * 32 * 9 * 10 * 512 * 512) {
    context.conv2d(input: x.data, cin: 32, height: 512, width: 512, weight: hw.data, cout: 10, kernel: 3, stride: 1, padding: 1, bias: nil, output: y.data)
}
time("tanh 4@512") { context.activate(x.data, count: 4 * 512 * 512, .tanh) }
time("sigmoid 4@512") { context.activate(x.data, count: 4 * 512 * 512, .sigmoid) }
let g = rand(96)
time("instance norm + leaky 32@512") {
    context.instanceNorm(y.data, channels: 32, plane: 512 * 512, gamma: g.data, beta: g.data, activation: .leakyReLU(0.1))
}
let gc = Tensor(channels: 2, height: 512, width: 512)
time("grid change apply 4@512") {
    context.applyGridChange(image: x.data, channels: 4, height: 512, width: 512, gridChange: gc.data, alignCorners: false, output: y.data)
}
time("resize bilinear 4@512->256") {
    context.resizeBilinear(input: x.data, channels: 4, height: 512, width: 512, output: y.data, outHeight: 256, outWidth: 256)
}
time("upsample nearest 128@64") {
    context.upsampleNearest2x(input: x.data, channels: 128, height: 64, width: 64, output: y.data)
}
let big = rand(1024 * 1024)
let c = Tensor(channels: 1024, height: 32, width: 32)
time("sgemm 1 thread 256x4096x256", flops: 2 * 256 * 4096 * 256) {
    sgemm(m: 256, n: 4096, k: 256, a: big.data, lda: 256, b: x.data, ldb: 4096, c: c.data, ldc: 4096)
}
time("parallelSgemm 256x4096x256", flops: 2 * 256 * 4096 * 256) {
    context.parallelSgemm(m: 256, n: 4096, k: 256, a: big.data, lda: 256, b: x.data, ldb: 4096, c: c.data, ldc: 4096)
}
time("sgemm 1 thread 1024^3", flops: 2 * 1024 * 1024 * 1024) {
    sgemm(m: 1024, n: 1024, k: 1024, a: big.data, lda: 1024, b: x.data, ldb: 1024, c: c.data, ldc: 1024)
}
time("parallelSgemm 1024^3", flops: 2 * 1024 * 1024 * 1024) {
    context.parallelSgemm(m: 1024, n: 1024, k: 1024, a: big.data, lda: 1024, b: x.data, ldb: 1024, c: c.data, ldc: 1024)
}
blasThreadCount = 2
time("sgemm 2 blas threads 256x4096x256", flops: 2 * 256 * 4096 * 256) {
    sgemm(m: 256, n: 4096, k: 256, a: big.data, lda: 256, b: x.data, ldb: 4096, c: c.data, ldc: 4096)
}
time("sgemm 2 blas threads 1024^3", flops: 2 * 1024 * 1024 * 1024) {
    sgemm(m: 1024, n: 1024, k: 1024, a: big.data, lda: 1024, b: x.data, ldb: 1024, c: c.data, ldc: 1024)
}
for (c, h, k, s) in [(16, 512, 3, 1), (32, 512, 4, 2), (96, 512, 3, 1), (192, 256, 3, 1), (384, 128, 3, 1), (256, 64, 3, 1), (512, 32, 3, 1), (10, 256, 7, 1), (64, 256, 4, 2)] {
    let ho = (h + 2 * (k == 4 ? 1 : k / 2) - k) / s + 1
    time("dw \(k)x\(k)s\(s) \(c)@\(h)", flops: Double(2 * k * k * c * ho * ho)) {
        context.depthwiseConv2d(input: x.data, channels: c, height: h, width: h, weight: w.data, kernel: k, stride: s, padding: k == 4 ? 1 : k / 2, output: y.data)
    }
}
let xd = rand(96 * 512 * 512)
for i in 0..<xd.count { xd.data[i] *= 1e-39 }
time("dw 3x3s1 96@512 denormal input", flops: Double(2 * 9 * 96 * 512 * 512)) {
    context.depthwiseConv2d(input: xd.data, channels: 96, height: 512, width: 512, weight: w.data, kernel: 3, stride: 1, padding: 1, output: y.data)
}
