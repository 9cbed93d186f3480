import Yams

/// Walks a YAML node tree, reading typed values by key and recording every problem with its key path and
/// line, so the whole file is checked in one pass.
final class YAMLReader {
    private(set) var problems: [ConfigProblem] = []

    func problem(_ path: String, _ node: Node?, _ message: String) {
        problems.append(ConfigProblem(path: path, line: node?.mark?.line, message: message))
    }

    /// A mapping's entries by key; records unknown keys (with a suggestion) and duplicate keys.
    func mapping(_ node: Node?, path: String, allowed: [String]) -> [String: Node] {
        guard let node else { return [:] }
        guard let mapping = node.mapping else {
            problem(path, node, "expected a mapping of keys (\(allowed.joined(separator: ", ")))")
            return [:]
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                problem(path, keyNode, "keys must be plain strings")
                continue
            }
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            if allowed.contains(key) == false {
                let suggestion = Self.closest(to: key, in: allowed).map { " (did you mean `\($0)`?)" } ?? ""
                problem(keyPath, keyNode, "unknown key\(suggestion)")
                continue
            }
            result[key] = value
        }
        return result
    }

    func string(_ node: Node?, path: String, required: Bool = false) -> String? {
        guard let node, node.isNull == false else {
            if required { problem(path, node, "is required") }
            return nil
        }
        guard let text = node.scalar?.string else {
            problem(path, node, "expected a text value")
            return nil
        }
        if required, text.isEmpty { problem(path, node, "must not be empty") }
        return text
    }

    func bool(_ node: Node?, path: String, default value: Bool) -> Bool {
        guard let node, node.isNull == false else { return value }
        guard let parsed = node.bool else {
            problem(path, node, "expected true or false, found `\(node.scalar?.string ?? "a structure")`")
            return value
        }
        return parsed
    }

    func number(_ node: Node?, path: String, default value: Double, range: ClosedRange<Double>) -> Double {
        guard let node, node.isNull == false else { return value }
        guard let parsed = node.float ?? node.int.map(Double.init) else {
            problem(path, node, "expected a number, found `\(node.scalar?.string ?? "a structure")`")
            return value
        }
        guard range.contains(parsed) else {
            problem(path, node, "must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound))")
            return value
        }
        return parsed
    }

    func integer(_ node: Node?, path: String, default value: Int, range: ClosedRange<Int>) -> Int {
        guard let node, node.isNull == false else { return value }
        guard let parsed = node.int else {
            problem(path, node, "expected a whole number, found `\(node.scalar?.string ?? "a structure")`")
            return value
        }
        guard range.contains(parsed) else {
            problem(path, node, "must be between \(range.lowerBound) and \(range.upperBound)")
            return value
        }
        return parsed
    }

    func strings(_ node: Node?, path: String, default value: [String]) -> [String] {
        guard let node, node.isNull == false else { return value }
        if let single = node.scalar?.string { return [single] }
        guard let sequence = node.sequence else {
            problem(path, node, "expected a list of text values")
            return value
        }
        return sequence.enumerated().compactMap { index, item in
            string(item, path: "\(path)[\(index)]")
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// The allowed key at edit distance ≤ 3, if any.
    static func closest(to key: String, in candidates: [String]) -> String? {
        candidates.map { ($0, distance(key, $0)) }.filter { $0.1 <= 3 }.min { $0.1 < $1.1 }?.0
    }

    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where a.isEmpty == false {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where b.isEmpty == false {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension Node {
    /// True for an explicit or empty null (`key:`, `key: ~`, `key: null`) that was not quoted.
    var isNull: Bool {
        guard let scalar else { return false }
        return scalar.style == .plain && null != nil
    }
}
