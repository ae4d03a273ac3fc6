//! The Kafka client azcost reads with: librdkafka settings from the user,
//! the settings azcost insists on, and a context that keeps librdkafka's
//! last complaint (to explain a failure) with every secret value masked.
//!
//! Read-only by construction: no `group.id`, so the client cannot join a
//! group or commit; auto topic creation is off.
//!
//! With MSK IAM authentication ([`Settings::with_iam`]) every client made
//! here speaks SASL/OAUTHBEARER and gets its tokens from
//! [`super::ffi::Refreshing`]: the admin client, the reader and the
//! sampling reader alike.

use super::fetch_log::{self, FetchLog, StoredRun};
use super::ffi::Refreshing;
use super::iam::IamAuth;
use crate::error::Error;
use rdkafka::ClientConfig;
use rdkafka::admin::AdminClient;
use rdkafka::client::{Client, ClientContext};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// librdkafka settings in the order given; a later key replaces an earlier.
#[derive(Clone, Default)]
pub struct Settings {
    pairs: Vec<(String, String)>,
    /// MSK IAM tokens, when the cluster is reached through its IAM listener.
    iam: Option<Arc<IamAuth>>,
}

impl PartialEq for Settings {
    fn eq(&self, other: &Self) -> bool {
        self.pairs == other.pairs
            && match (&self.iam, &other.iam) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
    }
}

/// Settings that MSK IAM authentication owns: `-X` may not change them.
const IAM_OWNED: &[&str] = &[
    "sasl.mechanism",
    "sasl.mechanisms",
    "sasl.oauthbearer.",
    "enable.sasl.oauthbearer.unsecure.jwt",
    "enable_sasl_queue",
    "sasl.username",
    "sasl.password",
];

/// Keys only: values may be secrets and `{:?}` ends up in logs.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.keys()).finish()
    }
}

/// Settings azcost owns. `group.id` would let a mistake join or commit;
/// the others would break the collection's own guarantees.
const RESERVED: &[(&str, &str)] = &[
    ("bootstrap.servers", "use --bootstrap"),
    ("group.id", "azcost never joins a consumer group"),
    ("group.instance.id", "azcost never joins a consumer group"),
    ("enable.auto.commit", "azcost never commits offsets"),
    ("allow.auto.create.topics", "azcost never creates topics"),
    (
        "isolation.level",
        "azcost reads high watermarks, which read_committed would hide behind open transactions",
    ),
];

impl Settings {
    /// Reads a librdkafka properties file: `key=value` lines, `#` comments.
    pub fn read_file(path: &Path) -> Result<Settings, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("--kafka-config {}: {e}", path.display())))?;
        let mut s = Settings::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            s.add_spec(
                line,
                &format!("--kafka-config {}:{}", path.display(), i + 1),
            )?;
        }
        Ok(s)
    }

    /// Adds one `KEY=VALUE`. The error names the key, never the value.
    pub fn add_spec(&mut self, spec: &str, what: &str) -> Result<(), Error> {
        let Some((key, value)) = spec.split_once('=') else {
            // The line may be key material (a PEM body): never echo it.
            return Err(Error::usage(format!("{what}: expected KEY=VALUE")));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(Error::usage(format!(
                "{what}: expected KEY=VALUE, the key is empty"
            )));
        }
        self.pairs.retain(|(k, _)| k != key);
        self.pairs.push((key.to_string(), value.trim().to_string()));
        Ok(())
    }

    /// Sets `key` unless the user already did, ahead of the user's
    /// settings: what a listener needs gives way to what the user chose.
    pub fn set_default(&mut self, key: &str, value: &str) {
        let key = key.trim();
        if !self.pairs.iter().any(|(k, _)| k == key) {
            self.pairs
                .insert(0, (key.to_string(), value.trim().to_string()));
        }
    }

    /// Refuses the settings azcost owns.
    pub fn check_reserved(&self) -> Result<(), Error> {
        for (key, _) in &self.pairs {
            if let Some((_, why)) = RESERVED.iter().find(|(k, _)| k == key) {
                return Err(Error::usage(format!("-X {key}: not allowed ({why})")));
            }
            if self.iam.is_some() && IAM_OWNED.iter().any(|k| key.starts_with(k)) {
                return Err(Error::usage(format!(
                    "-X {key}: not allowed with --kafka-auth iam (azcost authenticates with SASL/OAUTHBEARER and MSK IAM tokens)"
                )));
            }
        }
        Ok(())
    }

    /// Authenticate every client with MSK IAM tokens from `auth`
    /// (SASL/OAUTHBEARER; `security.protocol` SASL_SSL unless given).
    pub fn with_iam(&mut self, auth: Arc<IamAuth>) {
        self.iam = Some(auth);
    }

    /// The MSK IAM token source, when IAM authentication is on.
    pub fn iam(&self) -> Option<&Arc<IamAuth>> {
        self.iam.as_ref()
    }

    fn has(&self, key: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == key)
    }

    /// The keys, for provenance: values never leave this type.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(k, _)| k.as_str())
    }

    /// Values that must never be printed.
    pub fn secret_values(&self) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, v)| is_secret(k) && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// Keys whose values are credentials or key material.
