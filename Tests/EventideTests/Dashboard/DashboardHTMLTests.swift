@testable import EventideDashboard
import Foundation
import Testing

@Suite struct DashboardHTMLTests {
    @Test func escapesEveryCharacterThatCouldEndTextOrAQuotedAttribute() {
        #expect(DashboardHTML.escape(#"<a href="x" title='y'>&amp;</a>"#)
            == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;")
        #expect(DashboardHTML.escape("plain é 🐝") == "plain é 🐝")
        var html = DashboardHTML()
        html.text("<script>" + String(repeating: "x", count: 10), limit: 9)
        #expect(html.output == "&lt;script&gt;x…")
    }

    @Test func timesAreWrittenInUTCAsFoundationWouldWriteThem() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        for milliseconds: Int64 in [0, 999, 1_796_667_394_657, 951_782_400_000, 4_107_542_399_999, -1, -86_400_001] {
            let date = Date(timeIntervalSince1970: (Double(milliseconds) / 1000).rounded(.down))
            #expect(DashboardHTML.time(milliseconds) == formatter.string(from: date), "\(milliseconds)")
        }
    }
}
