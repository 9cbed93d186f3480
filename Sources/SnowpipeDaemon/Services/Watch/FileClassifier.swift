import FileWatching
import Foundation
import Glibc
import IngestCore
import Outbox

/// Decides whether a path belongs to a watch rule and turns it into a `DiscoveredFile` (with a rejection
/// reason when it can never be submitted). Pure apart from the `access` check.
struct FileClassifier: Sendable {
    let rules: [WatchRule]
    let filters: [GlobFilter]

    init(rules: [WatchRule]) {
        self.rules = rules
        filters = rules.map { GlobFilter(include: $0.include, exclude: $0.exclude) }
    }

    /// The rule index owning `path` (deepest root first), if the path passes its filters.
    func rule(for path: String) -> Int? {
        guard let index = rules.owner(of: path) else { return nil }
        let relative = path.dropFirst(rules[index].directory.count + 1)
        let components = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard let name = components.last, filters[index].accepts(fileName: String(name)) else { return nil }
        if rules[index].recursive == false, components.count > 1 { return nil }
        for directory in components.dropLast() where filters[index].accepts(directoryName: String(directory)) == false {
            return nil
        }
        return index
    }

    /// The outbox entry for a scanned or announced file under rule `index`.
    func discovered(_ file: ScannedFile, rule index: Int) -> DiscoveredFile {
        let rule = rules[index]
        let relative = String(file.path.dropFirst(rule.directory.count + 1))
        let prefix = rule.stagePrefix
        var stagePath = prefix.isEmpty ? relative : (prefix.hasSuffix("/") ? prefix : prefix + "/") + relative
        if let upload = rule.upload {
            stagePath = StageObjectName.path(
                stagePath: upload.path, relative: relative, size: file.size, mtimeNanoseconds: file.mtimeNanoseconds)
        }
        var rejection: String?
        let bytes = stagePath.utf8.count
        if file.invalidName {
            rejection = "the file name is not valid UTF-8; Snowpipe paths must be UTF-8: rename the file"
        } else if file.isRegular == false {
            rejection = "not a regular file (a symlink, FIFO, socket or device); only regular files are submitted"
        } else if bytes > SnowpipeLimits.maximumPathBytes {
            rejection =
                "the stage path is \(bytes) bytes in UTF-8; Snowpipe accepts at most \(SnowpipeLimits.maximumPathBytes): "
                + "shorten it"
        } else if access(file.path, R_OK) != 0 {
            rejection = "not readable by the service user (\(String(cString: strerror(errno)))): fix its permissions"
        }
        return DiscoveredFile(
            pipe: rule.pipe, localPath: file.path, stagePath: stagePath, size: file.size,
            mtimeNanoseconds: file.mtimeNanoseconds, rejection: rejection)
    }
}