pub fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "oauthbearer.config",
        "ssl.key.pem",
        "jaas",
    ]
    .iter()
    .any(|s| k.contains(s))
}

/// Replaces every secret value in `text` by `***`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "***"))
}

/// Keeps librdkafka's last error so a failure can say why, masked; the
/// sampling client's context also follows its fetch debug lines.
pub struct CollectorContext {
    last_error: Mutex<Option<String>>,
    secrets: Vec<String>,
    /// Stored batch sizes from librdkafka's fetch log, on the sampling
    /// client only ([`sampler`]).
    fetch_log: Option<Mutex<FetchLog>>,
}

impl CollectorContext {
    /// The last error librdkafka reported, if any.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }

    /// The whole stored batch runs seen since the last call (none on a
    /// client that is not the sampler), and how many responses so far were
    /// left out because a batch was cut.
    pub fn take_stored_runs(&self) -> (Vec<StoredRun>, u64) {
        self.fetch_log
            .as_ref()
            .and_then(|log| log.lock().ok())
            .map(|mut log| (log.take_runs(), log.cut_responses()))
            .unwrap_or_default()
    }

    fn remember(&self, text: &str) {
        if let Ok(mut slot) = self.last_error.lock() {
            *slot = Some(redact(text, &self.secrets));
        }
    }
}

impl ClientContext for CollectorContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        if let Some(log) = &self.fetch_log {
            if let Ok(mut log) = log.lock() {
                log.line(fac, message);
            }
        }
        // librdkafka logs connection failures at warning level before it
        // reports them as errors; keep them, print nothing.
        if (level as i32) <= (RDKafkaLogLevel::Warning as i32) {
            self.remember(&format!("{fac}: {message}"));
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.remember(&format!("{error}: {reason}"));
    }
}

impl ConsumerContext for CollectorContext {}

/// The client: a consumer that is never subscribed and has no group.
pub type Reader = Refreshing<BaseConsumer<CollectorContext>>;

/// The rdkafka client inside a client type, for the token refresher.
pub trait HasClient {
    /// The client whose librdkafka handle gets the tokens.
    fn native(&self) -> &Client<CollectorContext>;
}

impl HasClient for BaseConsumer<CollectorContext> {
    fn native(&self) -> &Client<CollectorContext> {
        self.client()
    }
}

impl HasClient for AdminClient<CollectorContext> {
    fn native(&self) -> &Client<CollectorContext> {
        self.inner()
    }
}

/// Builds the reading client with the user's settings and azcost's own.
pub fn reader(bootstrap: &str, settings: &Settings, timeout_ms: u64) -> Result<Reader, Error> {
    create(bootstrap, settings, timeout_ms)
}

