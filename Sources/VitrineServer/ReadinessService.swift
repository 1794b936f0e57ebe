import ServiceLifecycle

/// The first service to hear of shutdown: /ready fails at once, and the
/// server keeps answering in-flight requests a moment longer.
struct ReadinessService: Service {
    let deps: Dependencies
    let grace: Duration

    func run() async throws {
        try? await gracefulShutdown()
        deps.draining.store(true, ordering: .relaxed)
        try? await Task.sleep(for: grace)
    }
}
