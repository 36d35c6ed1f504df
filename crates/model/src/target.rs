//! What the user asked about.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::Transport;

/// The server to diagnose or scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Host name or IP literal as the user wrote it (without brackets).
    pub host: String,
    pub port: u16,
    /// The name presented in the `server_name` extension; `None` sends no SNI.
    /// Defaults to `host` when it is a name, and to none when it is an IP.
    pub sni: Option<String>,
    /// Connect to this address instead of resolving `host` (curl's
    /// `--connect-to`, e.g. an origin behind a CDN).
    pub connect_to: Option<IpAddr>,
    /// STARTTLS and proxies on the way (plain TCP when empty).
    #[serde(default, skip_serializing_if = "Transport::is_plain")]
    pub transport: Transport,
}

impl Target {
    /// A target with the default SNI rule (the host, unless it is an IP literal).
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        let host = host.into();
        let sni = if host.parse::<IpAddr>().is_ok() {
            None
        } else {
            Some(host.clone())
        };
        Self {
            host,
            port,
            sni,
            connect_to: None,
            transport: Transport::default(),
        }
    }

    /// The host name certificates must match: the SNI when there is one,
    /// else the host itself.
    pub fn verify_name(&self) -> &str {
        self.sni.as_deref().unwrap_or(&self.host)
    }

    /// Where the first TCP connection goes: the proxy, or the target itself.
    pub fn first_hop(&self) -> (&str, u16) {
        match &self.transport.proxy {
            Some(proxy) => (&proxy.host, proxy.port),
            None => (&self.host, self.port),
        }
    }

    /// `host:port`, with brackets around IPv6 literals.
    pub fn display(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}
