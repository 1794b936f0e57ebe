import VitrineCatalog
import Foundation
import Hummingbird
import VitrineStore

/// GET /api/v1/jobs/{job_id}.
struct JobRoutes {
    let deps: Dependencies

    func register(on router: Router<VitrineRequestContext>) {
        router.get("/api/v1/jobs/{job_id}") { request, context in
            let id = try PathParameter.decoded("job_id", context, limit: 64)
            let jobs = deps.jobs
            let job = try await deps.pool.api { try jobs.job(id: id) }
            guard let job else { throw APIError.notFound("no job \(id) (finished jobs are kept for \(Int(deps.configuration.jobRetention)) s)") }
            return try Self.response(job)
        }
    }

    /// A job's one JSON shape, answered.
    static func response(_ job: JobRecord) throws -> Response {
        try JSON.response(.ok, JSON.job(job))
    }

    /// Polls until the job has finished or `timeout` passes.
    static func wait(for id: String, jobs: any JobQueue, pool: WorkPool, timeout: TimeInterval) async throws -> JobRecord? {
        let deadline = Date().addingTimeInterval(timeout)
        var delay: UInt64 = 5_000_000
        while true {
            let job = try await pool.api { try jobs.job(id: id) }
            if let job, job.status == .succeeded || job.status == .failed { return job }
            if Date() >= deadline { return job }
            try await Task.sleep(nanoseconds: delay)
            delay = min(delay * 2, 100_000_000)
        }
    }
}
