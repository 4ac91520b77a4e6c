// The first read of an answer, without the read that finds nothing.
//
// Asio's reactor tries every socket read at once before it waits for the
// socket ("speculative" reads): right after a request is sent that read
// always finds the socket empty, so each request cost a recv() that failed
// with EAGAIN, one system call per copied object for nothing. Waiting with
// async_wait instead costs an epoll_ctl per request (Asio 1.81 re-arms the
// descriptor for a non-speculative wait).
//
// async_read_reply is async_read_some for that one read: the operation is
// queued on the socket's reactor like Asio's own receive (same reactor
// queue, same cancellation, same completion), but its first attempt, the
// one made before the wait, returns "not yet" without a system call. The
// socket is edge-triggered in Asio's epoll set, so the read happens when
// the answer's bytes arrive (a new edge, which every answer, reset or close
// of the peer produces).
//
// When it is safe: only as the first read after a request was written
// whole in one send (while a send waits for the socket, an answer may
// arrive with no read waiting: its edge is spent), on a connection whose
// earlier answer was read to the end, with nothing unread left in the
// socket beforehand other than what the peer may yet send (a later arrival
// is a new edge). Every further read of the same answer is Asio's usual
// async_read_some.
//
// It uses Asio's reactor internals (reactor_op, start_op, the socket's
// implementation), as of Asio 1.26 (Boost 1.81, the project's fixed
// version); on any other version it is async_read_some.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/version.hpp>

#if BOOST_ASIO_VERSION == 102600 && defined(BOOST_ASIO_HAS_EPOLL) && \
    !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#define S3MERGE_LAZY_REPLY_READ 1
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/detail/bind_handler.hpp>
#include <boost/asio/detail/fenced_block.hpp>
#include <boost/asio/detail/handler_alloc_helpers.hpp>
#include <boost/asio/detail/handler_work.hpp>
#include <boost/asio/detail/memory.hpp>
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/detail/socket_ops.hpp>
#endif

namespace s3merge::http::detail {

#ifdef S3MERGE_LAZY_REPLY_READ

namespace reply_read_impl {

namespace ad = boost::asio::detail;
using tcp = boost::asio::ip::tcp;

// The socket's reactor-side state (descriptor, state flags, reactor data):
// basic_socket keeps it protected; a pointer to the member, taken from a
// derived class, reads it from any socket.
struct socket_access : tcp::socket {
    static auto& impl(tcp::socket& s) {
        constexpr auto member = &socket_access::impl_;
        return s.*member;
    }
};

// Per-operation cancellation, as Asio's own (which its socket service
// keeps protected).
class cancellation {
public:
    cancellation(ad::reactor* r, ad::reactor::per_descriptor_data* data, int fd)
        : reactor_(r), data_(data), fd_(fd) {}
    void operator()(boost::asio::cancellation_type_t type) {
        using ct = boost::asio::cancellation_type;
        if (!!(type & (ct::terminal | ct::partial | ct::total)))
            reactor_->cancel_ops_by_key(fd_, *data_, ad::reactor::read_op, this);
    }

private:
    ad::reactor* reactor_;
    ad::reactor::per_descriptor_data* data_;
    int fd_;
};

class op_base : public ad::reactor_op {
public:
    op_base(int fd, ad::socket_ops::state_type state, boost::asio::mutable_buffer buf, func_type complete)
        : reactor_op(boost::system::error_code(), &op_base::do_perform, complete),
          fd_(fd),
          state_(state),
          buf_(buf) {}

