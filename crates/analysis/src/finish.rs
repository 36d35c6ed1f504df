//! Which handshake the `finished` step is judged from. The ClientHello
//! probe shows what the chosen client negotiates; rustls finishes TLS 1.3
//! and TLS 1.2 ECDHE with AES-GCM or ChaCha20-Poly1305, tlsdoctor's own
//! engine (`wire::tls12`) finishes TLS 1.0-1.2 with RSA, DHE or ECDHE and
//! AES-CBC/GCM or ChaCha20-Poly1305. What neither can run is not tested,
//! never failed. Pure judgement of recorded observations.

use model::{
    HandshakeError, Observations, ProbeKind, ProbeRecord, ProbeRequest, Purpose,
    ServerHelloObservation, Target,
};
use wire::registry::{Encryption, KeyExchange, Mode, ProtocolVersion};

use crate::Context;

/// The handshake to judge `finished` from.
#[derive(Debug)]
pub(crate) enum Source<'a> {
    /// This record (rustls or our engine); `note` is appended to the step's
    /// detail when it is not the obvious one.
    Record {
        record: Option<&'a ProbeRecord>,
        note: Option<String>,
    },
    /// Cannot be finished by any engine here: not tested, because ...
    NotTested(String),
}

/// True when rustls (TLS 1.2/1.3, ECDHE, AEAD suites only) can negotiate
/// what the server chose for the client's hello.
pub(crate) fn rustls_can(sh: &ServerHelloObservation) -> bool {
    if sh.version == ProtocolVersion::TLS1_3 {
        return true;
    }
    sh.version == ProtocolVersion::TLS1_2
        && sh.cipher_suite.info().is_some_and(|i| {
            i.kx == KeyExchange::Ecdhe
                && matches!(
                    (i.enc, i.mode),
                    (Encryption::Aes128 | Encryption::Aes256, Mode::Gcm)
                        | (Encryption::ChaCha20, Mode::Poly1305)
                )
        })
}

fn chosen(main: Option<&ProbeRecord>) -> Option<&ServerHelloObservation> {
    main.and_then(|m| m.flight.as_ref())
        .and_then(|f| f.server_hello.as_ref())
}

/// The own-engine probe to run next, when the client's hello negotiated
/// something rustls cannot finish but our engine can.
pub(crate) fn next_probe(obs: &Observations, target: &Target, ctx: &Context) -> Option<ProbeRequest> {
    if obs.has(&Purpose::Finish) {
        return None;
    }
    let sh = chosen(obs.probe(&Purpose::ClientHello))?;
    if rustls_can(sh) || !wire::tls12::suite::supported(sh.cipher_suite, sh.version) {
        return None;
    }
    Some(ProbeRequest {
        purpose: Purpose::Finish,
        kind: ProbeKind::Finish(crate::plan::client_hello(ctx, target.sni.clone())),
    })
}

/// Which record the `finished` step is judged from.
pub(crate) fn source<'a>(
    obs: &'a Observations,
    main: Option<&'a ProbeRecord>,
    handshake: Option<&'a ProbeRecord>,
) -> Source<'a> {
    let Some(sh) = chosen(main) else {
        return Source::Record {
            record: handshake,
            note: None,
        };
    };
    let what = format!("{} {}", sh.version.display_name(), sh.cipher_suite.name());
    if rustls_can(sh) {
        let done = handshake.and_then(|p| p.handshake.as_ref());
        let note = done
            .filter(|h| h.completed)
            .and_then(|h| h.cipher_suite.zip(h.version))
            .filter(|(suite, version)| *suite != sh.cipher_suite || *version != sh.version)
            .map(|(suite, version)| {
                format!(
                    "the client's hello negotiates {what}; this check used tlsdoctor's rustls handshake, which negotiated {} {}",
                    version.display_name(),
                    suite.name()
                )
            });
        return Source::Record {
            record: handshake,
            note,
        };
    }
    if let Err(why) = wire::tls12::suite::SuiteParams::new(sh.cipher_suite, sh.version) {
        return Source::NotTested(format!(
            "not tested: the server chose {what}, which tlsdoctor's TLS engines cannot complete ({why}); the steps up to the certificate were checked"
        ));
    }
    let own = obs.probe(&Purpose::Finish);
    match own.and_then(|p| p.handshake.as_ref()).map(|h| &h.error) {
        None => Source::NotTested(format!(
            "not tested: the server chose {what}, and tlsdoctor's own TLS engine was not run"
        )),
        Some(Some(HandshakeError::Unsupported { what: why })) => Source::NotTested(format!(
            "not tested: the server chose {what}, which tlsdoctor's own TLS engine cannot complete ({why})"
        )),
        Some(_) => Source::Record {
            record: own,
            note: Some(format!(
                "finished with tlsdoctor's own TLS 1.0-1.2 engine, sending the client's hello ({what}), since rustls cannot negotiate it"
            )),
        },
    }
}
