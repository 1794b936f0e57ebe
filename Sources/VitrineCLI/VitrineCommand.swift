import ArgumentParser

/// The `vitrine` command-line tool: the root command and its subcommands.
public struct VitrineCommand: AsyncParsableCommand {
    /// Names the tool and lists its subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "vitrine",
        abstract: "Product-catalogue embeddings: decode, embed, index and search product images and text.",
        version: "0.1.0",
        subcommands: [InspectCommand.self, EmbedCommand.self, IndexCatalogCommand.self, SearchCommand.self, DuplicatesCommand.self,
                      GetCommand.self, DeleteCommand.self, StatsCommand.self, ExportCommand.self, ReindexCommand.self,
                      ServeCommand.self, WorkerCommand.self, ModelCommand.self]
    )

    /// Creates the root command (ArgumentParser calls this).
    public init() {}
}
