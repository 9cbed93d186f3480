import Foundation

/// A Snowpipe pipe as the emulator models it: `COPY INTO <table> FROM @<stage> FILE_FORMAT=... ON_ERROR=...
/// PATTERN=...`, with the stage being a local directory.
public struct PipeDefinition: Codable, Sendable {
    /// The key prefix of the pipe's location inside its stage: `stagePath/`, or "" for the stage root.
    var locationPrefix: String {
        let trimmed = (stagePath ?? "").split(separator: "/").joined(separator: "/")
        return trimmed.isEmpty ? "" : trimmed + "/"
    }

    /// Fully qualified, case-sensitive name as used in URLs, e.g. `MYDB.MYSCHEMA.MYPIPE`.
    public var name: String
    /// Local directory standing in for the stage; insertFiles paths are relative to it. Empty when `stage` is set.
    public var stageDirectory: String
    /// The named internal stage the pipe copies from (`DB.SCHEMA.STAGE`, one of the configuration's `stages`):
    /// insertFiles paths are then object names under that stage's prefix in the stage storage (S3).
    public var stage: String?
    /// What `stageLocation` reports, e.g. `s3://mybucket/data/`. Defaults to the directory as a file URL.
    public var stageLocation: String?
    /// With `stage`: the path after the stage in the pipe's COPY (`COPY INTO t FROM @STAGE/landing` → `landing`);
    /// insertFiles paths are relative to it (`snowpipe-rest-api.txt`, insertFiles: the path is relative to the
    /// stage location of the pipe).
    public var stagePath: String?
    /// Target table name (one SQLite table per distinct name).
    public var table: String
    /// Target columns in order.
    public var columns: [Column]
    /// How files are parsed.
    public var format: FileFormat
    /// `ON_ERROR` copy option: `SKIP_FILE` (Snowpipe's default), `SKIP_FILE_<n>`, `SKIP_FILE_<n>%`,
    /// `CONTINUE`, `ABORT_STATEMENT`.
    public var onError: String
    /// Optional `PATTERN` regular expression; must match the whole path.
    public var pattern: String?
    /// What the pipe takes: files registered through insertFiles (a classic `COPY INTO … FROM @stage` pipe), or
    /// rows through Snowpipe Streaming channels (a streaming pipe, `… FROM TABLE(DATA_SOURCE(TYPE =>
    /// 'STREAMING'))`). Each REST API refuses the other kind. A table's default streaming pipe `<TABLE>-STREAMING`
    /// needs no definition.
    public var kind: Kind

    /// The two kinds of pipe (`snowpipe-rest-api.txt` for files, `snowpipe-streaming-rest-api.txt` for rows).
    public enum Kind: String, Codable, Sendable {
        case classic = "CLASSIC"
        case streaming = "STREAMING"
    }

