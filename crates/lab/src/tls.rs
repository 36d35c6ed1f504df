//! The rustls-based lab servers: a real TLS stack (tokio-rustls, aws-lc-rs)
//! configured with a faulty certificate chain, a client-certificate demand, an
//! SNI demand, or sitting behind an intercepting proxy.
//!
//! After a successful handshake each server answers one HTTP/1.1 request (see
//! [`crate::http`]) and closes. Every handshake has a timeout. These servers
//! never speak a protocol version or suite rustls refuses; that is
//! [`crate::scripted`]'s job.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::server::danger::ClientCertVerifier;
use rustls::server::{Acceptor, WebPkiClientVerifier};
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedProtocolVersion};
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::{LazyConfigAcceptor, TlsAcceptor, TlsConnector};

use crate::pki::Chain;
use crate::serve::HANDSHAKE_TIMEOUT;
use crate::LabError;

/// The only name `sni-required` accepts.
pub(crate) const SNI_NAME: &str = "localhost";
/// How long the interceptor relays a connection at most.
const RELAY_LIMIT: Duration = Duration::from_secs(30);

/// The one crypto provider the lab uses (aws-lc-rs), independent of any
/// process-wide default another part of the program installed.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn tls_err(what: &'static str) -> impl FnOnce(rustls::Error) -> LabError {
    move |e| LabError::Tls {
        what,
        detail: e.to_string(),
    }
}

/// A server configuration serving `chain` over `versions`, optionally
/// demanding a client certificate.
pub(crate) fn server_config(
    chain: &Chain,
    versions: &[&'static SupportedProtocolVersion],
    client_auth: Option<Arc<dyn ClientCertVerifier>>,
) -> Result<Arc<ServerConfig>, LabError> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .map_err(tls_err("server protocol versions"))?;
    let builder = match client_auth {
        Some(verifier) => builder.with_client_cert_verifier(verifier),
        None => builder.with_no_client_auth(),
    };
    let config = builder
        .with_single_cert(chain.certs.clone(), chain.key())
        .map_err(tls_err("server certificate"))?;
    Ok(Arc::new(config))
}

/// A TLS 1.2 server configuration serving `chain` (the lab's ECDSA leaf)
/// with only the ECDHE suites signed by RSA enabled: no suite fits the key,
/// so every hello gets handshake_failure, as OpenSSL and nginx answer when
/// an ECDSA certificate meets `ssl_ciphers ECDHE-RSA-...`.
pub(crate) fn rsa_suites_only_config(chain: &Chain) -> Result<Arc<ServerConfig>, LabError> {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider.cipher_suites.retain(|suite| match suite {
        rustls::SupportedCipherSuite::Tls12(s) => s.sign.iter().all(|scheme| {
            use rustls::SignatureScheme as S;
            matches!(
                scheme,
                S::RSA_PKCS1_SHA1
                    | S::RSA_PKCS1_SHA256
                    | S::RSA_PKCS1_SHA384
                    | S::RSA_PKCS1_SHA512
                    | S::RSA_PSS_SHA256
                    | S::RSA_PSS_SHA384
                    | S::RSA_PSS_SHA512
            )
        }),
        rustls::SupportedCipherSuite::Tls13(_) => false,
    });
    let config = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS12])
        .map_err(tls_err("server protocol versions"))?
        .with_no_client_auth()
        .with_single_cert(chain.certs.clone(), chain.key())
        .map_err(tls_err("server certificate"))?;
    Ok(Arc::new(config))
}

/// A server configuration serving `chain` over `versions` that staples
/// `ocsp` (a DER OCSPResponse) to its certificate: in a CertificateStatus
/// message under TLS 1.2, in the leaf's certificate entry under TLS 1.3,
/// whenever the client sends `status_request`.
pub(crate) fn stapling_server_config(
    chain: &Chain,
    versions: &[&'static SupportedProtocolVersion],
    ocsp: &[u8],
) -> Result<Arc<ServerConfig>, LabError> {
    let config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .map_err(tls_err("server protocol versions"))?
        .with_no_client_auth()
        .with_single_cert_with_ocsp(chain.certs.clone(), chain.key(), ocsp.to_vec())
        .map_err(tls_err("server certificate with OCSP staple"))?;
    Ok(Arc::new(config))
}

/// A verifier that demands a client certificate issued by `client_ca`; its
/// CertificateRequest names that CA.
pub(crate) fn client_verifier(
    client_ca: &CertificateDer<'static>,
) -> Result<Arc<dyn ClientCertVerifier>, LabError> {
    let mut roots = RootCertStore::empty();
    roots.add(client_ca.clone()).map_err(tls_err("client CA"))?;
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| LabError::Tls {
            what: "client certificate verifier",
            detail: e.to_string(),
        })
}

/// Like [`client_verifier`], but a client without a certificate is let
/// through the handshake (one from another CA is still refused).
pub(crate) fn optional_client_verifier(
    client_ca: &CertificateDer<'static>,
) -> Result<Arc<dyn ClientCertVerifier>, LabError> {
    let mut roots = RootCertStore::empty();
    roots.add(client_ca.clone()).map_err(tls_err("client CA"))?;
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .allow_unauthenticated()
        .build()
        .map_err(|e| LabError::Tls {
            what: "optional client certificate verifier",
            detail: e.to_string(),
        })
}

