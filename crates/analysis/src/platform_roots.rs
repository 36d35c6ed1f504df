//! The root stores of platforms whose clients trust something other than
//! Mozilla's program: macOS, iOS, Windows, Ubuntu and Android 2.2–4.4, as
//! cfssl_trust snapshotted them on 2017-03-21 (`data/roots/`, see the README
//! there). Client simulation judges Safari, Edge and old Android with these
//! instead of reading every store as Mozilla's, and the scan reports trust per
//! snapshot.
//!
//! The snapshots are old, so how much a verdict may rest on one depends on
//! the platform: Android before 7 never received root updates (its snapshot
//! is what such a device trusts to this day), while macOS, iOS, Windows and
//! Ubuntu have added roots since (a root the snapshot lacks may be there now).
//! [`Platform::frozen`] tells the two apart; every text that rests on a
//! snapshot names it and [`SNAPSHOT_DATE`].
//!
//! Converted from PEM to DER at build time (`build.rs`), split once per
//! platform on first use.

use std::sync::OnceLock;

/// The date cfssl_trust took the snapshots.
pub const SNAPSHOT_DATE: &str = "2017-03-21";

/// A platform whose root store is shipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Platform {
    MacOs,
    Ios,
    Windows,
    Ubuntu,
    Android2_2,
    Android2_3,
    Android3,
    Android4_0,
    Android4_4,
}

impl Platform {
    /// Every shipped platform, in the order reports list them.
    pub const ALL: [Platform; 9] = [
        Platform::MacOs,
        Platform::Ios,
        Platform::Windows,
        Platform::Ubuntu,
        Platform::Android2_2,
        Platform::Android2_3,
        Platform::Android3,
        Platform::Android4_0,
        Platform::Android4_4,
    ];

    /// The store's name in reports (`trust[].store`) and in client data
    /// files (`root_store`). Never renamed.
    pub fn store_name(self) -> &'static str {
        match self {
            Platform::MacOs => "macos-2017",
            Platform::Ios => "ios-2017",
            Platform::Windows => "windows-2017",
            Platform::Ubuntu => "ubuntu-2017",
            Platform::Android2_2 => "android-2.2",
            Platform::Android2_3 => "android-2.3",
            Platform::Android3 => "android-3.x",
            Platform::Android4_0 => "android-4.0",
            Platform::Android4_4 => "android-4.4",
        }
    }

    pub fn from_store_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.store_name() == name)
    }

    /// For people: "Android 4.4's root store (snapshot of 2017-03-21)".
    pub fn describe(self) -> String {
        let platform = match self {
            Platform::MacOs => "macOS",
            Platform::Ios => "iOS",
            Platform::Windows => "Windows",
            Platform::Ubuntu => "Ubuntu",
            Platform::Android2_2 => "Android 2.2",
            Platform::Android2_3 => "Android 2.3",
            Platform::Android3 => "Android 3.x",
            Platform::Android4_0 => "Android 4.0",
            Platform::Android4_4 => "Android 4.4",
        };
        format!("{platform}'s root store (snapshot of {SNAPSHOT_DATE})")
    }

    /// Devices of this platform never receive new roots: the snapshot is
    /// what they trust today, so it decides. Android moved its store into an
    /// updatable module only in Android 14, and versions before 7 got no
    /// store updates at all.
    pub fn frozen(self) -> bool {
        matches!(
            self,
            Platform::Android2_2
                | Platform::Android2_3
                | Platform::Android3
                | Platform::Android4_0
                | Platform::Android4_4
        )
    }

    /// The store's roots, DER (slices of the embedded store, not copies).
    pub fn roots(self) -> &'static [&'static [u8]] {
        static PARSED: [OnceLock<Vec<&'static [u8]>>; 9] = [const { OnceLock::new() }; 9];
        let index = Self::ALL
            .iter()
            .position(|p| *p == self)
            .expect("every platform is in ALL");
        PARSED[index].get_or_init(|| split(self.der()))
    }

    /// The store as `build.rs` wrote it: (4-byte length, DER) repeated.
    fn der(self) -> &'static [u8] {
        macro_rules! store {
            ($name:literal) => {
                include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".der"))
            };
        }
        match self {
            Platform::MacOs => store!("osx"),
            Platform::Ios => store!("ios"),
            Platform::Windows => store!("windows"),
            Platform::Ubuntu => store!("ubuntu"),
            Platform::Android2_2 => store!("froyo"),
            Platform::Android2_3 => store!("gingerbread"),
            Platform::Android3 => store!("honeycomb"),
            Platform::Android4_0 => store!("ics"),
            Platform::Android4_4 => store!("kitkat"),
        }
    }
}

/// Written as its store name (profiles are listed with `--list-clients --json`).
impl serde::Serialize for Platform {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.store_name())
    }
}

fn split(mut blob: &'static [u8]) -> Vec<&'static [u8]> {
    let mut roots = Vec::new();
    while let Some((len, rest)) = blob.split_first_chunk::<4>() {
        let len = u32::from_be_bytes(*len) as usize;
        let Some((der, rest)) = rest.split_at_checked(len) else {
            break;
        };
        roots.push(der);
        blob = rest;
    }
    roots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_snapshot_parses_with_the_count_cfssl_lists() {
        // `grep -c BEGIN` over cfssl_trust's trusted_roots/ files.
        let counts = [228, 230, 391, 179, 56, 104, 129, 134, 149];
        for (platform, want) in Platform::ALL.into_iter().zip(counts) {
            assert_eq!(platform.roots().len(), want, "{platform:?}");
            assert_eq!(
                Platform::from_store_name(platform.store_name()),
                Some(platform)
            );
        }
    }

    #[test]
    fn only_old_android_is_frozen() {
        assert!(Platform::Android4_4.frozen());
        assert!(!Platform::Windows.frozen());
        assert!(Platform::MacOs.describe().contains(SNAPSHOT_DATE));
    }
}