    public init(
        name: String,
        stageDirectory: String,
        stageLocation: String? = nil,
        table: String,
        columns: [Column],
        format: FileFormat = FileFormat(),
        onError: String = "SKIP_FILE",
        pattern: String? = nil,
        stage: String? = nil,
        kind: Kind = .classic,
        stagePath: String? = nil
    ) {
        self.kind = kind
        self.stagePath = stagePath
        self.name = name
        self.stage = stage
        self.stageDirectory = stageDirectory
        self.stageLocation = stageLocation
        self.table = table
        self.columns = columns
        self.format = format
        self.onError = onError
        self.pattern = pattern
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try c.decode(String.self, forKey: .name),
            stageDirectory: try c.decodeIfPresent(String.self, forKey: .stageDirectory) ?? "",
            stageLocation: try c.decodeIfPresent(String.self, forKey: .stageLocation),
            table: try c.decode(String.self, forKey: .table),
            columns: try c.decodeIfPresent([Column].self, forKey: .columns) ?? [],
            format: try c.decodeIfPresent(FileFormat.self, forKey: .format) ?? FileFormat(),
            onError: try c.decodeIfPresent(String.self, forKey: .onError) ?? "SKIP_FILE",
            pattern: try c.decodeIfPresent(String.self, forKey: .pattern),
            stage: try c.decodeIfPresent(String.self, forKey: .stage),
            kind: try c.decodeIfPresent(Kind.self, forKey: .kind) ?? .classic,
            stagePath: try c.decodeIfPresent(String.self, forKey: .stagePath)
        )
        if stage == nil, stageDirectory.isEmpty {
            throw DecodingError.dataCorruptedError(
                forKey: .stageDirectory, in: c, debugDescription: "pipe \(name) needs a stageDirectory or a stage")
        }
    }

    /// A target column.
    public struct Column: Codable, Sendable {
        /// Column name (uppercase by Snowflake convention).
        public var name: String
        /// Snowflake type: NUMBER, INTEGER, FLOAT, VARCHAR, BOOLEAN, DATE, TIMESTAMP, VARIANT.
        public var type: ColumnType

        public init(name: String, type: ColumnType) {
            self.name = name
            self.type = type
        }
    }

    /// The column types the loader converts and checks.
    public enum ColumnType: String, Codable, Sendable {
        case number = "NUMBER"
        case integer = "INTEGER"
        case float = "FLOAT"
        case varchar = "VARCHAR"
        case boolean = "BOOLEAN"
        case date = "DATE"
        case timestamp = "TIMESTAMP"
        case variant = "VARIANT"
    }

    /// `FILE_FORMAT` options the emulator implements.
    public struct FileFormat: Codable, Sendable {
        /// CSV or NDJSON (Snowflake's `TYPE = JSON` with one document per line).
        public var type: FormatType
        /// CSV `FIELD_DELIMITER`.
        public var fieldDelimiter: String
        /// CSV `SKIP_HEADER`: number of lines skipped at the top.
        public var skipHeader: Int
        /// CSV `FIELD_OPTIONALLY_ENCLOSED_BY` (nil = none).
        public var fieldOptionallyEnclosedBy: String?
        /// CSV `SKIP_BLANK_LINES` (Snowflake's default false: a blank line is a row with a column-count error).
        public var skipBlankLines: Bool
        /// `COMPRESSION`: AUTO (gzip detected by magic bytes), GZIP or NONE.
        public var compression: Compression

        public init(
            type: FormatType = .csv,
            fieldDelimiter: String = ",",
            skipHeader: Int = 0,
            fieldOptionallyEnclosedBy: String? = "\"",
            skipBlankLines: Bool = false,
            compression: Compression = .auto
        ) {
            self.type = type
            self.fieldDelimiter = fieldDelimiter
            self.skipHeader = skipHeader
            self.fieldOptionallyEnclosedBy = fieldOptionallyEnclosedBy
            self.skipBlankLines = skipBlankLines
            self.compression = compression
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                type: try c.decodeIfPresent(FormatType.self, forKey: .type) ?? .csv,
                fieldDelimiter: try c.decodeIfPresent(String.self, forKey: .fieldDelimiter) ?? ",",
                skipHeader: try c.decodeIfPresent(Int.self, forKey: .skipHeader) ?? 0,
                fieldOptionallyEnclosedBy: try c.decodeIfPresent(String.self, forKey: .fieldOptionallyEnclosedBy)
                    ?? "\"",
                skipBlankLines: try c.decodeIfPresent(Bool.self, forKey: .skipBlankLines) ?? false,
                compression: try c.decodeIfPresent(Compression.self, forKey: .compression) ?? .auto
            )
        }
    }

    /// File format type.
    public enum FormatType: String, Codable, Sendable {
        case csv = "CSV"
        case ndjson = "NDJSON"
    }

    /// File compression.
    public enum Compression: String, Codable, Sendable {
        case auto = "AUTO"
        case gzip = "GZIP"
        case none = "NONE"
    }
}
