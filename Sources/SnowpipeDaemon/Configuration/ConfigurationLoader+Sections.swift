import Foundation
import IngestCore
import Yams

extension ConfigurationLoader {
    static func readSnowflake(_ node: Node?, _ reader: YAMLReader) -> SnowflakeSettings? {
        guard let node else {
            reader.problem("snowflake", nil, "is required (account, user, private_key_file)")
            return nil
        }
        let keys = reader.mapping(
            node, path: "snowflake",
            allowed: [
                "account", "user", "private_key_file", "next_private_key_file", "private_key_passphrase", "host",
                "port", "scheme", "allow_plain_http", "ca_file", "request_timeout_seconds",
            ])
        let account = reader.string(keys["account"], path: "snowflake.account") ?? ""
        if account.isEmpty {
            reader.problem(
                "snowflake.account", keys["account"],
                "is not set: give your account identifier (orgname-accountname, e.g. myorg-myacct, or a locator "
                    + "such as xy12345.us-east-2.aws). The file the package installs leaves it empty until you "
                    + "configure it: set account, user, private_key_file and each watch rule's pipe")
        }
        let user = reader.string(keys["user"], path: "snowflake.user", required: true) ?? ""
        let keyFile = reader.string(keys["private_key_file"], path: "snowflake.private_key_file", required: true) ?? ""
        if keyFile.isEmpty == false, keyFile.hasPrefix("/") == false {
            reader.problem("snowflake.private_key_file", keys["private_key_file"], "must be an absolute path")
        }
        let nextKeyFile = reader.string(keys["next_private_key_file"], path: "snowflake.next_private_key_file")
            .flatMap { $0.isEmpty ? nil : $0 }
        if let nextKeyFile, nextKeyFile.hasPrefix("/") == false {
            reader.problem("snowflake.next_private_key_file", keys["next_private_key_file"], "must be an absolute path")
        } else if let nextKeyFile, nextKeyFile == keyFile {
            reader.problem(
                "snowflake.next_private_key_file", keys["next_private_key_file"],
                "is the same file as private_key_file: give the new key of a rotation (`snowpiped keygen --rotate`)")
        }
        var passphrase = SnowflakeSettings.PassphraseSetting.none
        if let passphraseNode = keys["private_key_passphrase"], passphraseNode.isNull == false {
            if passphraseNode.scalar != nil {
                reader.problem(
                    "snowflake.private_key_passphrase", passphraseNode,
                    "a passphrase is never written in the configuration: give `credential: NAME` (systemd "
                        + "LoadCredential), `file: PATH` or `env: VARIABLE`")
            } else {
                let source = reader.mapping(
                    passphraseNode, path: "snowflake.private_key_passphrase", allowed: ["credential", "file", "env"])
                if source.count != 1 {
                    reader.problem(
                        "snowflake.private_key_passphrase", passphraseNode,
                        "give exactly one of `credential`, `file` or `env`")
                }
                if let name = reader.string(source["credential"], path: "snowflake.private_key_passphrase.credential") {
                    passphrase = .credential(name)
                } else if let path = reader.string(source["file"], path: "snowflake.private_key_passphrase.file") {
                    passphrase = .file(path)
                } else if let variable = reader.string(source["env"], path: "snowflake.private_key_passphrase.env") {
                    passphrase = .environment(variable)
                }
            }
        }
        let host = reader.string(keys["host"], path: "snowflake.host").flatMap { $0.isEmpty ? nil : $0 }
        let scheme = reader.string(keys["scheme"], path: "snowflake.scheme") ?? "https"
        let allowPlain = reader.bool(keys["allow_plain_http"], path: "snowflake.allow_plain_http", default: false)
        let port = reader.integer(
            keys["port"], path: "snowflake.port", default: scheme == "http" ? 80 : 443, range: 1...65_535)
        switch scheme {
        case "https": break
        case "http":
            if allowPlain == false {
                reader.problem(
                    "snowflake.scheme", keys["scheme"],
                    "plain http sends the JWT in clear; it is only for a local emulator: set `allow_plain_http: true`")
            } else if let host, ["127.0.0.1", "localhost", "::1"].contains(host) == false, !host.hasPrefix("127.") {
                reader.problem("snowflake.scheme", keys["scheme"], "plain http is allowed only to a loopback host")
            } else if host == nil {
                reader.problem("snowflake.scheme", keys["scheme"], "plain http needs `host` set to a loopback address")
            }
        default:
            reader.problem("snowflake.scheme", keys["scheme"], "must be `https` (or `http` for a local emulator)")
        }
        let caFile = reader.string(keys["ca_file"], path: "snowflake.ca_file").flatMap { $0.isEmpty ? nil : $0 }
        var settings = SnowflakeSettings(
            account: account, user: user, privateKeyFile: keyFile, passphrase: passphrase, host: host, port: port,
            scheme: scheme, allowPlainHTTP: allowPlain, caFile: caFile)
        settings.nextPrivateKeyFile = nextKeyFile
        settings.requestTimeoutSeconds = reader.number(
            keys["request_timeout_seconds"], path: "snowflake.request_timeout_seconds",
            default: SnowflakeSettings.defaultRequestTimeoutSeconds, range: 1...600)
        return settings
    }

