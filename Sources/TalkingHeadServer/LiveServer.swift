import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TalkingHead

/// `talking-head serve`: the router (SillyTavern-compatible API, our API, the pages) around one
/// `LiveAvatar` and its render loop.
public final class LiveServer: @unchecked Sendable {
    public let avatar: LiveAvatar
    private let renderLoop: RenderLoop
    /// More routes on the same router (live capture, speech): called once while the router is built.
    public typealias Extension = (Router<BasicRequestContext>, LiveAvatar) -> Void
    private let extensions: [Extension]

    public init(avatar: LiveAvatar, extensions: [Extension] = []) {
        self.avatar = avatar
        self.renderLoop = RenderLoop(avatar: avatar)
        self.extensions = extensions
    }

    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        // Outermost first: every answer (errors too) gets the CORS header; errors become JSON;
        // CORS answers preflights before the key check.
        router.middlewares.add(AlwaysAllowOrigin())
        router.middlewares.add(ErrorMiddleware(metrics: avatar.metrics))
        router.middlewares.add(CORSMiddleware(
            allowOrigin: .all,
            allowHeaders: [.accept, .authorization, .contentType, .origin],
            allowMethods: [.get, .post, .delete, .options]))
        if let key = avatar.configuration.apiKey {
            router.middlewares.add(APIKeyMiddleware(key: key, openFeed: avatar.configuration.openFeed))
        }
        CompatibilityRoutes.add(to: router, avatar: avatar)
        APIRoutes.add(to: router, avatar: avatar)
        WebPages.add(to: router, avatar: avatar)
        SpeechRoutes.add(to: router, avatar: avatar)
        for add in extensions { add(router, avatar) }
        return router
    }

    /// The application, bound to the configuration's host and port (port 0: any free port;
    /// `onRunning` receives the port actually bound).
    public func makeApplication(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        var logger = Logger(label: "talking-head.serve")
        logger.logLevel = .warning
        let configuration = ApplicationConfiguration(
            address: .hostname(avatar.configuration.host, port: avatar.configuration.port),
            serverName: "talking-head")
        return Application(
            router: makeRouter(),
            configuration: configuration,
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Starts the render thread (it sleeps until a viewer connects).
    public func startRendering() { renderLoop.start() }
    /// Stops the render thread after the frame in progress.
    public func stopRendering() { renderLoop.stop() }

    /// Serves until SIGINT or SIGTERM, then closes feeds and stops rendering.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        startRendering()
        defer { stopRendering() }
        let app = makeApplication(onRunning: onRunning)
        var logger = Logger(label: "talking-head.serve")
        logger.logLevel = .warning
        var configuration = ServiceGroupConfiguration(
            services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Feeds end on shutdown by themselves; this bounds a stuck client's hold on the exit.
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        try await ServiceGroup(configuration: configuration).run()
    }
}

/// SillyTavern's page calls from another origin and sends no Origin header on `<img>` loads:
/// every answer carries `Access-Control-Allow-Origin: *`, as Extras' answers do.
struct AlwaysAllowOrigin<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if response.headers[.accessControlAllowOrigin] == nil { response.headers[.accessControlAllowOrigin] = "*" }
        return response
    }
}
