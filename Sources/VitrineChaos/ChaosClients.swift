import Foundation
import VitrineProbe

/// The outcome of one client request.
enum RequestOutcome {
    /// The server answered (its status; for a 202, the job id).
    case answered(status: Int, jobID: String?)
    /// The connection was refused: the server was down; nothing was sent.
    case refused
    /// Sent, and the connection ended without a complete response.
    case unanswered(String)
}

/// Clients that index products as fast as the server answers: synchronous writes and uploads, alternately.
final class ChaosClients: @unchecked Sendable {
    private let lock = NSLock()
    private var stopFlag = false
    private(set) var sent: [String: (upload: Bool, sentAt: Date)] = [:]
    private(set) var outcomes: [String: (outcome: RequestOutcome, at: Date)] = [:]
    private var threads: [Thread] = []
    private let finished = DispatchGroup()

    /// Starts `count` client threads against `port` on 127.0.0.1.
    convenience init(count: Int, port: Int, images: [Data], prefix: String) {
        self.init(count: count, targets: [(host: "127.0.0.1", port: port)], images: images, prefix: prefix)
    }

    /// Starts `count` client threads, each sending its requests to `targets` in turn (API nodes behind no balancer).
    init(count: Int, targets: [(host: String, port: Int)], images: [Data], prefix: String) {
        for client in 0..<count {
            finished.enter()
            let thread = Thread { [self] in
                var number = 0
                while !isStopped {
                    number += 1
                    let upload = number % 2 == 0
                    let id = "\(prefix)\(client)-\(number)"
                    let name = Self.name(id)
                    let request = upload
                        ? Multipart.uploadRequest(productID: id, name: name, image: [UInt8](images[number % images.count]))
                        : RawHTTP.request("POST", "/api/v1/index-product",
                                          headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                          body: Array("product_id=\(id)&name=\(name.replacingOccurrences(of: " ", with: "+"))".utf8))
                    record(id, upload: upload)
                    let target = targets[(number / 2) % targets.count]
                    let outcome = Self.send(request, host: target.host, port: target.port)
                    finish(id, outcome)
                    if case .refused = outcome { usleep(20_000) }
                }
                finished.leave()
            }
            threads.append(thread)
            thread.start()
        }
    }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopFlag }
    private func record(_ id: String, upload: Bool) { lock.lock(); sent[id] = (upload, Date()); lock.unlock() }
    private func finish(_ id: String, _ outcome: RequestOutcome) { lock.lock(); outcomes[id] = (outcome, Date()); lock.unlock() }

    /// Stops the clients (each finishes its request in hand).
    func stop() {
        lock.lock(); stopFlag = true; lock.unlock()
        _ = finished.wait(timeout: .now() + 60)
    }

    /// A product's name: a word of its own after the id, so that a search for it finds it among similar ones.
    static func name(_ id: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let letters = Array("bcdfghjklmnpqrstvwxz"), vowels = Array("aeiou")
        var word = ""
        for index in 0..<8 {
            word.append(index % 2 == 0 ? letters[Int(hash % 20)] : vowels[Int(hash % 5)])
            hash /= 20
        }
        return "Produit \(id) \(word)"
    }

    static func send(_ request: [UInt8], host: String = "127.0.0.1", port: Int) -> RequestOutcome {
        let connection: RawHTTPConnection
        do { connection = try RawHTTPConnection(port: port, host: host) } catch { return .refused }
        guard connection.send(request) else { return .unanswered("the connection closed while the request was sent") }
        do {
            guard let response = try connection.readResponse(timeout: 30) else { return .unanswered("closed without a response") }
            var jobID: String?
            if response.status == 202,
               let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] {
                jobID = object["job_id"] as? String
            }
            return .answered(status: response.status, jobID: jobID)
        } catch {
            return .unanswered("\(error)")
        }
    }
}
