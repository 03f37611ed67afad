import Foundation
import Hummingbird

/// `/`: the live character with sliders, emotions, talk toggle, background and upload;
/// `/obs`: the stream alone on a transparent page (OBS Browser Source). Plain HTML/JS, no build step.
enum WebPages {
    static func add(to router: Router<BasicRequestContext>, avatar: LiveAvatar) {
        router.get("/") { _, _ in html(WebPageSource.poser) }
        router.get("/obs") { _, _ in html(WebPageSource.obs) }
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
