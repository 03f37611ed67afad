import Foundation
import FuzzSupport
@testable import TalkingHead

/// Any bytes given to the safetensors reader load or throw; every tensor of a file that loads
/// can be read whole.
runFuzzer { bytes in
    guard let file = try? SafeTensorsFile(data: Data(bytes), path: "fuzz.safetensors") else { return }
    for key in file.entries.keys {
        if let t = try? file.tensor(key) { precondition(t.count == file.entries[key]!.shape.reduce(1, *), key) }
    }
}
