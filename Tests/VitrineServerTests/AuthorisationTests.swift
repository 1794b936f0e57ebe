import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
@testable import VitrineServer
import VitrineStore
import VitrineTestSupport

/// The API key on the matched route: every route the router has, every spelling of its path.
@Suite("Authorisation on the matched route")
struct AuthorisationTests {
    static let key = "k3y-Secret"

    @Test("without the key every route but /health, /ready and the page's files answers 401 with WWW-Authenticate: Bearer, however its path is spelt")
    func routeWalk() async throws {
        try await RouteTests.withDeps({ $0.apiKey = Self.key }) { deps, _ in
            let routes = VitrineServer.router(deps).routes.map { (path: $0.path.description, method: $0.method) }
            // The public routes are exactly these, and all of them exist.
            #expect(VitrineServer.publicRoutes == ["/health", "/ready", "/", "/app.css", "/app.js"])
            let registered = Set(routes.map(\.path))
            #expect(VitrineServer.publicRoutes.isSubset(of: registered), "\(registered)")
            #expect(routes.count >= 17, "every route is walked: \(routes)")
            let app = VitrineServer.application(deps, logger: Logger(label: "test"))
            try await app.test(.router) { client in
                var checked = 0
                for route in routes {
                    let path = route.path.replacingOccurrences(of: "{product_id}", with: "p1")
                        .replacingOccurrences(of: "{job_id}", with: "j1")
                    let isPublic = VitrineServer.publicRoutes.contains(route.path)
                    for spelling in PathSpellings.of(path) {
                        try await client.execute(uri: spelling, method: route.method) { (response: TestResponse) async throws in
                            if isPublic {
                                #expect(response.status != .unauthorized, "\(route.method) \(spelling) is public")
                            } else {
                                #expect(response.status == .unauthorized, "\(route.method) \(spelling) answered \(response.status) without the key")
                                #expect(response.headers[.wwwAuthenticate] == "Bearer", "\(spelling)")
                                #expect(try RouteTests.json(response.body)["code"] as? String == "unauthorized")
                            }
                        }
                        checked += 1
                    }
                    // With the key, the same spellings reach the route (whatever it then answers).
                    if !isPublic {
                        for spelling in PathSpellings.of(path) {
                            try await client.execute(uri: spelling, method: route.method,
                                                     headers: [.authorization: "Bearer \(Self.key)"]) { response in
                                #expect(response.status != .unauthorized, "\(route.method) \(spelling) with the key: \(response.status)")
                                // Routes without an id must be found by every spelling (with one, p1 and j1 do not exist).
                                if !route.path.contains("{") {
                                    #expect(response.status != .notFound, "\(route.method) \(spelling) with the key: \(response.status)")
                                }
                            }
                        }
                    }
                }
                #expect(checked >= routes.count * 10)
                // A path that matches no route says nothing without the key either.
                try await client.execute(uri: "/api/v2/anything", method: .get) { #expect($0.status == .unauthorized) }
                try await client.execute(uri: "/api/v1/stats", method: .get, headers: [.authorization: "Bearer wrong"]) {
                    #expect($0.status == .unauthorized)
                }
                try await client.execute(uri: "/api/v1/stats", method: .get, headers: [.authorization: "bearer \(Self.key)"]) {
                    #expect($0.status == .ok, "the scheme is case-insensitive (RFC 7235)")
                }
                try await client.execute(uri: "/api/v1/%zz", method: .get) { try RouteTests.expectError($0, .badRequest, "bad_request") }
            }
        }
    }

    @Test("canonical paths: escapes of unreserved characters decoded, reserved ones kept, dot segments resolved")
    func canonicalPaths() {
        for (given, expected) in [("/api/v1/stats", "/api/v1/stats"), ("//api//v1/stats/", "/api/v1/stats"),
                                  ("/api/./v1/x/../stats", "/api/v1/stats"), ("/%61pi/v1/%73tats", "/api/v1/stats"),
                                  ("/api/v1/products/a%2fb", "/api/v1/products/a%2Fb"), ("/api/v1/products/100%25", "/api/v1/products/100%25"),
                                  ("/%2e%2e/%2E/api", "/api"), ("/", "/"), ("", "/"), ("/../..", "/"),
                                  ("/api/v1/products/a+b", "/api/v1/products/a+b")] {
            #expect(CanonicalPath.canonical(Substring(given)) == expected, "\(given)")
        }
        for broken in ["/%", "/%4", "/%zz", "/a%g1"] { #expect(CanonicalPath.canonical(Substring(broken)) == nil, "\(broken)") }
    }

    @Test("over the wire: a doubled slash, a dot segment and upper case reach the route and need the key")
    func wire() async throws {
        try await RouteTests.withLiveServer({ $0.apiKey = Self.key }) { port, deps in
            do {
                // Blocking socket calls on a thread of their own: the in-process server needs the cooperative pool.
                let failures = try await onOwnThread { () throws -> [String] in
                    var failures: [String] = []
                    for path in ["//api/v1/stats", "/api/v1/./stats", "/API/V1/STATS", "/api/v1/stats/", "/%61pi/v1/stats", "//metrics", "/openapi.yaml"] {
                        let answer = try RawHTTP.send(port: port, RawHTTP.request("GET", path), timeout: 60)
                        if answer?.status != 401 || answer?.header("www-authenticate") != "Bearer" { failures.append("\(path) without the key: \(answer?.status ?? 0)") }
                        let keyed = try RawHTTP.send(port: port, RawHTTP.request("GET", path, headers: [("Authorization", "Bearer \(Self.key)")]), timeout: 60)
                        if keyed?.status != 200 { failures.append("\(path) with the key: \(keyed?.status ?? 0)") }
                    }
                    let post = RawHTTP.request("POST", "//api/v1/index-product", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                               body: Array("product_id=1&name=Lampe".utf8))
                    if try RawHTTP.send(port: port, post, timeout: 60)?.status != 401 { failures.append("POST //api/v1/index-product without the key") }
                    for path in ["/health", "//health/"] where try RawHTTP.send(port: port, RawHTTP.request("GET", path))?.status != 200 {
                        failures.append("\(path) is public")
                    }
                    return failures
                }
                #expect(failures.isEmpty, "\(failures)")
            }
        }
    }
}