    static status do_perform(reactor_op* base) {
        auto* o = static_cast<op_base*>(base);
        if (!o->tried_) {
            // The attempt made before the wait: the answer cannot be there yet.
            o->tried_ = true;
            return not_done;
        }
        status result = ad::socket_ops::non_blocking_recv1(o->fd_, o->buf_.data(), o->buf_.size(), 0,
                                                           (o->state_ & ad::socket_ops::stream_oriented) != 0,
                                                           o->ec_, o->bytes_transferred_)
                            ? done
                            : not_done;
        if (result == done && (o->state_ & ad::socket_ops::stream_oriented) != 0 &&
            o->bytes_transferred_ == 0)
            result = done_and_exhausted;
        return result;
    }

private:
    int fd_;
    ad::socket_ops::state_type state_;
    boost::asio::mutable_buffer buf_;
    bool tried_ = false;
};

// As Asio's reactive_socket_recv_op: the handler, its work, its memory.
template <typename Handler, typename IoExecutor>
class op : public op_base {
public:
    BOOST_ASIO_DEFINE_HANDLER_PTR(op);

    op(int fd, ad::socket_ops::state_type state, boost::asio::mutable_buffer buf, Handler& handler,
       const IoExecutor& io_ex)
        : op_base(fd, state, buf, &op::do_complete), handler_(std::move(handler)), work_(handler_, io_ex) {}

    static void do_complete(void* owner, ad::operation* base, const boost::system::error_code&, std::size_t) {
        op* o = static_cast<op*>(base);
        ptr p = {boost::asio::detail::addressof(o->handler_), o, o};
        ad::handler_work<Handler, IoExecutor> w(std::move(o->work_));
        // The handler is moved out before the memory goes back.
        ad::binder2<Handler, boost::system::error_code, std::size_t> handler(o->handler_, o->ec_,
                                                                             o->bytes_transferred_);
        p.h = boost::asio::detail::addressof(handler.handler_);
        p.reset();
        if (owner) {
            ad::fenced_block b(ad::fenced_block::half);
            w.complete(handler, handler.handler_);
        }
    }

private:
    Handler handler_;
    ad::handler_work<Handler, IoExecutor> work_;
};

struct initiation {
    tcp::socket* sock;

    template <typename Handler>
    void operator()(Handler&& h, boost::asio::mutable_buffer buf) const {
        using handler_t = std::decay_t<Handler>;
        using executor_t = tcp::socket::executor_type;
        handler_t handler(std::forward<Handler>(h));
        auto& io = socket_access::impl(*sock);
        auto& service = io.get_service();
        auto& impl = io.get_implementation();
        auto& reactor = boost::asio::use_service<ad::reactor>(service.context());
        const bool is_continuation = boost_asio_handler_cont_helpers::is_continuation(handler);
        auto slot = boost::asio::get_associated_cancellation_slot(handler);

        using op_t = op<handler_t, executor_t>;
        typename op_t::ptr p = {boost::asio::detail::addressof(handler), op_t::ptr::allocate(handler), 0};
        p.p = new (p.v) op_t(impl.socket_, impl.state_, buf, handler, sock->get_executor());
        if (slot.is_connected()) {
            p.p->cancellation_key_ =
                &slot.template emplace<cancellation>(&reactor, &impl.reactor_data_, impl.socket_);
        }
        // The socket is in non-blocking mode (set when it was opened), as
        // Asio's own start_op would make sure of.
        reactor.start_op(ad::reactor::read_op, impl.socket_, impl.reactor_data_, p.p, is_continuation, true);
        p.v = p.p = 0;
    }
};

}  // namespace reply_read_impl

// Reads what `sock` receives into `buf` (at least one byte, or an error),
// like sock.async_read_some, without trying before the wait. `sock` must be
// open and non-blocking.
template <typename Token>
auto async_read_reply(boost::asio::ip::tcp::socket& sock, boost::asio::mutable_buffer buf, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        reply_read_impl::initiation{&sock}, token, buf);
}

#else

template <typename Token>
auto async_read_reply(boost::asio::ip::tcp::socket& sock, boost::asio::mutable_buffer buf, Token&& token) {
    return sock.async_read_some(buf, std::forward<Token>(token));
}

#endif

}  // namespace s3merge::http::detail
