import Foundation
import StageStorage
import Testing

/// The signer against AWS's published SigV4 test suite (`awslabs/aws-c-auth`, tests/aws-signing-test-suite/v4:
/// header-signed cases, service "service", 2015-08-30T12:36:00Z) and the S3 developer guide's GET and PUT
/// object examples (service "s3"). Expected values are copied from those sources.
@Suite("SigV4 reproduces AWS's published signatures")
struct SigV4VectorTests {
    static let suiteKey = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let host = ("Host", "example.amazonaws.com")

    struct Vector: Sendable, CustomStringConvertible {
        var name: String
        var method = "GET"
        var path = "/"
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = [SigV4VectorTests.host]
        var token: String? = nil
        var canonicalQuery = ""
        var signedHeaders = "host;x-amz-date"
        var canonicalPath = "/"
        var signature: String
        var description: String { name }
    }

    static let vectors: [Vector] = [
        Vector(name: "get-vanilla", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(
            name: "post-vanilla", method: "POST",
            signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Vector(
            name: "get-vanilla-query-order-key-case", query: [("Param2", "value2"), ("Param1", "value1")],
            canonicalQuery: "Param1=value1&Param2=value2",
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Vector(
            name: "get-vanilla-query-unreserved",
            query: [
                (
                    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                )
            ],
            canonicalQuery: "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
                + "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
        Vector(
            name: "get-header-value-trim",
            headers: [SigV4VectorTests.host, ("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
            signedHeaders: "host;my-header1;my-header2;x-amz-date",
            signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
        Vector(
            name: "post-header-key-sort", method: "POST", headers: [SigV4VectorTests.host, ("My-Header1", "value1")],
            signedHeaders: "host;my-header1;x-amz-date",
            signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
        Vector(
            name: "get-vanilla-with-session-token",
            token: "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
            signedHeaders: "host;x-amz-date;x-amz-security-token",
            signature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"),
        Vector(
            name: "get-space-unnormalized", path: "/example space/", canonicalPath: "/example%20space/",
            signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
        Vector(
            name: "get-utf8", path: "/\u{1234}", canonicalPath: "/%E1%88%B4",
            signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        Vector(
            name: "get-slashes-unnormalized", path: "//example//", canonicalPath: "//example//",
            signature: "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5"),
    ]

    @Test(arguments: vectors)
    func theSuiteCase(_ vector: Vector) {
        var credentials = Self.suiteKey
        credentials.sessionToken = vector.token
        let request = SigV4.Request(
            method: vector.method, path: vector.path, query: vector.query, headers: vector.headers,
            payloadHash: Self.emptyHash)
        let signed = SigV4.sign(
            request, credentials: credentials, region: "us-east-1", service: "service", date: Self.suiteDate)
        let lines = signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == vector.method[...])
        #expect(lines[1] == vector.canonicalPath[...])
        #expect(lines[2] == vector.canonicalQuery[...])
        #expect(lines.last == Self.emptyHash[...])
        #expect(lines[lines.count - 2] == vector.signedHeaders[...])
        #expect(
            signed.stringToSign.hasPrefix(
                "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"))
        #expect(signed.signature == vector.signature, "\(signed.canonicalRequest)")
        let authorization = signed.headers.first { $0.name == "authorization" }?.value
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders="
                + "\(vector.signedHeaders), Signature=\(vector.signature)")
    }

    @Test func theTrimmedHeaderCaseHasTheSuitesCanonicalText() {
        let request = SigV4.Request(
            method: "GET", path: "/",
            headers: [Self.host, ("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
            payloadHash: Self.emptyHash)
        let signed = SigV4.sign(
            request, credentials: Self.suiteKey, region: "us-east-1", service: "service", date: Self.suiteDate)
        #expect(
            signed.canonicalRequest
                == "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
                + "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n\(Self.emptyHash)")
    }

    static let s3Key = AWSCredentials(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let s3Date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z

    /// S3 developer guide, "Example: GET Object" (a ranged read, empty payload hash sent as a header).
    @Test func theS3GetObjectExample() {
        let request = SigV4.Request(
            method: "GET", path: "/test.txt",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
                ("x-amz-content-sha256", Self.emptyHash),
            ],
            payloadHash: Self.emptyHash)
        let signed = SigV4.sign(request, credentials: Self.s3Key, region: "us-east-1", date: Self.s3Date)
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    /// S3 developer guide, "Example: PUT Object": a `$` in the key is encoded, the body's hash is signed.
    @Test func theS3PutObjectExample() {
        let bodyHash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        let request = SigV4.Request(
            method: "PUT", path: "/test$file.text",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"), ("x-amz-content-sha256", bodyHash),
            ],
            payloadHash: bodyHash)
        let signed = SigV4.sign(request, credentials: Self.s3Key, region: "us-east-1", date: Self.s3Date)
        #expect(signed.canonicalRequest.hasPrefix("PUT\n/test%24file.text\n\n"))
        #expect(signed.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func anUnsignedPayloadIsTheLastCanonicalLineAndChangesTheSignature() {
        func sign(_ hash: String) -> SigV4.Signature {
            SigV4.sign(
                SigV4.Request(
                    method: "PUT", path: "/sfc-stage/a b.csv.gz", query: [("partNumber", "1"), ("uploadId", "x y")],
                    headers: [("host", "127.0.0.1:9000"), ("x-amz-content-sha256", hash)], payloadHash: hash),
                credentials: Self.s3Key, region: "us-west-2", date: Self.s3Date)
        }
        let unsigned = sign(SigV4.unsignedPayload)
        #expect(unsigned.canonicalRequest.hasSuffix("\nUNSIGNED-PAYLOAD"))
        #expect(unsigned.canonicalRequest.contains("\n/sfc-stage/a%20b.csv.gz\npartNumber=1&uploadId=x%20y\n"))
        #expect(unsigned.canonicalRequest.contains("\nhost:127.0.0.1:9000\n"))
        #expect(unsigned.signature != sign(Self.emptyHash).signature)
    }

    @Test func credentialsNeverPrintTheirSecrets() {
        let credentials = AWSCredentials(accessKeyID: "ASIAEXAMPLE", secretAccessKey: "s3cr3t", sessionToken: "t0ken")
        #expect("\(credentials)".contains("s3cr3t") == false)
        #expect("\(credentials)".contains("t0ken") == false)
        #expect("\(credentials)".contains("ASIAEXAMPLE"))
    }
}
