import ArgumentParser
import Foundation
import TalkingHead

struct Params: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the 45 pose parameters.")

    func run() {
        print("index  name                            group           range     default")
        for (i, p) in PoseParameter.allCases.enumerated() {
            let name = p.rawValue.padding(toLength: 30, withPad: " ", startingAt: 0)
            let group = p.group.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)
            let range = "\(p.range.lowerBound)..\(p.range.upperBound)".padding(toLength: 9, withPad: " ", startingAt: 0)
            print(String(format: "%5d  ", i) + "\(name)  \(group) \(range) 0")
        }
    }
}
