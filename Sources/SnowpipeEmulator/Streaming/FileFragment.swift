/// One entry of the SDK's `filebuffer` request body (a JSON array of them): a range of a file the SDK wrote to
/// the pipe's stage, and the rows and offset tokens it carries.
///
/// Source: the request snowpipe-streaming 1.9.1 sends (captured against a stub), e.g.
/// `[{"file_path":"sfc-emu-stage/streaming/p/0.ndjson","content_type":"application/x-ndjson",
/// "file_etag":"840733a4…","file_length_bytes":185278,"fragment_length_bytes":185278,
/// "fragment_length_uncompressed_bytes":20888890,"fragment_start_offset_token":"0",
/// "fragment_end_offset_token":"199999","fragment_row_count":200000,"fragment_start_byte_offset":0,
/// "diversifier":"…","master_key_id":"1234","iv_base64":"4FBFK07XhDcwi6ZdhoajdQ==",
/// "encryption_version":"AES-CTR-128.1","min_append_timestamp_ms":1796690539679}]`.
/// The fragment's bytes are zstd-compressed NDJSON (rows ending in `\n`, an empty line after each batch),
/// encrypted with AES-256 in counter mode under the pipe's key from the counter block `iv_base64`.
/// `fragment_length_uncompressed_bytes` was larger than the decompressed bytes, so it is not checked.
struct FileFragment: Decodable, Sendable, Equatable {
    /// `<bucket>/<path prefix><name>`: the stage location from `:pipe-info` and the file's name.
    let filePath: String
    let contentType: String
    let fileLengthBytes: Int
    let fragmentLengthBytes: Int
    let fragmentStartByteOffset: Int
    let fragmentRowCount: Int
    /// The offset token committed with the fragment's rows (its start token is not needed: rows are appended whole).
    let fragmentEndOffsetToken: String?
    let masterKeyID: String
    let ivBase64: String
    let encryptionVersion: String

    enum CodingKeys: String, CodingKey {
        case filePath = "file_path"
        case contentType = "content_type"
        case fileLengthBytes = "file_length_bytes"
        case fragmentLengthBytes = "fragment_length_bytes"
        case fragmentStartByteOffset = "fragment_start_byte_offset"
        case fragmentRowCount = "fragment_row_count"
        case fragmentEndOffsetToken = "fragment_end_offset_token"
        case masterKeyID = "master_key_id"
        case ivBase64 = "iv_base64"
        case encryptionVersion = "encryption_version"
    }

    /// The only encryption the SDK 1.9.1 asks for (`:pipe-info` body `"encryption_version":"AES-CTR-128.1"`).
    static let encryptionVersion = "AES-CTR-128.1"
}
