import Eventide
import EventideUVLoop
import Logging

/// Keeps every log record, so tests can assert what was logged and with which metadata.
final class LogRecorder: Sendable {
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let storage = Watched<[Record]>([])

    var records: [Record] { storage.current }

    func append(_ record: Record) { storage.update { $0.append(record) } }

    /// Blocks until a record with `message` was logged or `timeout` seconds passed;
    /// returns the first such record.
    func waitForRecord(_ message: String, timeout: Double = 10) -> Record? {
        _ = storage.wait(timeout: timeout) { $0.contains { $0.message == message } }
        return records.first { $0.message == message }
    }

    func logger(level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: "recorded") { _ in RecordingLogHandler(recorder: self) }
        logger.logLevel = level
        return logger
    }
}

struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        recorder.append(.init(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}