    static func readWatches(_ node: Node?, _ reader: YAMLReader) -> [WatchRule] {
        guard let node, node.isNull == false else {
            reader.problem("watch", nil, "is required: a list of rules, each with `directory` and `pipe`")
            return []
        }
        guard let sequence = node.sequence, sequence.isEmpty == false else {
            reader.problem("watch", node, "expected a non-empty list of rules, each with `directory` and `pipe`")
            return []
        }
        var rules: [WatchRule] = []
        for (index, item) in sequence.enumerated() {
            let path = "watch[\(index)]"
            let keys = reader.mapping(
                item, path: path,
                allowed: [
                    "directory", "pipe", "stage_prefix", "include", "exclude", "recursive", "settle_seconds",
                    "after_load", "after_load_directory", "after_failure", "quarantine_directory", "mode", "format",
                    "csv_delimiter", "compression", "channel", "stage",
                ])
            let directory = reader.string(keys["directory"], path: "\(path).directory", required: true) ?? ""
            if directory.isEmpty == false, directory.hasPrefix("/") == false {
                reader.problem("\(path).directory", keys["directory"], "must be an absolute path")
            }
            let written = reader.string(keys["pipe"], path: "\(path).pipe", required: true) ?? ""
            let stream = readStream(keys, path: path, directory: directory, reader)
            // Stream mode may name a table's default streaming pipe, `DB.SCHEMA.<TABLE>-STREAMING`.
            let defaultStreaming = stream != nil && written.uppercased().hasSuffix("-STREAMING")
            let checkedPipe = defaultStreaming ? String(written.dropLast(10)) : written
            var pipe = written
            if written.isEmpty == false, let problem = SnowflakeIdentifier.problemWithQualifiedName(checkedPipe) {
                reader.problem(
                    "\(path).pipe", keys["pipe"],
                    "\(problem); give the pipe's fully qualified name, e.g. MY_DB.PUBLIC.MY_PIPE")
            } else if written.isEmpty == false {
                // The name as Snowflake stores it: the REST paths are case-sensitive.
                pipe = SnowflakeIdentifier.canonical(checkedPipe) + (defaultStreaming ? "-STREAMING" : "")
            }
            var prefix = reader.string(keys["stage_prefix"], path: "\(path).stage_prefix") ?? ""
            if prefix.hasPrefix("/") { prefix.removeFirst() }
            let afterLoad = readAfterLoad(keys, path: path, reader)
            let afterFailure = readAfterFailure(keys, path: path, reader)
            let upload = readUpload(keys["stage"], path: "\(path).stage", reader)
            if upload != nil, stream != nil {
                reader.problem(
                    "\(path).stage", keys["stage"], "applies only to `mode: files` (a stream needs no stage)")
            }
            if upload != nil, prefix.isEmpty == false {
                reader.problem(
                    "\(path).stage_prefix", keys["stage_prefix"],
                    "applies only to `stage: {kind: local}`; for an upload rule give `stage.path`")
            }
            rules.append(
                WatchRule(
                    directory: withoutTrailingSlash(directory),
                    pipe: pipe, stagePrefix: prefix,
                    include: reader.strings(
                        keys["include"], path: "\(path).include", default: WatchRule.defaultInclude),
                    exclude: reader.strings(
                        keys["exclude"], path: "\(path).exclude", default: WatchRule.defaultExclude),
                    recursive: reader.bool(keys["recursive"], path: "\(path).recursive", default: true),
                    settleSeconds: reader.number(
                        keys["settle_seconds"], path: "\(path).settle_seconds", default: WatchRule.defaultSettleSeconds,
                        range: 0...3600),
                    afterLoad: afterLoad, afterFailure: afterFailure, stream: stream, upload: upload))
        }
        for (index, rule) in rules.enumerated() {
            var targets: [(String, String)] = []
            if case .move(let directory) = rule.afterLoad { targets.append(("after_load_directory", directory)) }
            if case .quarantine(let directory) = rule.afterFailure {
                targets.append(("quarantine_directory", directory))
            }
            for (key, target) in targets where rule.covers(target) {
                reader.problem(
                    "watch[\(index)].\(key)", sequence[index],
                    "\(target) is inside the watched directory: moved files would be submitted again; "
                        + "choose a directory outside \(rule.directory)")
            }
            for other in rules[..<index] where other.directory == rule.directory && !rule.directory.isEmpty {
                reader.problem("watch[\(index)].directory", sequence[index], "\(rule.directory) is watched twice")
            }
            for other in rules[..<index] where other.pipe == rule.pipe && (other.upload == nil) != (rule.upload == nil)
            {
                reader.problem(
                    "watch[\(index)].stage", sequence[index],
                    "\(rule.pipe) is fed by another rule with a different `stage.kind`: the rules of one pipe must all "
                        + "upload (`internal`) or all be the stage (`local`)")
            }
            for other in rules[..<index] where other.pipe == rule.pipe && (other.stream != nil || rule.stream != nil) {
                reader.problem(
                    "watch[\(index)].pipe", sequence[index],
                    "\(rule.pipe) is used by another rule; a stream-mode rule needs a pipe of its own (one channel "
                        + "per pipe): give each rule its own pipe")
            }
        }
        return rules
    }

