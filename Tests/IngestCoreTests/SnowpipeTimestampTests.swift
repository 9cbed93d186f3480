import IngestCore
import Testing

@Suite("The ISO-8601 millisecond codec shared by the daemon and the emulator")
struct SnowpipeTimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1_498_020_461_453, "2017-06-21T04:47:41.453Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (1_800_000_000_001, "2027-01-15T08:00:00.001Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
    ])
    func formatsMillisecondsAsSnowpipeWritesThem(milliseconds: Int64, text: String) {
        #expect(SnowpipeTimestamp.format(milliseconds: milliseconds) == text)
        #expect(SnowpipeTimestamp.parseMilliseconds(text) == milliseconds)
    }

    @Test func roundsSecondsToTheNearestMillisecondInsteadOfTruncating() {
        // 1.453 is stored as 1.45299999…: a truncating formatter writes .452, one millisecond early.
        let seconds = 1_498_020_461.453
        #expect(SnowpipeTimestamp.format(seconds: seconds) == "2017-06-21T04:47:41.453Z")
        #expect(SnowpipeTimestamp.format(seconds: 0.0004) == "1970-01-01T00:00:00.000Z")
        #expect(SnowpipeTimestamp.format(seconds: 0.0005) == "1970-01-01T00:00:00.001Z")
    }

    @Test(arguments: [
        ("2017-06-21T04:47:41Z", Int64(1_498_020_461_000)),
        ("2017-06-21T04:47:41.4Z", 1_498_020_461_400),
        ("2017-06-21T04:47:41.453123Z", 1_498_020_461_453),
        ("2017-06-21T04:47:41.4535Z", 1_498_020_461_454),
        ("2017-06-21T06:47:41.453+02:00", 1_498_020_461_453),
        ("2017-06-20T23:47:41.453-0500", 1_498_020_461_453),
        ("2017-06-21T04:47:41.453", 1_498_020_461_453),
        ("2017-06-21t04:47:41.453z", 1_498_020_461_453),
    ])
    func readsAnyISO8601Instant(text: String, milliseconds: Int64) {
        #expect(SnowpipeTimestamp.parseMilliseconds(text) == milliseconds)
    }

    @Test(arguments: [
        "", "yesterday", "2017-06-21", "2017-13-01T00:00:00Z", "2017-02-29T00:00:00Z", "2017-06-21T24:00:00Z",
        "2017-06-21T04:47:41.Z", "2017-06-21T04:47:41.453Zjunk", "2017-06-21 04:47:41Z", "2017-06-21T04:47:41+2",
    ])
    func refusesWhatIsNotAnInstant(text: String) {
        #expect(SnowpipeTimestamp.parseMilliseconds(text) == nil)
    }

    @Test func everyMillisecondOfARandomSampleRoundTrips() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let milliseconds = Int64.random(in: -2_000_000_000_000...4_000_000_000_000, using: &generator)
            #expect(
                SnowpipeTimestamp.parseMilliseconds(SnowpipeTimestamp.format(milliseconds: milliseconds))
                    == milliseconds)
        }
    }
}
