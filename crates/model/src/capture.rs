//! What a packet capture showed about one TLS connection, beyond the
//! server's first flight (which goes into a [`crate::ProbeRecord`] like a
//! live probe's): the client's side of the handshake and how the connection
//! ended. Facts only; `analysis::explain::capture` judges them.

use serde::{Deserialize, Serialize};

use crate::AlertObservation;

/// One TLS connection read from a capture.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureFacts {
    /// Wireshark's `tcp.stream` number.
    pub stream: u32,
    /// `ip:port` of the client and of the server.
    pub client: String,
    pub server: String,
    /// How the client was told from the server: `syn`, `client_hello` or `guess`.
    pub roles_from: String,
    /// Capture time of the first packet, in milliseconds since the Unix epoch.
    pub start_unix_ms: Option<i64>,
    /// From the first to the last packet of the connection.
    pub duration_ms: Option<u64>,
    /// The capture began after the TCP handshake (no SYN seen).
    pub mid_stream: bool,
    /// `closed` (FIN from both or a RST), `capture_ended` (still open when
    /// the capture stopped), `evicted` (too many streams: not read to its end)
    /// or `reused`.
    pub ending: String,
    /// The client's SYN got no answer, or a RST (refused).
    pub syn_unanswered: bool,
    pub refused: bool,
    /// A ClientHello is in the capture.
    pub client_hello_seen: bool,
    /// The first plaintext alert the client sent.
    pub client_alert: Option<AlertObservation>,
    /// A plaintext alert the server sent after the client's second flight
    /// (TLS ≤ 1.2: after ClientKeyExchange).
    pub server_alert_after_client: Option<AlertObservation>,
    /// TLS ≤ 1.2: the client answered a CertificateRequest with a Certificate
    /// message holding certificates (true) or none (false).
    pub client_certificate: Option<bool>,
    /// TLS ≤ 1.2: the client sent ChangeCipherSpec and its encrypted Finished.
    pub client_finished: bool,
    /// TLS ≤ 1.2: the server did.
    pub server_finished: bool,
    /// The client's encrypted alert records (TLS ≤ 1.2 after its
    /// ChangeCipherSpec), by count.
    pub client_encrypted_alerts: u32,
    /// Lengths of the client's first encrypted (application_data) records
    /// after the server's flight (at most 4): in TLS 1.3 its Finished, or an
    /// alert of 19 to 24 bytes when it aborts.
    pub client_records_after_flight: Vec<u16>,
    /// Lengths of the server's first records after the client's encrypted
    /// flight (at most 4).
    pub server_records_after_client: Vec<u16>,
    /// Application-data bytes each side sent (TLS 1.3: encrypted handshake included).
    pub client_application_bytes: u64,
    pub server_application_bytes: u64,
    /// Who ended the connection first and how: `client_fin`, `client_rst`,
    /// `server_fin`, `server_rst`; `None` when neither did in the capture.
    pub closed_first: Option<String>,
    /// Milliseconds from the server's last handshake record to the client's
    /// first FIN or RST, when both are in the capture.
    pub client_close_after_ms: Option<u64>,
    /// The TLS 1.3 handshake records were opened with a key log (`--keylog`):
    /// certificates, certificate request and alerts above come from them.
    #[serde(default)]
    pub decrypted: bool,
    /// With a key log: the client sent application data after its Finished
    /// (it accepted the handshake).
    #[serde(default)]
    pub client_sent_application_data: Option<bool>,
    /// What happened, one line per event, in order (bounded).
    pub timeline: Vec<String>,
    /// Events left out of `timeline`.
    pub timeline_dropped: u32,
}