    /// The upload settings of `stage:` (nil for `kind: local`, the default).
    static func readUpload(_ node: Node?, path: String, _ reader: YAMLReader) -> UploadSettings? {
        guard let node, node.isNull == false else { return nil }
        let keys = reader.mapping(
            node, path: path,
            allowed: [
                "kind", "name", "path", "pipe_location", "endpoint", "concurrency", "bucket", "prefix", "region",
                "credentials",
            ])
        let kind = reader.string(keys["kind"], path: "\(path).kind") ?? "local"
        switch kind {
        case "local":
            for key in keys.keys.sorted() where key != "kind" {
                reader.problem("\(path).\(key)", keys[key], "applies only to `kind: internal` or `kind: s3`")
            }
            return nil
        case "internal":
            for key in ["bucket", "prefix", "region", "credentials"] where keys[key] != nil {
                reader.problem(
                    "\(path).\(key)", keys[key],
                    "applies only to `kind: s3`; an internal stage's location and credentials come from Snowflake")
            }
        case "s3":
            if keys["name"] != nil {
                reader.problem(
                    "\(path).name", keys["name"], "applies only to `kind: internal`; give `bucket` and `prefix`")
            }
        case "gcs", "azure":
            reader.problem(
                "\(path).kind", keys["kind"],
                "\(kind) stages are not supported: snowpiped uploads to internal stages on AWS (S3); use `local` with "
                    + "a folder synchronised to the stage")
            return nil
        default:
            reader.problem("\(path).kind", keys["kind"], "must be `local` (the directory is the stage) or `internal`")
            return nil
        }
        // What both kinds share: the sub-path inside the stage, an endpoint override, the uploads in flight.
        func stagePath(_ key: String) -> String {
            (reader.string(keys[key], path: "\(path).\(key)") ?? "").split(separator: "/").joined(separator: "/")
        }
        let subPath = stagePath("path")
        let pipeLocation = stagePath("pipe_location")
        let endpoint = reader.string(keys["endpoint"], path: "\(path).endpoint")
        checkEndpoint(endpoint, node: keys["endpoint"], path: path, reader)
        let concurrency = Int(
            reader.number(keys["concurrency"], path: "\(path).concurrency", default: 4, range: 1...64))
        if kind == "s3" {
            return UploadSettings(
                stage: "", path: subPath, endpoint: endpoint, concurrency: concurrency,
                external: readExternalS3(keys, path: path, reader), pipeLocation: pipeLocation)
        }
        let name = reader.string(keys["name"], path: "\(path).name", required: true) ?? ""
        let checked = name.replacingOccurrences(of: ".%", with: ".")
        if name.isEmpty == false, let problem = SnowflakeIdentifier.problemWithQualifiedName(checked) {
            reader.problem(
                "\(path).name", keys["name"],
                "\(problem); give the stage's fully qualified name, e.g. MY_DB.PUBLIC.MY_STAGE")
        }
        // The sub-path goes into the PUT statement.
        if subPath.contains("'") || subPath.contains(" ") {
            reader.problem("\(path).path", keys["path"], "must not contain quotes or spaces")
        }
        return UploadSettings(
            stage: name, path: subPath, endpoint: endpoint, concurrency: concurrency, pipeLocation: pipeLocation)
    }

