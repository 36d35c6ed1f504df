//! Starts the whole lab and prints where each server listens, for trying
//! clients by hand: `cargo run -p tlsdoctor-lab --example lab [SECONDS]`.

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> Result<(), lab::LabError> {
    let seconds = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let t = Instant::now();
    let lab = lab::Lab::start(lab::LabConfig::default()).await?;
    eprintln!("lab started in {:?}", t.elapsed());
    println!("CA={}", lab.ca_file().display());
    println!(
        "CLIENT_CERT={} CLIENT_KEY={}",
        lab.client_cert().display(),
        lab.client_key().display()
    );
    for s in lab.servers() {
        println!("{:<22} {:<18} {}", s.name, s.addr, s.expect);
    }
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_secs(seconds)) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    lab.shutdown().await;
    Ok(())
}
