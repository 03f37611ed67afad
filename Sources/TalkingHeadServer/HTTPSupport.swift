import Foundation
import Hummingbird
import TalkingHead

/// An error answered with its own status and `{"error": message}`.
struct APIError: Error {
    let status: HTTPResponse.Status
    let message: String
}

enum Reply {
    static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        var buffer = ByteBuffer()
        buffer.writeBytes(data)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }

    static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func bytes(_ buffer: ByteBuffer, contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType, .cacheControl: "no-store"], body: .init(byteBuffer: buffer))
    }
}

extension Request {
    /// The body as bytes, refusing more than `limit` (413 before reading when Content-Length says so).
    mutating func bodyData(limit: Int) async throws -> Data {
        if let declared = headers[.contentLength].flatMap(Int.init), declared > limit {
            throw APIError(status: .contentTooLarge, message: "request body of \(declared) bytes is over the \(limit)-byte limit")
        }
        let buffer: ByteBuffer
        do { buffer = try await collectBody(upTo: limit) } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(status: .contentTooLarge, message: "request body is over the \(limit)-byte limit")
        }
        return Data(buffer.readableBytesView)
    }
}

/// Turns every error into a JSON answer with a status naming the problem, and counts it.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            if response.status.code >= 400 { metrics.requestFailed(status: response.status.code) }
            return response
        } catch {
            let (status, message) = Self.describe(error)
            metrics.requestFailed(status: status.code)
            var response = Reply.json(["error": message], status: status)
            if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
            return response
        }
    }

    static func describe(_ error: Error) -> (HTTPResponse.Status, String) {
        switch error {
        case let e as APIError: return (e.status, e.message)
        case let e as TalkingHeadError: return (.badRequest, e.description)
        case let e as HTTPError: return (e.status, e.body ?? e.status.reasonPhrase)
        case let e as HTTPResponseError: return (e.status, e.status.reasonPhrase)
        default: return (.internalServerError, "\(error)")
        }
    }
}

/// `--api-key`: `Authorization: Bearer KEY` on every endpoint but `/healthz`; the page, the OBS
/// page and the feed may pass `?key=KEY` instead (an `<img>` cannot send headers).
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: String
    var openFeed = false
    static var feedPath: String { "/api/talkinghead/result_feed" }
    static var queryKeyPaths: Set<String> { ["/", "/obs", "/api/talkinghead/result_feed"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == "/healthz" || request.method == .options || (openFeed && path == Self.feedPath) {
            return try await next(request, context)
        }
        var given: String?
        if let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") {
            given = String(auth.dropFirst("Bearer ".count))
        } else if Self.queryKeyPaths.contains(path), let q = request.uri.queryParameters.get("key") {
            given = q
        }
        guard let given else {
            throw APIError(status: .unauthorized, message: "this server needs an API key: send 'Authorization: Bearer KEY'")
        }
        guard constantTimeEqual(given, key) else {
            throw APIError(status: .unauthorized, message: "wrong API key")
        }
        return try await next(request, context)
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }
}
