/// A full pose: the 45 values of `PoseParameter`, all 0 unless set.
///
/// ```swift
/// var params = PoseParameters()
/// params[.headX] = 0.4
/// params[.eyeWinkLeft] = 1
/// ```
public struct PoseParameters: Equatable, Hashable, Sendable {
    /// The 45 values in upstream order.
    public private(set) var values: [Float]

    /// All 45 values 0.
    public init() {
        values = [Float](repeating: 0, count: PoseParameter.allCases.count)
    }

    /// Values by upstream name (`"head_x"`, `"eye_wink_left"`, ...); missing names are 0.
    /// - Throws: `TalkingHeadError.unknownParameter` for a name that is not one of the 45.
    public init(_ named: [String: Float]) throws {
        self.init()
        for (name, value) in named {
            guard let parameter = PoseParameter(rawValue: name) else {
                throw TalkingHeadError.unknownParameter(name: name)
            }
            self[parameter] = value
        }
    }

    /// The 45 values in upstream order.
    /// - Precondition: `values.count == 45`.
    public init(values: [Float]) {
        precondition(values.count == PoseParameter.allCases.count, "a pose has 45 values")
        self.values = values
    }

    public subscript(parameter: PoseParameter) -> Float {
        get { values[parameter.index] }
        set { values[parameter.index] = newValue }
    }

    /// Values 0..<12: the eyebrow morphing combiner's input.
    var eyebrow: ArraySlice<Float> { values[0..<12] }
    /// Values 12..<39: the face morpher's input.
    var face: ArraySlice<Float> { values[12..<39] }
    /// Values 39..<45: the face-body rotator's and editor's input.
    var rotation: ArraySlice<Float> { values[39..<45] }
}
