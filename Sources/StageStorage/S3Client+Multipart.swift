import Foundation
import HTTPSeam
import OpenSSLSupport

/// One multipart upload in progress: what its later steps need.
public struct S3MultipartUpload: Sendable {
    public var bucket: String
    public var key: String
    public var uploadID: String
    /// The parts sent so far, in order: their numbers and ETags.
    public var parts: [(number: Int, etag: String)] = []

    var name: String { "\(bucket)/\(key)" }
}

/// Multipart uploads in steps, so the caller can produce each part as it goes (read and encrypt a file part by
/// part) instead of holding the whole object. S3 wants at least 5 MiB for every part but the last, and at most
/// 10,000 parts.
extension S3Client {
    /// Starts an upload, with the object's user metadata and extra headers (they belong to the initiating
    /// request).
    public func initiateMultipart(
        bucket: String, key: String, metadata: [String: String] = [:],
        headers extra: [(name: String, value: String)] = [], credentials: AWSCredentials
    ) async throws(S3Error) -> S3MultipartUpload {
        let operation = "initiate multipart \(bucket)/\(key)"
        let headers = extra + metadata.sorted { $0.key < $1.key }.map { ("x-amz-meta-\($0.key)", $0.value) }
        let initiated = try await send(
            "POST", bucket: bucket, key: key, query: [("uploads", "")], headers: headers, credentials: credentials,
            operation: operation)
        guard initiated.status == 200,
            let uploadID = S3Error.element("UploadId", in: String(decoding: initiated.body, as: UTF8.self))
        else {
            throw S3Error.from(status: initiated.status, body: initiated.body, operation: operation)
        }
        return S3MultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
    }

    /// Sends the next part (with its `Content-MD5`) and records its ETag in `upload`.
    public func uploadPart(_ body: [UInt8], of upload: inout S3MultipartUpload, credentials: AWSCredentials)
        async throws(S3Error)
    {
        let number = upload.parts.count + 1
        let operation = "part \(number) of \(upload.name)"
        let response = try await send(
            "PUT", bucket: upload.bucket, key: upload.key,
            query: [("partNumber", String(number)), ("uploadId", upload.uploadID)],
            headers: [("content-md5", Data(MD5Digest.hash(body)).base64EncodedString())], body: body,
            credentials: credentials, operation: operation)
        guard response.status == 200, let etag = response.headers["etag"] else {
            throw S3Error.from(status: response.status, body: response.body, operation: operation)
        }
        upload.parts.append((number, etag))
    }

    /// Joins the parts into the object; returns its ETag. A `CompleteMultipartUpload` answered 200 with an
    /// `<Error>` body, which S3 may do, is a failure.
    @discardableResult
    public func completeMultipart(_ upload: S3MultipartUpload, credentials: AWSCredentials) async throws(S3Error)
        -> String?
    {
        let document =
            "<CompleteMultipartUpload>"
            + upload.parts.map { "<Part><PartNumber>\($0.number)</PartNumber><ETag>\($0.etag)</ETag></Part>" }
            .joined()
            + "</CompleteMultipartUpload>"
        let operation = "complete multipart \(upload.name)"
        let completed = try await send(
            "POST", bucket: upload.bucket, key: upload.key, query: [("uploadId", upload.uploadID)],
            body: Array(document.utf8), credentials: credentials, operation: operation)
        let answer = String(decoding: completed.body, as: UTF8.self)
        guard completed.status == 200, answer.contains("<Error>") == false else {
            throw S3Error.from(
                status: completed.status == 200 ? 500 : completed.status, body: completed.body, operation: operation)
        }
        return S3Error.element("ETag", in: answer)
    }

    /// Aborts the upload, best effort (S3 drops its parts; a lifecycle rule catches what an abort misses).
    public func abortMultipart(_ upload: S3MultipartUpload, credentials: AWSCredentials) async {
        _ = try? await send(
            "DELETE", bucket: upload.bucket, key: upload.key, query: [("uploadId", upload.uploadID)],
            credentials: credentials, operation: "abort multipart \(upload.name)")
    }
}
