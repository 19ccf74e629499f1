import ArgumentParser

/// `eventide-example`: the runnable examples, one subcommand each.
@main
struct EventideExample: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eventide-example",
        abstract: "Runnable Eventide examples.",
        subcommands: [
            BenchCommand.self, NotificationCommand.self, DependenciesCommand.self, ProcessingCommand.self,
            EmbeddedHostCommand.self, ThreadedAppCommand.self,
        ]
    )
}
