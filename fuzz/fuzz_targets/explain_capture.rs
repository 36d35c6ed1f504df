//! `explain FILE.pcap` on arbitrary bytes: the conversation reader, the
//! observations made of each conversation and their judgement never panic,
//! and what a conversation keeps stays within its bounds.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = wire::pcap::ConversationReader::new(data) else {
        return;
    };
    let mut context = analysis::explain::capture::CaptureContext::new(analysis::Context {
        now: time::OffsetDateTime::UNIX_EPOCH,
        now_overridden: false,
        client: analysis::profiles::default_profile(),
        trust: analysis::TrustStores::default(),
        client_identity: false,
        fetch_issuers: false,
    });
    for conversation in reader.flatten() {
        assert!(conversation.events.len() <= wire::pcap::MAX_EVENTS);
        assert!(conversation.client_bytes.len() <= wire::pcap::MAX_SIDE_BYTES);
        assert!(conversation.server_bytes.len() <= wire::pcap::MAX_SIDE_BYTES);
        let captured = probe::capture::observe(&conversation, None);
        let ctx = context.for_connection(captured.client_hello.as_ref(), &captured.facts);
        let judged =
            analysis::explain::capture::connection(&captured.observations, &captured.facts, ctx);
        for line in &judged.facts.timeline {
            assert!(line.len() < 512);
        }
    }
});
