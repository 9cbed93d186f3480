import Foundation
import HTTPSeam
import OpenSSLSupport

/// AWS STS `AssumeRole` on the same endpoint and signer as the S3 calls (service `sts`): temporary credentials
/// for a role. The emulator mints a Snowflake PUT's stage credentials with it, against the same server (moto)
/// the daemon uploads to.
extension S3Client {
    /// Temporary credentials of `roleARN`, valid `seconds`.
    public func assumeRole(roleARN: String, sessionName: String, seconds: Int = 3600, credentials: AWSCredentials)
        async throws(S3Error) -> AWSCredentials
    {
        let form = [
            ("Action", "AssumeRole"), ("DurationSeconds", String(seconds)), ("RoleArn", roleARN),
            ("RoleSessionName", sessionName), ("Version", "2011-06-15"),
        ]
        let body = Array(form.map { "\(SigV4.encode($0.0))=\(SigV4.encode($0.1))" }.joined(separator: "&").utf8)
        let payloadHash = SigV4.hex(SHA256Digest.hash(body))
        var headers = [
            ("host", endpoint.hostHeader(bucket: "")), ("content-type", "application/x-www-form-urlencoded"),
        ]
        let signature = SigV4.sign(
            SigV4.Request(method: "POST", path: "/", headers: headers, payloadHash: payloadHash),
            credentials: credentials, region: region, service: "sts", date: now())
        headers += signature.headers
        headers.append(("content-length", String(body.count)))
        let url = "\(endpoint.scheme)://\(endpoint.hostHeader(bucket: ""))/"
        let operation = "STS AssumeRole \(roleARN)"
        let response: HTTPResponseData
        do {
            response = try await transport.send(HTTPRequestData(method: "POST", url: url, headers: headers, body: body))
        } catch {
            throw S3Error(kind: .retryable, status: 0, code: nil, message: "\(error)", operation: operation)
        }
        let text = String(decoding: response.body, as: UTF8.self)
        guard response.status == 200, let key = S3Error.element("AccessKeyId", in: text),
            let secret = S3Error.element("SecretAccessKey", in: text),
            let token = S3Error.element("SessionToken", in: text)
        else {
            throw S3Error.from(status: response.status, body: response.body, operation: operation)
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token)
    }
}
