import VitrineCLI

/// The `vitrine` executable: everything lives in VitrineCLI.
@main
struct VitrineMain {
    static func main() async {
        await VitrineCommand.main()
    }
}
