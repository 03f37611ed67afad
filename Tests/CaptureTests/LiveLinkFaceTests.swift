import Foundation
import XCTest
@testable import TalkingHead

/// Live Link Face CSV: recognition, timecodes, resampling, units, broken rows.
final class LiveLinkFaceTests: XCTestCase {
    /// The header of a real recording (INTERFACES.md section 3: alexdjulin/LiveLinkFace-CSV-Retarget-For-Motionbuilder).
    static let header = "Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,EyeLookUpLeft,EyeSquintLeft,EyeWideLeft,EyeBlinkRight,EyeLookDownRight,EyeLookInRight,EyeLookOutRight,EyeLookUpRight,EyeSquintRight,EyeWideRight,JawForward,JawRight,JawLeft,JawOpen,MouthClose,MouthFunnel,MouthPucker,MouthRight,MouthLeft,MouthSmileLeft,MouthSmileRight,MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,MouthDimpleRight,MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper,MouthShrugLower,MouthShrugUpper,MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,MouthUpperUpLeft,MouthUpperUpRight,BrowDownLeft,BrowDownRight,BrowInnerUp,BrowOuterUpLeft,BrowOuterUpRight,CheekPuff,CheekSquintLeft,CheekSquintRight,NoseSneerLeft,NoseSneerRight,TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll"
    static var columns: [String] { header.split(separator: ",").map(String.init) }

    /// A row with the given named values (others 0).
    static func row(_ timecode: String, _ values: [String: Double] = [:]) -> String {
        ([timecode, "61"] + columns.dropFirst(2).map { values[$0].map { "\($0)" } ?? "0" }).joined(separator: ",")
    }

    func testHeaderHasThe52BlendshapesAndNineAngles() {
        XCTAssertEqual(Self.columns.count, 2 + 52 + 9)
        XCTAssertEqual(Set(Self.columns.dropFirst(2).prefix(52)), Set(ARKitBlendshape.allCases.map(\.pascalCaseName)))
    }

    func testTimecodesRateAndResampling() throws {
        // 60 fps: frames 58, 59 of one second, then 0, 1 of the next (4 rows, 3/60 s).
        let csv = [Self.header,
                   Self.row("13:13:04:58.000", ["JawOpen": 0.1]),
                   Self.row("13:13:04:59.000", ["JawOpen": 0.2]),
                   Self.row("13:13:05:00.000", ["JawOpen": 0.3]),
                   Self.row("13:13:05:01.000", ["JawOpen": 0.4, "HeadYaw": 0.1])].joined(separator: "\n")
        let rec = try LiveLinkFaceRecording(csv: csv, path: "c.csv")
        XCTAssertEqual(rec.frameRate, 60)
        XCTAssertEqual(rec.times, [0, 1.0 / 60, 2.0 / 60, 3.0 / 60].map { $0 }, accuracy: 1e-12)
        XCTAssertEqual(rec.faces[3].headDegrees.y, Float(0.1 * 180 / Double.pi), accuracy: 1e-4, "radians by default")
        XCTAssertEqual(rec.faces[1][.jawOpen], 0.2)
        // Halfway between rows 1 and 2.
        XCTAssertEqual(rec.face(at: 1.5 / 60)[.jawOpen], 0.25, accuracy: 1e-6)
        // 120 fps output over 0.05 s: 7 frames.
        let poses = try rec.poses(fps: 120, converter: try FaceCaptureConverter())
        XCTAssertEqual(poses.count, 7)
        XCTAssertEqual(poses[6][.mouthAaa] + poses[6][.mouthIii] + poses[6][.mouthUuu] + poses[6][.mouthOoo] > 0, true)
        let degrees = try LiveLinkFaceRecording(csv: csv, path: "c.csv", headUnits: .degrees)
        XCTAssertEqual(degrees.faces[3].headDegrees.y, 0.1, accuracy: 1e-6)
        // Subframes: .5 of a frame.
        let sub = try LiveLinkFaceRecording(csv: [Self.header, Self.row("00:00:00:00.000"), Self.row("00:00:00:00.500")].joined(separator: "\n"),
                                            frameRate: 30)
        XCTAssertEqual(sub.times[1], 0.5 / 30, accuracy: 1e-12)
    }

    func testBrokenRowsNameFileLineColumn() {
        let jaw = Self.columns.firstIndex(of: "JawOpen")! + 1
        let cases: [(String, Int, Int?)] = [
            (Self.row("13:13:04:31.652").replacingOccurrences(of: ",61,", with: ",61,x,"), 3, nil),   // extra cell
            (Self.row("13:13:04:31.652", ["JawOpen": 1.5]), 3, jaw),
            (Self.row("13:13:04:31.652").replacingOccurrences(of: ",61,0,", with: ",61,nan,"), 3, 3),
            (Self.row("13:13:04"), 3, 1),
            (Self.row("13:13:03:00.000"), 3, 1),   // goes backwards
            (Self.row("13:13:04:31.652", ["HeadYaw": 1e9]), 3, Self.columns.firstIndex(of: "HeadYaw")! + 1),
        ]
        for (bad, line, column) in cases {
            let csv = [Self.header, Self.row("13:13:04:30.000"), bad].joined(separator: "\n")
            XCTAssertThrowsError(try LiveLinkFaceRecording(csv: csv, path: "rec.csv"), bad) { error in
                guard case TalkingHeadError.invalidPoseFile(let path, let l, let c, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(path, "rec.csv")
                XCTAssertEqual(l, line, "\(error)")
                XCTAssertEqual(c, column, "\(error)")
            }
        }
        XCTAssertThrowsError(try LiveLinkFaceRecording(csv: Self.header + ",Nonsense\n", path: "h.csv")) { error in
            guard case TalkingHeadError.invalidPoseFile(_, 1, let c, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(c, Self.columns.count + 1)
        }
        XCTAssertThrowsError(try LiveLinkFaceRecording(csv: Self.header + "\n", path: "e.csv"))
    }

    func testLoadRecognisesEitherFormatAndWritesAPoseCSV() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("llf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let llf = dir.appendingPathComponent("capture.csv")
        let rows = (0..<30).map { Self.row(String(format: "10:00:00:%02d.000", $0), ["EyeBlinkLeft": Double($0) / 30]) }
        try ([Self.header] + rows).joined(separator: "\r\n").write(to: llf, atomically: true, encoding: .utf8)
        let seq = try PoseSequence.load(contentsOf: llf, fps: 10)
        XCTAssertEqual(seq.poses.count, 10)   // 29/30 s at 10 fps -> frames 0 ... 0.9 s
        XCTAssertEqual(seq.parameters, PoseParameter.allCases)
        // Row k (at k/30 s) has blink k/30: at 0.3 s blink 0.3, wink 0.3 / 0.8; at 0.9 s closed.
        XCTAssertEqual(seq.poses[3][.eyeWinkLeft], 0.375, accuracy: 1e-5)
        XCTAssertEqual(seq.poses[9][.eyeWinkLeft], 1)
        let csv = dir.appendingPathComponent("poses.csv")
        try seq.csvText(fps: 10).write(to: csv, atomically: true, encoding: .utf8)
        let back = try PoseSequence.load(contentsOf: csv, fps: 10)
        XCTAssertEqual(back.poses, seq.poses)
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
