//! A stream wrapper that keeps a bounded copy of what the server sent, so the
//! plaintext part of a rustls handshake (ServerHello, alerts, TLS 1.2
//! certificates) can be parsed by `wire` as well.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// At most this much of the server's bytes is kept.
pub(crate) const TEE_LIMIT: usize = 64 * 1024;

/// Bytes received so far, shared with the code that reads them afterwards.
#[derive(Clone, Default)]
pub(crate) struct Received(Arc<Mutex<Vec<u8>>>);

impl Received {
    pub(crate) fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default()
    }

    /// How many bytes are kept so far.
    pub(crate) fn len(&self) -> usize {
        self.0.lock().map(|b| b.len()).unwrap_or(0)
    }

    fn extend(&self, bytes: &[u8]) {
        if let Ok(mut buf) = self.0.lock() {
            let room = TEE_LIMIT.saturating_sub(buf.len());
            buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
    }
}

/// Wraps a stream; every byte read is also appended to [`Received`].
pub(crate) struct Tee<S> {
    inner: S,
    received: Received,
}

impl<S> Tee<S> {
    pub(crate) fn new(inner: S, received: Received) -> Self {
        Self { inner, received }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tee<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &poll {
            let new = &buf.filled()[before..];
            self.received.extend(new);
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tee<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