/// The name the interceptor checks `good`'s certificate against.
pub(crate) fn upstream_name() -> Result<ServerName<'static>, LabError> {
    ServerName::try_from(SNI_NAME).map_err(|e| LabError::Tls {
        what: "upstream server name",
        detail: e.to_string(),
    })
}

/// Client configuration of the interceptor's upstream leg: trusts the lab root.
pub(crate) fn upstream_config(
    root: &CertificateDer<'static>,
) -> Result<Arc<ClientConfig>, LabError> {
    let mut roots = RootCertStore::empty();
    roots.add(root.clone()).map_err(tls_err("lab root"))?;
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(tls_err("client protocol versions"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Handshake, then one HTTP exchange.
pub(crate) async fn serve_https(stream: TcpStream, acceptor: TlsAcceptor, server: &'static str) {
    let Ok(Ok(mut tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
    else {
        return;
    };
    crate::http::answer(&mut tls, server).await;
}

/// `http-cert-required`: the handshake asks for a client certificate
/// and goes on without one; the HTTP answer then refuses, with nginx's
/// status and text for `ssl_verify_client on`. With a certificate from the
/// lab client CA it answers `200 OK`.
pub(crate) async fn serve_http_client_cert_required(stream: TcpStream, acceptor: TlsAcceptor) {
    let Ok(Ok(mut tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
    else {
        return;
    };
    if tls.get_ref().1.peer_certificates().is_some() {
        crate::http::answer(&mut tls, "http-cert-required").await;
    } else {
        crate::http::refuse_no_client_certificate(&mut tls).await;
    }
}

/// `closed-after-handshake`: completes the handshake, then drops the
/// connection without close_notify and without reading the request, as Node
/// does with `requestCert` and `rejectUnauthorized` after TLS 1.3 (or a
/// load balancer enforcing an allow-list).
pub(crate) async fn serve_closed_after_handshake(stream: TcpStream, acceptor: TlsAcceptor) {
    let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await else {
        return;
    };
    let (mut tcp, _) = tls.into_inner();
    let _ = tcp.shutdown().await;
}

/// `sni-required`: reads the ClientHello first and answers a fatal
/// `unrecognized_name` alert unless it names [`SNI_NAME`], as nginx does with
/// `ssl_reject_handshake on`. (A rustls `ResolvesServerCert` returning `None`
/// would send `access_denied` instead, which is not what real servers send.)
pub(crate) async fn serve_sni_required(mut stream: TcpStream, config: Arc<ServerConfig>) {
    let hello = tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        LazyConfigAcceptor::new(Acceptor::default(), &mut stream),
    )
    .await;
    let Ok(Ok(start)) = hello else {
        return;
    };
    if start.client_hello().server_name() == Some(SNI_NAME) {
        let Ok(Ok(mut tls)) =
            tokio::time::timeout(HANDSHAKE_TIMEOUT, start.into_stream(config)).await
        else {
            return;
        };
        crate::http::answer(&mut tls, "sni-required").await;
    } else {
        drop(start);
        // RFC 6066 §3: fatal alert unrecognized_name (112), TLS 1.2 record version.
        let alert = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 112];
        let _ = tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.write_all(&alert)).await;
        let _ = stream.shutdown().await;
    }
}

/// `interceptor`: terminates TLS with its own "mitmproxy" certificate, opens
/// its own TLS connection to `upstream` (the `good` server) and relays the
/// plaintext both ways.
pub(crate) async fn serve_interceptor(
    stream: TcpStream,
    acceptor: TlsAcceptor,
    connector: TlsConnector,
    upstream: SocketAddr,
    upstream_name: ServerName<'static>,
) {
    let Ok(Ok(downstream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
    else {
        return;
    };
    let connect = async {
        let tcp = TcpStream::connect(upstream).await?;
        connector.connect(upstream_name, tcp).await
    };
    let Ok(Ok(upstream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, connect).await else {
        return;
    };
    let _ = tokio::time::timeout(RELAY_LIMIT, relay(downstream, upstream)).await;
}

/// Copies plaintext both ways until the upstream side has finished answering.
async fn relay<D, U>(downstream: D, upstream: U)
where
    D: AsyncRead + AsyncWrite,
    U: AsyncRead + AsyncWrite,
{
    let (mut down_r, mut down_w) = tokio::io::split(downstream);
    let (mut up_r, mut up_w) = tokio::io::split(upstream);
    let to_upstream = async {
        let _ = tokio::io::copy(&mut down_r, &mut up_w).await;
        let _ = up_w.shutdown().await;
        // The client finishing its request is no reason to stop the answer.
        std::future::pending::<()>().await;
    };
    let to_downstream = async {
        let _ = tokio::io::copy(&mut up_r, &mut down_w).await;
        let _ = down_w.shutdown().await;
    };
    tokio::select! {
        () = to_upstream => {}
        () = to_downstream => {}
    }
}
