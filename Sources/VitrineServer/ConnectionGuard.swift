import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Guards each connection, in its channel pipeline behind the HTTP codec.
///
/// Timeouts: a connection whose client stalls is closed, so a slow or silent
/// client holds nothing for long: it has `header` to send its first request's
/// head, `body` from a head to the end of its body (however slowly the bytes
/// come), and `idle` between a response and the next request. While the server
/// itself is working on a request no timer runs. Closing the channel ends the
/// request's body stream, so the route gives back what it held.
///
/// Bytes that are not HTTP at all (a bad request line, an unknown method, a
/// broken header) never reach a route: between requests such a parse error is
/// answered here, 400 in the API's JSON error envelope, and the connection closed.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let header: TimeAmount
    private let body: TimeAmount
    private let idle: TimeAmount
    private var timer: Scheduled<Void>?
    /// From a request's head until its response's end.
    private var requestActive = false

    init(header: TimeAmount, body: TimeAmount, idle: TimeAmount) {
        self.header = header
        self.body = body
        self.idle = idle
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(header, context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(header, context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            requestActive = true
            arm(body, context)
        case .end: disarm()
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            requestActive = false
            arm(idle, context)
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Inside a request the route sees the error in its body stream and answers it.
        guard error is HTTPParserError, !requestActive else { return context.fireErrorCaught(error) }
        disarm()
        var body = ByteBuffer()
        body.writeString(#"{"status":"error","code":"bad_request","message":"the request is not valid HTTP/1.1"}"#)
        let head = HTTPResponse(status: .badRequest, headerFields: [.contentType: "application/json; charset=utf-8",
                                                                    .contentLength: String(body.readableBytes), .connection: "close"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    private func arm(_ amount: TimeAmount, _ context: ChannelHandlerContext) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: amount) { channel.close(promise: nil) }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}
