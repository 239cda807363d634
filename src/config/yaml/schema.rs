//! The YAML file's shape, as serde reads it: every value keeps its line
//! ([`Spanned`]), and every scalar is read as text, so that it can be checked
//! by the same functions as a `sentinel.conf` argument.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use serde_saphyr::Spanned;

/// A scalar, as written (`5000`, `yes`, `5s`), with its position.
pub(super) type Text = Spanned<String>;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct Document {
    pub(super) port: Option<Text>,
    pub(super) bind: Option<Spanned<Vec<Text>>>,
    pub(super) dir: Option<Text>,
    pub(super) logfile: Option<Text>,
    pub(super) loglevel: Option<Text>,
    pub(super) daemonize: Option<Text>,
    pub(super) supervised: Option<Text>,
    pub(super) log_format: Option<Text>,
    pub(super) log_timestamp_format: Option<Text>,
    pub(super) pidfile: Option<Text>,
    pub(super) metrics_listen: Option<Text>,
    pub(super) protected_mode: Option<Text>,
    pub(super) requirepass: Option<Text>,
    pub(super) maxclients: Option<Text>,
    pub(super) timeout: Option<Text>,
    pub(super) users: Option<Vec<Text>>,
    pub(super) rename_command: Option<Ordered<Text>>,
    pub(super) tls: Option<Ordered<Text>>,
    pub(super) sentinel: Option<Globals>,
    pub(super) masters: Option<Ordered<Master>>,
    pub(super) state: Option<State>,
}

/// `sentinel:`: the global sentinel options.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct Globals {
    pub(super) announce_ip: Option<Text>,
    pub(super) announce_port: Option<Text>,
    pub(super) announce_hostnames: Option<Text>,
    pub(super) resolve_hostnames: Option<Text>,
    pub(super) deny_scripts_reconfig: Option<Text>,
    pub(super) hello_guard: Option<Text>,
    pub(super) sentinel_user: Option<Text>,
    pub(super) sentinel_pass: Option<Text>,
}

/// `masters.<name>:`: one monitored master, as the operator configures it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct Master {
    pub(super) host: Text,
    pub(super) port: Text,
    pub(super) quorum: Text,
    pub(super) down_after: Option<Text>,
    pub(super) failover_timeout: Option<Text>,
    pub(super) parallel_syncs: Option<Text>,
    pub(super) notification_script: Option<Text>,
    pub(super) client_reconfig_script: Option<Text>,
    pub(super) auth_pass: Option<Text>,
    pub(super) auth_user: Option<Text>,
    pub(super) master_reboot_down_after_period: Option<Text>,
    pub(super) fence: Option<Text>,
    pub(super) rename_command: Option<Ordered<Text>>,
}

/// `state:`: what the sentinel persists itself.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct State {
    pub(super) myid: Option<Text>,
    pub(super) current_epoch: Option<Text>,
    pub(super) masters: Option<Ordered<MasterState>>,
}

/// `state.masters.<name>:`: one master's persisted state.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct MasterState {
    pub(super) config_epoch: Option<Text>,
    pub(super) leader_epoch: Option<Text>,
    pub(super) known_replicas: Option<Vec<Text>>,
    pub(super) known_sentinels: Option<Vec<KnownSentinel>>,
}

/// One entry of `known-sentinels`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct KnownSentinel {
    pub(super) addr: Text,
    pub(super) runid: Text,
}

/// A mapping whose keys are names, in file order (masters are kept in the
/// order they are written; duplicate keys are already refused by the YAML
/// reader).
#[derive(Debug)]
///
/// Keys are plain strings (not [`Spanned`]) so that `serde_path_to_error`
/// can name them in the path of a shape error.
pub(super) struct Ordered<V>(pub(super) Vec<(String, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Collects the entries of a mapping.
        struct Entries<V>(PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for Entries<V> {
            type Value = Ordered<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of names")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }

        deserializer.deserialize_map(Entries(PhantomData))
    }
}
