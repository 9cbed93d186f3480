import Codecs
import Foundation
import Glibc
import IngestCore
import Outbox
import SnowflakeAuth
import SnowpipeAPI
import StageStorage

/// Uploads one file version to its stage and proves it is there (reference/internal-stage-notes.md §7): the
/// bytes are gzipped deterministically (unless already compressed), their digest taken, the `PUT` statement run
/// for the stage location, temporary credentials and encryption material, the object HEADed (reused when it is
/// this version, refused when another object holds the name), encrypted and uploaded, and HEADed again: only a
/// verified object is reported staged. Stateless between calls except for the PUT answers it reuses.
actor StageUploader {
    /// What happened to one file.
    enum Outcome: Sendable {
        /// In the stage and verified (uploaded now, or found from an earlier attempt).
        case staged(StagedObject, reused: Bool)
        /// Can never be uploaded under its name: ended `REJECTED` with this reason.
        case rejected(String)
        /// Failed for now (network, throttling, credentials): try again after a backoff. `code` names the cause for
        /// the metrics: an S3 error code, `s3_http_<status>`, `s3_no_answer`, `snowflake_<code>` (the PUT's session),
        /// `not_verified`, or `local` (this host: reading, spooling, encrypting).
        case retry(String, code: String = "local")
    }

    /// A PUT answer is reused for this long (its temporary credentials last longer; an `ExpiredToken` renews it).
    static let answerLifetime: TimeInterval = StageLimits.answerLifetimeSeconds

    let session: SessionClient
    let transport: any HTTPTransport
    let settings: UploadSettings
    /// Where a large file is compressed to before its upload (the state directory).
    let spoolDirectory: String
    let now: @Sendable () -> Date
    /// Called when expired stage credentials are renewed (the metrics count it).
    let onCredentialRenewal: @Sendable () -> Void
    private var answers: [String: (answer: PutAnswer, at: Date)] = [:]

    init(
        session: SessionClient, transport: any HTTPTransport, settings: UploadSettings, spoolDirectory: String,
        now: @escaping @Sendable () -> Date, onCredentialRenewal: @escaping @Sendable () -> Void = {}
    ) {
        self.onCredentialRenewal = onCredentialRenewal
        self.session = session
        self.transport = transport
        self.settings = settings
        self.spoolDirectory = spoolDirectory
        self.now = now
    }

    func upload(_ file: FileRecord) async -> Outcome {
        guard let version = FileVersion(path: file.localPath), version.matches(file) else {
            return .rejected(
                "the file changed or disappeared before its upload; a new version is taken as a new file")
        }
        let (directory, name) = StageObjectName.split(file.stagePath)
        let gzipName = name.lowercased().hasSuffix(".gz")
        // Read, gzipped and digested off the cooperative pool (a large file into a spool file, not memory).
        let spoolDirectory = spoolDirectory
        let read = await BlockingWork.run {
            PreparedUpload.prepare(file, gzip: gzipName, spoolDirectory: spoolDirectory)
        }
        let prepared: PreparedUpload
        switch read {
        case .success(let ready): prepared = ready
        case .failure(.unreadable(let code)):
            return .retry("cannot read \(file.localPath) (\(String(cString: strerror(code))))")
        case .failure(.spool(let code, let directory)):
            return .retry(
                "cannot write the compressed copy of \(file.localPath) in \(directory) "
                    + "(\(String(cString: strerror(code)))); large files are compressed there before their upload")
        case .failure(.changed):
            return .rejected("the file changed while it was read for upload; a new version is taken as a new file")
        }
        let compression = gzipName ? "GZIP" : "AUTO_DETECT"
        var renewal = CredentialRenewal(canStartOver: false)
        while true {
            let answer: PutAnswer
            do {
                answer = try await putAnswer(directory: directory, source: file.localPath, compression: compression)
            } catch {
                return .retry(error.description, code: Self.retryCode(error))
            }
            guard answer.locationType == "S3" else {
                return .rejected(
                    "the stage is on \(answer.locationType); snowpiped uploads only to stages on AWS (S3)")
            }
            do {
                return try await place(prepared, file: file, name: name, answer: answer)
            } catch let error as S3Error
                where
                (error.kind == .expiredCredentials
                // A HEAD has no body: an unexplained 400 may be expired credentials.
                || (error.status == 400 && error.code == nil)) && renewal.refused(.expired) == .renew
            {
                answers[directory] = nil
                onCredentialRenewal()
            } catch let error as S3Error {
                answers[directory] = nil
                return .retry("\(error) (\(self.hint(error)))", code: Self.retryCode(error))
            } catch {
                return .retry("\(error)", code: Self.retryCode(error))
            }
        }
    }

    /// Upload unless the name is taken (then judge what holds it), and HEAD again.
    private func place(_ prepared: PreparedUpload, file: FileRecord, name: String, answer: PutAnswer)
        async throws -> Outcome
    {
        let target = Self.target(settings: settings, answer: answer, name: name, transport: transport, now: now)
        let object = "s3://\(target.bucket)/\(target.key)"
        let digest = prepared.digest
        let staged = StagedObject(fileID: file.id, objectKey: target.key, digest: digest, size: prepared.size)
        // A single PUT is conditional (`If-None-Match: *`: S3 refuses it with 412 when the name is taken), so the
        // name is judged only when taken; a multipart upload HEADs first.
        let multipart = prepared.size + 32 > answer.threshold || prepared.size > PreparedUpload.inMemoryLimit
        let uploadedSize: Int64
        if multipart {
            if let outcome = try await judgeExisting(target, staged: staged) { return outcome }
            let sealing = try Self.sealing(digest: digest, answer: answer, settings: settings)
            let parts = UploadParts(prepared, encryptor: sealing.encryptor)
            uploadedSize = parts.objectSize
            if let outcome = try await putParts(
                parts, target: target, metadata: sealing.metadata, headers: sealing.headers)
            {
                return outcome
            }
        } else {
            let whole: [UInt8]
            switch await BlockingWork.run({ prepared.whole() }) {
            case .success(let bytes): whole = bytes
            case .failure(let failure):
                return .retry("cannot read the prepared copy of \(file.localPath) (\(failure))")
            }
            let (body, metadata, headers) = try Self.seal(whole, digest: digest, answer: answer, settings: settings)
            uploadedSize = Int64(body.count)
            if try await putIfAbsent(target, body: body, metadata: metadata, headers: headers) {
                return try await judgeExisting(target, staged: staged)
                    ?? .retry("\(object) was taken, then gone: retrying the upload", code: "not_verified")
            }
        }
        let info = try await target.s3.head(bucket: target.bucket, key: target.key, credentials: target.credentials)
        switch UploadVerdict.afterUpload(
            observed: Self.observed(info), size: Int(uploadedSize), digest: digest, encrypted: target.encrypted)
        {
        case .alreadyStaged: return .staged(staged, reused: false)
        case .notVerified(let message), .collision(let message):
            return .retry("\(object) not verified after its upload: \(message)", code: "not_verified")
        case .upload: return .retry("\(object) not verified after its upload", code: "not_verified")
        }
    }

    /// A multipart upload, each part read (and encrypted) only when it is sent; aborted when any step fails.
    /// Returns an outcome only when the file cannot be uploaded as prepared (it changed, or cannot be read).
    private func putParts(
        _ parts: UploadParts, target: Target, metadata: [String: String], headers: [(name: String, value: String)]
    ) async throws -> Outcome? {
        var upload = try await target.s3.initiateMultipart(
            bucket: target.bucket, key: target.key, metadata: metadata, headers: headers,
            credentials: target.credentials)
        do {
            while true {
                let part: [UInt8]
                switch await BlockingWork.run({ parts.next() }) {
                case .success(nil):
                    try await target.s3.completeMultipart(upload, credentials: target.credentials)
                    return nil
                case .success(let bytes?): part = bytes
                case .failure(let failure):
                    await target.s3.abortMultipart(upload, credentials: target.credentials)
                    return Self.outcome(failure)
                }
                try await target.s3.uploadPart(part, of: &upload, credentials: target.credentials)
            }
        } catch {
            await target.s3.abortMultipart(upload, credentials: target.credentials)
            throw error
        }
    }

    /// What a part that could not be produced means for the file.
    private static func outcome(_ failure: UploadParts.Failure) -> Outcome {
        switch failure {
        case .digestChanged:
            .rejected("the file changed while it was uploaded; a new version is taken as a new file")
        case .unreadable(let code):
            .retry("cannot read the file for its upload (\(String(cString: strerror(code))))")
        case .encryption(let message):
            .retry("cannot encrypt the file for its upload: \(message)")
        }
    }

    /// The metrics' name for why an upload failed for now (a bounded set: S3's error codes, Snowflake's session
    /// codes, HTTP statuses).
    static func retryCode(_ error: any Error) -> String {
        switch error {
        case let error as S3Error:
            if let code = error.code, code.isEmpty == false { return code }
            return error.status == 0 ? "s3_no_answer" : "s3_http_\(error.status)"
        case let error as SessionError:
            switch error.kind {
            case .refused(let code): return "snowflake_\(code)"
            case .http(let status): return "snowflake_http_\(status)"
            case .transport: return "snowflake_no_answer"
            case .malformed: return "snowflake_malformed"
            case .authentication: return "snowflake_authentication"
            }
        default:
            return "local"
        }
    }

    /// Where one object goes.
    struct Target {
        var s3: S3Client
        var bucket: String
        var key: String
        var credentials: AWSCredentials
        var encrypted: Bool
    }

    /// The object `name` under a PUT answer's location: its client (the rule's endpoint override, else AWS's), its
    /// key and the answer's credentials.
    static func target(
        settings: UploadSettings, answer: PutAnswer, name: String, transport: any HTTPTransport,
        now: @escaping @Sendable () -> Date = { Date() }
    ) -> Target {
        let endpoint: S3Endpoint
        if let override = settings.endpoint, let url = URL(string: override), let host = url.host {
            endpoint = S3Endpoint(scheme: url.scheme ?? "https", host: host, port: url.port, pathStyle: true)
        } else {
            endpoint = .aws(region: answer.region, endPoint: answer.endPoint)
        }
        let (bucket, prefix) = answer.bucketAndPrefix
        return Target(
            s3: S3Client(endpoint: endpoint, region: answer.region, transport: transport, now: now), bucket: bucket,
            key: prefix + name,
            credentials: AWSCredentials(
                accessKeyID: answer.awsKeyID, secretAccessKey: answer.awsSecretKey,
                sessionToken: answer.awsToken.isEmpty ? nil : answer.awsToken),
            encrypted: answer.clientSideEncrypted && answer.masterKey != nil)
    }

    /// How an object under `answer` is sealed: on a client-side encrypted stage an encryptor under a fresh file key
    /// and the envelope's metadata, else plain with server-side encryption requested (internal stages only);
    /// always `sfc-digest`.
    static func sealing(digest: String, answer: PutAnswer, settings: UploadSettings) throws
        -> (encryptor: StageEnvelope.Encryptor?, metadata: [String: String], headers: [(name: String, value: String)])
    {
        var metadata = ["sfc-digest": digest]
        guard answer.clientSideEncrypted, let key = answer.masterKey else {
            return (nil, metadata, settings.external == nil ? [("x-amz-server-side-encryption", "AES256")] : [])
        }
        guard let masterKey = Data(base64Encoded: key) else {
            throw StageEnvelopeError("the PUT answer's queryStageMasterKey is not base64")
        }
        let material = StageEncryptionMaterial(
            masterKey: Array(masterKey), queryID: answer.materialQueryID ?? answer.queryID, smkID: answer.smkID ?? 0)
        let encryptor = try StageEnvelope.Encryptor(material: material)
        metadata.merge(encryptor.metadata) { $1 }
        return (encryptor, metadata, [])
    }

    /// What is sent for `bytes` in one request: `sealing`'s encryption applied to all of them.
    static func seal(_ bytes: [UInt8], digest: String, answer: PutAnswer, settings: UploadSettings) throws
        -> (body: [UInt8], metadata: [String: String], headers: [(name: String, value: String)])
    {
        let sealing = try sealing(digest: digest, answer: answer, settings: settings)
        guard let encryptor = sealing.encryptor else { return (bytes, sealing.metadata, sealing.headers) }
        var body = try encryptor.update(bytes)
        body += try encryptor.finish()
        return (body, sealing.metadata, sealing.headers)
    }

    /// What is under the name already: nil to go on uploading, or the outcome (reuse, or a collision).
    private func judgeExisting(_ target: Target, staged: StagedObject) async throws -> Outcome? {
        let info = try await target.s3.head(bucket: target.bucket, key: target.key, credentials: target.credentials)
        switch UploadVerdict.beforeUpload(
            observed: Self.observed(info), digest: staged.digest, encrypted: target.encrypted)
        {
        case .alreadyStaged: return .staged(staged, reused: true)
        case .collision(let message):
            return .rejected(
                "stage object s3://\(target.bucket)/\(target.key): \(message); snowpiped never overwrites it")
        case .upload, .notVerified: return nil
        }
    }

    /// A conditional PUT (`If-None-Match: *`); true when S3 refused it because the name is taken (412).
    private func putIfAbsent(
        _ target: Target, body: [UInt8], metadata: [String: String], headers: [(name: String, value: String)]
    ) async throws(S3Error) -> Bool {
        do {
            try await target.s3.put(
                bucket: target.bucket, key: target.key, body: body, metadata: metadata,
                headers: headers + [("if-none-match", "*")], credentials: target.credentials)
            return false
        } catch {
            if error.status == 412 { return true }
            throw error
        }
    }

    /// A HEAD's answer as the verdicts see it.
    static func observed(_ info: S3ObjectInfo?) -> UploadVerdict.Observed? {
        info.map {
            UploadVerdict.Observed(
                size: $0.size, digest: $0.metadata["sfc-digest"],
                encryptionMetadata: $0.metadata[StageEnvelope.keyMetadata] != nil
                    && $0.metadata[StageEnvelope.ivMetadata] != nil
                    && $0.metadata[StageEnvelope.matdescMetadata] != nil)
        }
    }

    /// The PUT answer for a stage directory: reused while fresh.
    private func putAnswer(directory: String, source: String, compression: String) async throws(SessionError)
        -> PutAnswer
    {
        if let cached = answers[directory], now().timeIntervalSince(cached.at) < Self.answerLifetime {
            return cached.answer
        }
        let answer = try await Self.answer(
            settings: settings, session: session, directory: directory, source: source, compression: compression)
        answers[directory] = (answer, now())
        return answer
    }

    /// Where and how to upload into `directory` of the rule's stage: the PUT statement's answer for an internal
    /// stage, the configuration for an external one.
    /// `directory` is relative to the pipe's location (as the insertFiles path is); the answer is for that
    /// directory under `pipe_location` in the stage.
    static func answer(
        settings: UploadSettings, session: SessionClient, directory relative: String, source: String,
        compression: String
    ) async throws(SessionError) -> PutAnswer {
        let directory = [settings.pipeLocation, relative].filter { $0.isEmpty == false }.joined(separator: "/")
        if let external = settings.external { return try externalAnswer(external, directory: directory) }
        return try await session.put(
            source: source, stage: settings.stage, path: directory, sourceCompression: compression)
    }

    /// An external stage's "PUT answer": its bucket and prefix, the configured credentials (re-read each time,
    /// so a rotated key is picked up after an ExpiredToken), no Snowflake encryption.
    static func externalAnswer(_ external: ExternalS3, directory: String) throws(SessionError) -> PutAnswer {
        let credentials: AWSCredentials
        do {
            credentials = try ExternalCredentials.read(external.credentials)
        } catch {
            throw SessionError(.authentication(error.description))
        }
        let path = [external.prefix, directory].filter { $0.isEmpty == false }.joined(separator: "/")
        return PutAnswer(
            queryID: "", locationType: "S3", location: external.bucket + "/" + (path.isEmpty ? "" : path + "/"),
            region: external.region, endPoint: nil, clientSideEncrypted: false, awsKeyID: credentials.accessKeyID,
            awsSecretKey: credentials.secretAccessKey, awsToken: credentials.sessionToken ?? "", masterKey: nil,
            materialQueryID: nil, smkID: nil, threshold: StageLimits.externalMultipartThreshold)
    }

    /// What to do about an S3 failure, for the journal.
    private func hint(_ error: S3Error) -> String {
        switch error.kind {
        case .retryable: "S3 is throttling or failing; retrying with backoff"
        case .expiredCredentials: "the stage credentials expired twice in a row; retrying with fresh ones"
        case .refused where error.operation.hasPrefix("HEAD") && error.status == 403:
            "S3 refused the HEAD: the credentials need s3:ListBucket on the bucket (a HEAD of a missing object "
                + "is 403 without it), and the clock must be right (NTP)"
        case .refused: "S3 refused the stage credentials; check the clock (NTP) and the stage's storage integration"
        case .failed: "S3 refused the request"
        }
    }
}