    /// The bucket, prefix, region and credentials of `stage: {kind: s3, …}`.
    static func readExternalS3(_ keys: [String: Node], path: String, _ reader: YAMLReader) -> ExternalS3 {
        let bucket = reader.string(keys["bucket"], path: "\(path).bucket", required: true) ?? ""
        if bucket.isEmpty == false,
            bucket.range(of: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", options: .regularExpression) == nil
        {
            reader.problem("\(path).bucket", keys["bucket"], "is not an S3 bucket name (3-63 of a-z, 0-9, `.`, `-`)")
        }
        let region = reader.string(keys["region"], path: "\(path).region", required: true) ?? ""
        let prefix = (reader.string(keys["prefix"], path: "\(path).prefix") ?? "").split(separator: "/").joined(
            separator: "/")
        var source = ExternalS3.CredentialSource.environment
        if let node = keys["credentials"], node.isNull == false {
            let parts = reader.mapping(node, path: "\(path).credentials", allowed: ["credential", "file", "env"])
            if parts.count != 1 {
                reader.problem(
                    "\(path).credentials", node,
                    "give exactly one of `credential: NAME` (systemd LoadCredential), `file: PATH` or `env: true`")
            }
            if let name = reader.string(parts["credential"], path: "\(path).credentials.credential") {
                source = .credential(name)
            } else if let file = reader.string(parts["file"], path: "\(path).credentials.file") {
                source = .file(file)
            }
        } else {
            reader.problem(
                "\(path).credentials", nil,
                "is required: `credential: NAME` (systemd LoadCredential), `file: PATH` or `env: true` (the key is "
                    + "never written in this file)")
        }
        return ExternalS3(bucket: bucket, prefix: prefix, region: region, credentials: source)
    }

    static func checkEndpoint(_ endpoint: String?, node: Node?, path: String, _ reader: YAMLReader) {
        guard let endpoint else { return }
        let url = URL(string: endpoint)
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(url?.host ?? "")
        if url?.scheme != "https" && !(url?.scheme == "http" && loopback) || url?.host == nil {
            reader.problem("\(path).endpoint", node, "must be an https:// URL (http:// only on loopback)")
        }
    }

    /// The stream-mode settings of a rule with `mode: stream` (nil for `mode: files`, the default).
    static func readStream(_ keys: [String: Node], path: String, directory: String, _ reader: YAMLReader)
        -> StreamSettings?
    {
        let mode = reader.string(keys["mode"], path: "\(path).mode") ?? "files"
        guard mode == "stream" else {
            if mode != "files" {
                reader.problem(
                    "\(path).mode", keys["mode"], "must be `files` (insertFiles) or `stream` (Snowpipe Streaming)")
            }
            for key in ["format", "csv_delimiter", "compression", "channel"] where keys[key] != nil {
                reader.problem("\(path).\(key)", keys[key], "applies only to `mode: stream`")
            }
            return nil
        }
        let formatName = reader.string(keys["format"], path: "\(path).format", required: true) ?? ""
        let delimiter = reader.string(keys["csv_delimiter"], path: "\(path).csv_delimiter") ?? ","
        if delimiter.utf8.count != 1 {
            reader.problem(
                "\(path).csv_delimiter", keys["csv_delimiter"], "must be one ASCII character, e.g. `,` or `;`")
        }
        var format = StreamRowReader.Format.ndjson
        switch formatName {
        case "ndjson", "": break
        case "csv": format = .csv(delimiter: delimiter.utf8.first ?? UInt8(ascii: ","), quote: UInt8(ascii: "\""))
        default:
            reader.problem(
                "\(path).format", keys["format"],
                "must be `ndjson` (one JSON object per line) or `csv` (a header line naming the columns)")
        }
        let compressionName = reader.string(keys["compression"], path: "\(path).compression") ?? "auto"
        let compression = StreamSettings.InputCompression(rawValue: compressionName) ?? .auto
        if StreamSettings.InputCompression(rawValue: compressionName) == nil {
            reader.problem("\(path).compression", keys["compression"], "must be `auto`, `gzip` or `none`")
        }
        let channel = reader.string(keys["channel"], path: "\(path).channel") ?? defaultChannel(directory: directory)
        if channel.isEmpty || channel.utf8.count > 255 || channel.contains("/") {
            reader.problem(
                "\(path).channel", keys["channel"], "must be 1 to 255 characters without `/`, unique to this daemon")
        }
        return StreamSettings(format: format, compression: compression, channel: channel)
    }

    /// `snowpiped_<host>_<directory>` with every character but letters, digits and `_` made `_`: stable across
    /// restarts, and different on each machine (two daemons on one channel would fence each other off).
    static func defaultChannel(directory: String) -> String {
        var name = [UInt8](repeating: 0, count: 256)
        let host = gethostname(&name, 255) == 0 ? String(decoding: name.prefix { $0 != 0 }, as: UTF8.self) : "host"
        let raw = "snowpiped_\(host)_\(directory)"
        let cleaned = String(
            raw.unicodeScalars.map {
                $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_")
                    ? Character($0) : "_"
            })
        return String(cleaned.prefix(200))
    }

    /// `path` without one trailing slash (the root `/` stays as it is).
    static func withoutTrailingSlash(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    private static func readAfterLoad(_ keys: [String: Node], path: String, _ reader: YAMLReader) -> WatchRule.AfterLoad
    {
        let action = reader.string(keys["after_load"], path: "\(path).after_load") ?? "keep"
        let directory = reader.string(keys["after_load_directory"], path: "\(path).after_load_directory")
        switch action {
        case "keep": return .keep
        case "delete": return .delete
        case "move":
            guard let directory, directory.hasPrefix("/") else {
                reader.problem(
                    "\(path).after_load_directory", keys["after_load_directory"] ?? keys["after_load"],
                    "`after_load: move` needs an absolute `after_load_directory`")
                return .keep
            }
            return .move(to: directory)
        default:
            reader.problem("\(path).after_load", keys["after_load"], "must be `keep`, `delete` or `move`")
            return .keep
        }
    }

    private static func readAfterFailure(_ keys: [String: Node], path: String, _ reader: YAMLReader)
        -> WatchRule.AfterFailure
    {
        let action = reader.string(keys["after_failure"], path: "\(path).after_failure") ?? "keep"
        let directory = reader.string(keys["quarantine_directory"], path: "\(path).quarantine_directory")
        switch action {
        case "keep": return .keep
        case "quarantine":
            guard let directory, directory.hasPrefix("/") else {
                reader.problem(
                    "\(path).quarantine_directory", keys["quarantine_directory"] ?? keys["after_failure"],
                    "`after_failure: quarantine` needs an absolute `quarantine_directory`")
                return .keep
            }
            return .quarantine(to: directory)
        default:
            reader.problem("\(path).after_failure", keys["after_failure"], "must be `keep` or `quarantine`")
            return .keep
        }
    }
}
