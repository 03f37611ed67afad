import Foundation
import XCTest
@testable import TalkingHead

/// iFacialMocap, VMC (OSC) and OpenSeeFace packets: good ones, truncated and hostile ones.
final class PacketTests: XCTestCase {
    func assertRefused(_ source: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard case TalkingHeadError.invalidInput(let s, _, _) = error else {
                return XCTFail("not invalidInput: \(error)", file: file, line: line)
            }
            XCTAssertEqual(s, source, file: file, line: line)
        }
    }

    // MARK: iFacialMocap

    func testIFacialMocapV1SampleFromTheVendorPage() throws {
        let text = "mouthSmile_R-0|eyeBlink_L-87|jawOpen-12|hapihapi-0|=head#-21.49,-6.04,-6.60,-0.031,-0.103,-0.658|rightEye#6.03,2.44,0.26|leftEye#6.03,-1.67,-0.18|"
        let face = try IFacialMocapPacket.parse(Array(text.utf8))
        XCTAssertEqual(face[.jawOpen], 0.12, accuracy: 1e-6)
        XCTAssertEqual(face[.eyeBlinkLeft], 0.87, accuracy: 1e-6)
        XCTAssertEqual(face.headDegrees.x, -21.49, accuracy: 1e-4)
        XCTAssertEqual(face.rightEyeDegrees?.y ?? 0, 2.44, accuracy: 1e-5)
        XCTAssertEqual(face.leftEyeDegrees?.z ?? 0, -0.18, accuracy: 1e-5)
    }

    func testIFacialMocapV2() throws {
        let text = "mouthSmile_L&55|mouthSmile_R&45|browInnerUp&30|=head#3,4,5,0,0,0|"
        let face = try IFacialMocapPacket.parse(text)
        XCTAssertEqual(face[.mouthSmileLeft], 0.55, accuracy: 1e-6)
        XCTAssertEqual(face[.browInnerUp], 0.3, accuracy: 1e-6)
        XCTAssertEqual(face.headDegrees, SIMD3(3, 4, 5))
        let pose = try FaceCaptureConverter().convert(face)
        XCTAssertEqual(pose[.headY], -0.4, accuracy: 1e-6)
    }

    func testIFacialMocapRefusesBadPacketsWhole() {
        let bad = [
            "", "|||", "jawOpen&12|=head#1,2,3", "jawOpen&12|=head#1,2,3,4,5,6,7", "jawOpen&", "jawOpen",
            "jawOpen&nan", "jawOpen&inf", "jawOpen&101", "jawOpen&-1", "jawOpen&0x10", "jawOpen&1e400",
            "notAShape&10", "JawOpen&10", "jawOpen&1&2", "=head#1,2,x,0,0,0", "=head#1000,0,0,0,0,0",
            "rightEye#1,2", "leftEye#1,2,3,4", "&5", "jawOpen-12-3", "hapihapi-x",
        ]
        for text in bad {
            assertRefused("iFacialMocap packet") { _ = try IFacialMocapPacket.parse(text) }
        }
        assertRefused("iFacialMocap packet") { _ = try IFacialMocapPacket.parse([0xFF, 0xFE, 0x41]) }
        // Truncated mid-number still parses only if what remains is a whole item; mid-item it is refused.
        let full = "jawOpen&12|=head#1,2,3,4,5,6|"
        for cut in 1..<full.count {
            let prefix = String(full.prefix(cut))
            if let face = try? IFacialMocapPacket.parse(prefix) {
                XCTAssertTrue(face.headDegrees == .zero || prefix.hasSuffix("6") || prefix.hasSuffix("|"), prefix)
            }
        }
    }

    // MARK: VMC / OSC

    func val(_ name: String, _ v: Float) -> OSCMessage {
        OSCMessage(address: "/VMC/Ext/Blend/Val", arguments: [.string(name), .float(v)])
    }
    let apply = OSCMessage(address: "/VMC/Ext/Blend/Apply", arguments: [])

    func testOSCRoundTrip() throws {
        let m = OSCMessage(address: "/a/b", arguments: [.int(-5), .float(1.5), .string("héllo"), .blob([1, 2, 3]),
                                                        .int64(-9), .double(2.25), .timeTag(7), .bool(true), .bool(false), .null, .impulse])
        XCTAssertEqual(try OSCPacket.parse(m.encoded()), [m])
        XCTAssertEqual(try OSCPacket.parse(OSCPacket.bundle([m, m])), [m, m])
        // Nested bundle.
        var nested = OSCPacket.padded("#bundle") + [0, 0, 0, 0, 0, 0, 0, 1]
        let inner = OSCPacket.bundle([m])
        nested += withUnsafeBytes(of: Int32(inner.count).bigEndian, Array.init) + inner
        XCTAssertEqual(try OSCPacket.parse(nested), [m])
    }

    func testVMCBlendValThenApply() throws {
        var r = VMCReceiver()
        // Unbundled: values in separate datagrams, the face on Apply.
        XCTAssertNil(try r.receive(val("JawOpen", 0.3).encoded()))
        XCTAssertNil(try r.receive(val("eyeBlinkLeft", 1).encoded()))
        let face = try XCTUnwrap(try r.receive(apply.encoded()))
        XCTAssertEqual(face[.jawOpen], 0.3)
        XCTAssertEqual(face[.eyeBlinkLeft], 1)
        // Bundled, with a head bone, UE and VRM names; unknown addresses ignored.
        let head = OSCMessage(address: "/VMC/Ext/Bone/Pos", arguments: [.string("Head"), .float(0), .float(0), .float(0),
                                                                        .float(0), .float(sin(Float.pi / 24)), .float(0), .float(cos(Float.pi / 24))])
        let other = OSCMessage(address: "/VMC/Ext/T", arguments: [.float(1)])
        let face2 = try XCTUnwrap(try r.receive(OSCPacket.bundle([other, head, val("EyeClosedRight", 0.5), val("Blink_L", 0.7), val("Joy", 1), apply])))
        XCTAssertEqual(face2[.eyeBlinkRight], 0.5)
        XCTAssertEqual(face2[.eyeBlinkLeft], 0.7)
        XCTAssertEqual(face2[.jawOpen], 0, "values do not carry over an Apply")
        XCTAssertEqual(face2.headDegrees.y, 15, accuracy: 1e-3)
    }

    func testVMCRefusesBadPacketsWhole() throws {
        var r = VMCReceiver()
        XCTAssertNil(try r.receive(val("JawOpen", 0.2).encoded()))
        let bad: [[UInt8]] = [
            OSCPacket.bundle([val("JawOpen", 0.9), val("Nonsense", 0.5), apply]),
            OSCPacket.bundle([val("JawOpen", .nan), apply]),
            OSCPacket.bundle([val("JawOpen", 2), apply]),
            OSCMessage(address: "/VMC/Ext/Blend/Val", arguments: [.string("JawOpen")]).encoded(),
            OSCMessage(address: "/VMC/Ext/Blend/Val", arguments: [.float(1), .string("JawOpen")]).encoded(),
            OSCMessage(address: "/VMC/Ext/Bone/Pos", arguments: [.string("Head"), .float(0)]).encoded(),
            Array(val("JawOpen", 0.5).encoded().dropLast(4)),   // truncated argument
            Array(OSCPacket.bundle([val("JawOpen", 0.5), apply]).dropLast(4)),
            [], [0, 0, 0], Array("#bundle\0".utf8), Array("/abc".utf8),  // no terminator
            Array("nope\0\0\0\0".utf8),
            OSCPacket.padded("/x") + OSCPacket.padded(",q"),
            OSCPacket.padded("/x") + OSCPacket.padded(",b") + [0x7F, 0xFF, 0xFF, 0xFF],   // blob past the end
        ]
        for b in bad {
            XCTAssertThrowsError(try r.receive(b), "\(b.prefix(24))")
        }
        // Deep nesting refused, not a stack overflow.
        var deep = OSCPacket.bundle([apply])
        for _ in 0..<50 {
            deep = OSCPacket.padded("#bundle") + [0, 0, 0, 0, 0, 0, 0, 1] + withUnsafeBytes(of: Int32(deep.count).bigEndian, Array.init) + deep
        }
        XCTAssertThrowsError(try r.receive(deep))
        // The value before the refused packets is still pending and nothing of them leaked in.
        let face = try XCTUnwrap(try r.receive(apply.encoded()))
        XCTAssertEqual(face[.jawOpen], 0.2)
    }

    // MARK: OpenSeeFace

    func testOpenSeeFacePacket() throws {
        XCTAssertEqual(OpenSeeFacePacket.recordSize, 1785)
        var features = [Float](repeating: 0, count: 14)
        features[OpenSeeFacePacket.Feature.eyeLeft.rawValue] = -0.8
        features[OpenSeeFacePacket.Feature.mouthOpen.rawValue] = 0.6
        features[OpenSeeFacePacket.Feature.eyebrowUpDownRight.rawValue] = 0.5
        let record = OpenSeeFacePacket.encode(time: 12.5, id: 3, rawEuler: SIMD3(-180 + 5, 4, 90 + 7.5), features: features)
        let faces = try OpenSeeFacePacket.parse(record + OpenSeeFacePacket.encode(id: 1))
        XCTAssertEqual(faces.count, 2)
        let f = faces[0]
        XCTAssertEqual(f.time, 12.5)
        XCTAssertEqual(f.id, 3)
        XCTAssertEqual(f.headDegrees.x, -5, accuracy: 1e-4)
        XCTAssertEqual(f.headDegrees.y, -4, accuracy: 1e-4)
        XCTAssertEqual(f.headDegrees.z, 7.5, accuracy: 1e-4)
        let pose = f.pose()
        XCTAssertEqual(pose[.eyeWinkLeft], 0.8, accuracy: 1e-6)
        XCTAssertEqual(pose[.mouthAaa], 0.6, accuracy: 1e-6)
        XCTAssertEqual(pose[.eyebrowRaisedRight], 0.5, accuracy: 1e-6)
        XCTAssertEqual(pose[.headX], 5.0 / 15, accuracy: 1e-5)
        XCTAssertEqual(pose[.neckZ], 0.5, accuracy: 1e-5)
        // The decoder picks the lowest id.
        var decoder = CaptureDecoder(source: .openSeeFace, converter: try FaceCaptureConverter())
        let lowest = try OpenSeeFacePacket.parse(OpenSeeFacePacket.encode(id: 1))[0].pose()
        XCTAssertEqual(try decoder.decode(record + OpenSeeFacePacket.encode(id: 1)), lowest)
    }

    func testOpenSeeFaceRefusesBadPackets() {
        let good = OpenSeeFacePacket.encode()
        var nan = good
        withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { nan.replaceSubrange(20..<24, with: $0) }
        var wild = good
        withUnsafeBytes(of: Float(50).bitPattern.littleEndian) { wild.replaceSubrange((OpenSeeFacePacket.recordSize - 4)..<OpenSeeFacePacket.recordSize, with: $0) }
        for bytes in [[], Array(good.dropLast()), good + [0], nan, wild, [UInt8](repeating: 0xFF, count: 1785)] {
            assertRefused("OpenSeeFace packet") { _ = try OpenSeeFacePacket.parse(bytes) }
        }
    }
}