/// The record sampler: the reading client that also logs its fetches
/// (librdkafka's `fetch,msg,protocol` debug contexts, read by
/// [`FetchLog`], never printed) so stored batch sizes can be measured
/// (issue 10). Its own client, so the debug lines cost nothing elsewhere.
pub fn sampler(bootstrap: &str, settings: &Settings, timeout_ms: u64) -> Result<Reader, Error> {
    build(bootstrap, settings, timeout_ms, true)
}

/// Any rdkafka client type (consumer, admin) with the same settings, and
/// with its token refresher when IAM authentication is on.
pub fn create<T>(
    bootstrap: &str,
    settings: &Settings,
    timeout_ms: u64,
) -> Result<Refreshing<T>, Error>
where
    T: rdkafka::config::FromClientConfigAndContext<CollectorContext> + HasClient,
{
    build(bootstrap, settings, timeout_ms, false)
}

fn build<T>(
    bootstrap: &str,
    settings: &Settings,
    timeout_ms: u64,
    fetch_log: bool,
) -> Result<Refreshing<T>, Error>
where
    T: rdkafka::config::FromClientConfigAndContext<CollectorContext> + HasClient,
{
    let mut config = ClientConfig::new();
    // rdkafka follows the `log` crate's level, off here; the context needs
    // librdkafka's warnings to explain a failure (and the sampler its
    // debug lines).
    config.set_log_level(if fetch_log {
        RDKafkaLogLevel::Debug
    } else {
        RDKafkaLogLevel::Warning
    });
    for (k, v) in &settings.pairs {
        config.set(k, v);
    }
    if fetch_log {
        // The parser needs these contexts and each line's thread name; a
        // user's own `debug` would only add lines it skips.
        config
            .set("debug", fetch_log::DEBUG_CONTEXTS)
            .set("log.thread.name", "true");
    }
    config
        .set("bootstrap.servers", bootstrap)
        .set("client.id", "azcost")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("allow.auto.create.topics", "false")
        .set("enable.partition.eof", "false")
        .set("isolation.level", "read_uncommitted")
        .set("auto.offset.reset", "earliest")
        .set("socket.timeout.ms", timeout_ms.max(10).to_string())
        .set("log.connection.close", "false");
    if settings.iam.is_some() {
        if !settings.has("security.protocol") {
            config.set("security.protocol", "SASL_SSL");
        }
        // The refresh requests go to a queue of their own, which the
        // refresher serves (see `Refreshing`): nothing else polls for them.
        config
            .set("sasl.mechanism", "OAUTHBEARER")
            .set("enable_sasl_queue", "true");
    }
    let secrets = settings.secret_values();
    let context = CollectorContext {
        last_error: Mutex::new(None),
        secrets: secrets.clone(),
        fetch_log: fetch_log.then(|| Mutex::new(FetchLog::default())),
    };
    let client: T = config.create_with_context(context).map_err(|e| {
        // librdkafka quotes the offending value in some messages.
        Error::usage(format!(
            "Kafka client settings: {}",
            redact(&e.to_string(), &secrets)
        ))
    })?;
    match &settings.iam {
        None => Ok(Refreshing::plain(client)),
        Some(auth) => {
            let auth = auth.clone();
            let source: super::ffi::TokenSource =
                Arc::new(move || auth.token().map(|t| (t.value, t.expires_ms)));
            Refreshing::with_tokens(client, |c: &T| c.native(), source)
                .map_err(|e| Error::Runtime(format!("IAM authentication: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_masked_and_keys_kept() {
        let mut s = Settings::default();
        s.add_spec("sasl.password=hunter2", "-X").unwrap();
        s.add_spec("sasl.username=alice", "-X").unwrap();
        assert_eq!(s.secret_values(), vec!["hunter2".to_string()]);
        assert_eq!(
            redact("bad value hunter2 for sasl.password", &s.secret_values()),
            "bad value *** for sasl.password"
        );
        let err = Settings::default()
            .add_spec("sasl.password hunter2", "-X")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
