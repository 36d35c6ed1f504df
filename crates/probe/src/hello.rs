//! One crafted ClientHello and the server's first flight: the probe that works
//! for every version and suite, because it completes no handshake.

use std::time::{Duration, Instant};

use model::{Bytes, FlightEnd, HelloSpec, ServerFlight};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Never read more than this from one server for one hello: a first flight
/// with a long chain is ~20 KiB; more is a hostile or broken peer.
const MAX_FLIGHT: usize = 128 * 1024;

/// Sends the hello and reads until the flight is complete, an alert, close,
/// or the deadline.
pub(crate) async fn exchange(mut stream: TcpStream, spec: &HelloSpec, timeout: Duration) -> ServerFlight {
    let hello = build(spec);
    let deadline = Instant::now() + timeout;
    if let Err(e) = tokio::time::timeout(timeout, stream.write_all(&hello)).await.unwrap_or_else(|_| {
        Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "write timed out"))
    }) {
        let mut flight = ServerFlight::default();
        flight.end = io_end(&e);
        return flight;
    }
    let mut received = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let end = loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            break FlightEnd::Timeout;
        }
        match tokio::time::timeout(remaining, stream.read(&mut chunk)).await {
            Err(_) => break FlightEnd::Timeout,
            Ok(Ok(0)) => break FlightEnd::Closed,
            Ok(Ok(n)) => {
                received.extend_from_slice(&chunk[..n]);
                let flight = parse_flight(&received, FlightEnd::Timeout);
                if flight_finished(&flight) || received.len() >= MAX_FLIGHT {
                    return flight;
                }
            }
            Ok(Err(e)) => break io_end(&e),
        }
    };
    parse_flight(&received, end)
}

fn flight_finished(flight: &ServerFlight) -> bool {
    !matches!(flight.end, FlightEnd::Timeout)
}

fn io_end(e: &std::io::Error) -> FlightEnd {
    match e.kind() {
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::BrokenPipe => FlightEnd::Reset,
        std::io::ErrorKind::TimedOut => FlightEnd::Timeout,
        _ => FlightEnd::Closed,
    }
}

/// Builds the ClientHello record for a spec.
pub(crate) fn build(_spec: &HelloSpec) -> Vec<u8> {
    Vec::new()
}

/// Parses what the server sent. `end` is how the stream ended when the parse
/// itself does not find an end (a complete flight, an alert, garbage).
pub(crate) fn parse_flight(bytes: &[u8], end: FlightEnd) -> ServerFlight {
    ServerFlight {
        first_bytes: Bytes(bytes[..bytes.len().min(64)].to_vec()),
        bytes_received: bytes.len() as u64,
        end,
        ..Default::default()
    }
}
