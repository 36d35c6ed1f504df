//! The accept loop every lab server runs: one task per listener that spawns
//! one task per connection, bounded in count and lifetime.
//!
//! Connection tasks live in a `JoinSet` owned by the accept-loop task, so
//! aborting that task (what `Lab::shutdown` does) aborts every connection too.

use std::future::Future;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Most connections a single server handles at once; more are closed at once.
const MAX_CONNECTIONS: usize = 256;
/// Hard limit on any connection's life, whatever its handler does.
pub(crate) const CONNECTION_LIFETIME: Duration = Duration::from_secs(90);
/// How long a TLS handshake may take before the server gives up on it.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections on `listener` forever, running `handler` on each.
pub(crate) async fn accept_loop<F, Fut>(listener: TcpListener, handler: F)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    if connections.len() >= MAX_CONNECTIONS {
                        continue; // dropping the stream closes it
                    }
                    let _ = stream.set_nodelay(true);
                    let work = handler(stream);
                    connections.spawn(async move {
                        let _ = tokio::time::timeout(CONNECTION_LIFETIME, work).await;
                    });
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}
