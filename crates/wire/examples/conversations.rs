//! Prints the TLS conversations of a capture: `cargo run -p tlsdoctor-wire --example conversations FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("a capture file");
    let file = std::fs::File::open(path).expect("readable");
    let mut reader =
        wire::pcap::ConversationReader::new(std::io::BufReader::new(file)).expect("a capture");
    while let Some(c) = reader.next_conversation().expect("readable") {
        println!(
            "stream {} {:?} -> {:?} roles {} mid {} ending {:?} client {}B server {}B dropped {}",
            c.stream,
            c.client,
            c.server,
            c.roles_from,
            c.mid_stream,
            c.ending,
            c.client_bytes.len(),
            c.server_bytes.len(),
            c.events_dropped
        );
        for e in &c.events {
            println!("    {:?} #{} {:?}", e.side, e.packet, e.kind);
        }
    }
    println!("{:?}", reader.stats());
}
