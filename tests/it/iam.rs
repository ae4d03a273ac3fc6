//! MSK IAM authentication (issue 10) for real: librdkafka's mock cluster
//! with a SASL-terminating proxy in front of each broker
//! ([`crate::sasl_proxy`]), which checks every SASL/OAUTHBEARER token by
//! recomputing its SigV4 signature from the test credentials. The mock
//! advertises the proxies, so every connection of every client azcost
//! makes (admin, reader, sampler) must authenticate. Credentials are fake
//! and fixed; nothing here calls AWS.

#![allow(unsafe_code)] // librdkafka's mock API for advertised addresses

use crate::sasl_proxy::{SaslProxy, Stats, Trusted};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use azcost::cli::KafkaSourceArgs;
use azcost::collect::kafka::iam::{self, IamAuth};
use azcost::collect::kafka::{self, KafkaOptions};
use azcost::snapshot::Snapshot;
use rdkafka::ClientConfig;
use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext, DefaultClientContext, OAuthToken};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::types::RDKafkaType;
use std::ffi::{CStr, CString};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub const REGION: &str = "eu-west-1";
pub const ACCESS_KEY_ID: &str = "AKIAAZCOSTTESTKEY001";
pub const SECRET: &str = "azcost/test+Secret0key0that0must0never0print";
pub const SESSION_TOKEN: &str = "azcost-test-session-token-FwoGZXIvYXdzEJr";
const ZONES: [&str; 3] = ["euw1-az1", "euw1-az2", "euw1-az3"];

pub fn trusted() -> Trusted {
    Trusted {
        access_key_id: ACCESS_KEY_ID.to_string(),
        secret_access_key: SECRET.to_string(),
        session_token: Some(SESSION_TOKEN.to_string()),
        region: REGION.to_string(),
    }
}

pub fn credentials(secret: &str) -> Credentials {
    Credentials::new(
        ACCESS_KEY_ID,
        secret,
        Some(SESSION_TOKEN.to_string()),
        None,
        "azcost-tests",
    )
}

pub fn auth(secret: &str, lifetime: Duration) -> Arc<IamAuth> {
    Arc::new(
        IamAuth::new(
            REGION,
            SharedCredentialsProvider::new(credentials(secret)),
            lifetime,
        )
        .unwrap(),
    )
}

/// librdkafka's mock cluster on a client of the test's own, so the raw
/// mock handle is at hand for the calls rdkafka does not wrap.
pub struct Mock {
    mc: *mut rd::rd_kafka_mock_cluster_t,
    _host: Client<DefaultClientContext>,
}

impl Mock {
    pub fn new(brokers: i32) -> Mock {
        let config = ClientConfig::new();
        let host = Client::new(
            &config,
            config.create_native_config().unwrap(),
            RDKafkaType::RD_KAFKA_PRODUCER,
            DefaultClientContext,
        )
        .unwrap();
        // SAFETY: the host client is live; the cluster is destroyed in Drop
        // before the client (fields drop after `drop`).
        let mc = unsafe { rd::rd_kafka_mock_cluster_new(host.native_ptr(), brokers) };
        assert!(!mc.is_null(), "librdkafka mock cluster");
        Mock { mc, _host: host }
    }

    pub fn bootstrap(&self) -> String {
        // SAFETY: the string belongs to the live cluster; copied at once.
        unsafe { CStr::from_ptr(rd::rd_kafka_mock_cluster_bootstraps(self.mc)) }
            .to_string_lossy()
            .into_owned()
    }

    pub fn topic(&self, name: &str, partitions: i32, replication: i32) {
        let name = CString::new(name).unwrap();
        // SAFETY: live cluster; librdkafka copies the name.
        let err = unsafe {
            rd::rd_kafka_mock_topic_create(self.mc, name.as_ptr(), partitions, replication)
        };
        assert_eq!(err, rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR);
    }

    pub fn rack(&self, broker: i32, rack: &str) {
        let rack = CString::new(rack).unwrap();
        // SAFETY: as above.
        let err = unsafe { rd::rd_kafka_mock_broker_set_rack(self.mc, broker, rack.as_ptr()) };
        assert_eq!(err, rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR);
    }

    pub fn leader(&self, topic: &str, partition: i32, broker: i32) {
        let topic = CString::new(topic).unwrap();
        // SAFETY: as above.
        let err = unsafe {
            rd::rd_kafka_mock_partition_set_leader(self.mc, topic.as_ptr(), partition, broker)
        };
        assert_eq!(err, rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR);
    }

    /// Makes the cluster advertise `host:port` for `broker` in Metadata.
    pub fn advertise(&self, broker: i32, host: &str, port: u16) {
        let host = CString::new(host).unwrap();
        // SAFETY: as above.
        unsafe {
            rd::rd_kafka_mock_broker_set_host_port(self.mc, broker, host.as_ptr(), port.into())
        };
    }

    /// Each broker's id and real listening address, from Metadata.
    pub fn listeners(&self) -> Vec<(i32, std::net::SocketAddr)> {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap())
            .create()
            .unwrap();
        let md = c.fetch_metadata(None, Duration::from_secs(10)).unwrap();
        let mut out: Vec<(i32, std::net::SocketAddr)> = md
            .brokers()
            .iter()
            .map(|b| {
                (
                    b.id(),
                    format!("{}:{}", b.host(), b.port()).parse().unwrap(),
                )
            })
            .collect();
        out.sort();
        out
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        // SAFETY: created in `new`, destroyed once.
        unsafe { rd::rd_kafka_mock_cluster_destroy(self.mc) }
    }
}

/// A proxy in front of each broker, advertised in the broker's place.
pub struct Proxied {
    pub proxies: Vec<SaslProxy>,
    pub stats: Arc<Stats>,
    pub bootstrap: String,
}

pub fn put_proxies(mock: &Mock) -> Proxied {
    put_proxies_trusting(mock, trusted())
}

/// [`put_proxies`] accepting tokens signed with `trusted`.
pub fn put_proxies_trusting(mock: &Mock, trusted: Trusted) -> Proxied {
    let stats = Arc::new(Stats::default());
    let mut proxies = Vec::new();
    for (id, addr) in mock.listeners() {
        let proxy = SaslProxy::start(addr, trusted.clone(), stats.clone());
        mock.advertise(id, "127.0.0.1", proxy.addr.port());
        proxies.push(proxy);
    }
    let bootstrap = proxies
        .iter()
        .map(|p| p.addr.to_string())
        .collect::<Vec<_>>()
        .join(",");
    Proxied {
        proxies,
        stats,
        bootstrap,
    }
}

/// A test producer that authenticates like any librdkafka application
/// with MSK IAM: rdkafka's refresh hook, served by its poll loop. It keeps
/// every librdkafka log line and every token it made, for the secrecy check.
#[derive(Default)]
struct IamProducer {
    logs: std::sync::Mutex<Vec<String>>,
    tokens: std::sync::Mutex<Vec<String>>,
}

impl ClientContext for IamProducer {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;
    fn log(&self, _: rdkafka::config::RDKafkaLogLevel, fac: &str, line: &str) {
        self.logs.lock().unwrap().push(format!("{fac} {line}"));
    }
    fn generate_oauth_token(
        &self,
        _: Option<&str>,
    ) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        let t = iam::sign_token(
            &credentials(SECRET),
            REGION,
            SystemTime::now(),
            iam::MAX_LIFETIME,
        )?;
        self.tokens.lock().unwrap().push(t.value.clone());
        Ok(OAuthToken {
            token: t.value,
            principal_name: "test-producer".to_string(),
            lifetime_ms: t.expires_ms,
        })
    }
}

impl ProducerContext for IamProducer {
    type DeliveryOpaque = ();
    fn delivery(&self, _: &rdkafka::message::DeliveryResult<'_>, _: ()) {}
}

/// Produces `count` JSON-like records to each partition of `topic`.
fn produce(bootstrap: &str, iam: bool, topic: &str, partitions: i32, count: usize) {
    produce_with(bootstrap, iam, topic, partitions, count, &[]);
}

fn produce_with(
    bootstrap: &str,
    iam: bool,
    topic: &str,
    partitions: i32,
    count: usize,
    extra: &[(&str, &str)],
) -> (Vec<String>, Vec<String>) {
    let mut config = ClientConfig::new();
    config.set_log_level(rdkafka::config::RDKafkaLogLevel::Debug);
    for (k, v) in extra {
        config.set(*k, *v);
    }
    config
        .set("bootstrap.servers", bootstrap)
        // One batch per partition, sent at the flush: the same stored
        // batches in every run, whatever the timing.
        .set("linger.ms", "5000");
    if iam {
        config
            .set("security.protocol", "SASL_PLAINTEXT")
            .set("sasl.mechanism", "OAUTHBEARER");
    }
    let producer: BaseProducer<IamProducer> =
        config.create_with_context(IamProducer::default()).unwrap();
    for p in 0..partitions {
        for i in 0..count {
            let value = format!(
                r#"{{"order_id":"o-{p}-{i:05}","sku":"sku-{}","qty":{},"note":"{}"}}"#,
                (i * 7919) % 1000,
                i % 9 + 1,
                "x".repeat(i % 40)
            );
            while producer
                .send(BaseRecord::<(), _>::to(topic).partition(p).payload(&value))
                .is_err()
            {
                producer.poll(Duration::from_millis(10));
            }
        }
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    let ctx = producer.context();
    let logs = ctx.logs.lock().unwrap().clone();
    let tokens = ctx.tokens.lock().unwrap().clone();
    (logs, tokens)
}

fn mock() -> Mock {
    let mock = Mock::new(3);
    for (i, z) in ZONES.iter().enumerate() {
        mock.rack(i as i32 + 1, z);
    }
    mock.topic("orders", 6, 3);
    mock.topic("audit-log", 2, 2);
    for p in 0..6 {
        mock.leader("orders", p, p % 3 + 1);
    }
    mock
}

fn options(bootstrap: &str, window: &str, iam: Option<Arc<IamAuth>>) -> KafkaOptions {
    options_within(bootstrap, window, iam, Duration::from_secs(10))
}

fn options_within(
    bootstrap: &str,
    window: &str,
    iam: Option<Arc<IamAuth>>,
    timeout: Duration,
) -> KafkaOptions {
    let mut args = KafkaSourceArgs {
        bootstrap: Some(bootstrap.to_string()),
        window: Some(humantime::parse_duration(window).unwrap()),
        timeout: Some(timeout),
        cluster_name: Some("mock".to_string()),
        // Exactly the records each window produced: same sizes both runs.
        sample_records: Some(120),
        ..KafkaSourceArgs::default()
    };
    if iam.is_some() {
        // The proxies speak plain TCP; MSK's IAM listener is TLS.
        args.kafka_setting
            .push("security.protocol=SASL_PLAINTEXT".to_string());
    }
    let mut opts = azcost::config::kafka_options(&args, true).unwrap().unwrap();
    if let Some(a) = iam {
        opts.settings.with_iam(a);
    }
    opts
}

/// The parts of a snapshot that do not depend on when or how it was read.
fn timeless(s: &Snapshot) -> serde_json::Value {
    let mut v = serde_json::json!({
        "brokers": s.brokers.iter().map(|b| (b.id, b.rack.clone(), b.zone.clone())).collect::<Vec<_>>(),
        "partitions": s.partitions,
        "consumer_groups": s.consumer_groups,
        "topics": s.topics,
        "replica_selector": s.cluster.replica_selector,
    });
    v.as_object_mut().unwrap().retain(|_, x| !x.is_null());
    v
}

#[test]
fn a_collection_through_the_iam_proxies_equals_the_plaintext_one() {
    let mock = mock();
    let direct = mock.bootstrap();
    produce(&direct, false, "orders", 6, 50);
    let plain = kafka::collect_with(&options(&direct, "2s", None), &mut || {
        produce(&direct, false, "orders", 6, 120)
    })
    .expect("plaintext collection");

    let proxied = put_proxies(&mock);
    let through = kafka::collect_with(
        &options(
            &proxied.bootstrap,
            "2s",
            Some(auth(SECRET, iam::MAX_LIFETIME)),
        ),
        &mut || produce(&proxied.bootstrap, true, "orders", 6, 120),
    )
    .expect("collection through the IAM proxies");

    assert_eq!(timeless(&through), timeless(&plain));
    // The collection really went through the proxies, authenticated.
    let stats = &proxied.stats;
    assert!(plain.partitions.iter().any(|p| p.bytes_in > 0.0));
    assert_eq!(stats.refusals(), Vec::<String>::new());
    assert_eq!(
        stats
            .unauthenticated
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    // Admin, reader, sampler and the test's producer: at least four
    // authenticated connections, each request passed after one.
    let auths = stats
        .authentications
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!(auths >= 4, "{auths} authentications");
    assert!(stats.forwarded.load(std::sync::atomic::Ordering::SeqCst) > auths);
    every_request_is_in_the_policy_table(stats);
}

/// Each API a collection sent is in the table the IAM policy is built
/// from (`collect::msk::aws::KAFKA_REQUESTS`).
fn every_request_is_in_the_policy_table(stats: &Stats) {
    let listed: Vec<&str> = azcost::collect::msk::aws::KAFKA_REQUESTS
        .iter()
        .map(|(api, _)| *api)
        .collect();
    // azcost's clients say `client.id=azcost`; the test's own do not.
    let sent = stats.api_names("azcost");
    eprintln!("Kafka APIs azcost sent: {sent:?}");
    assert!(sent.iter().any(|a| a == "Metadata"), "{sent:?}");
    for api in &sent {
        assert!(
            listed.contains(&api.as_str()),
            "{api} is not in KAFKA_REQUESTS"
        );
    }
}

#[test]
fn a_wrong_secret_key_fails_naming_iam_and_the_broker_without_printing_secrets() {
    let mock = mock();
    let proxied = put_proxies(&mock);
    let err = kafka::collect(&options_within(
        &proxied.bootstrap,
        "1s",
        Some(auth("not-the-secret-key", iam::MAX_LIFETIME)),
        Duration::from_secs(3),
    ))
    .expect_err("a wrong key must not authenticate");
    let text = err.to_string();
    eprintln!("wrong secret: {text}");
    assert_eq!(err.exit_code(), 1, "{text}");
    assert!(text.contains("IAM authentication"), "{text}");
    assert!(
        proxied
            .proxies
            .iter()
            .any(|p| text.contains(&p.addr.to_string())),
        "names the broker: {text}"
    );
    for secret in ["not-the-secret-key", SECRET, SESSION_TOKEN] {
        assert!(!text.contains(secret), "{text}");
    }
    let refused = proxied.stats.refusals();
    assert!(
        !refused.is_empty()
            && refused
                .iter()
                .all(|r| r.contains("signature does not match")),
        "{refused:?}"
    );
}

#[test]
fn tokens_are_refreshed_and_sessions_reauthenticated_during_a_long_collection() {
    let mock = mock();
    let proxied = put_proxies(&mock);
    // 10-second tokens over a 16-second window: each connection's session
    // (KIP-368) lasts as long as its token, so the reader's connections
    // must re-authenticate, and with a refreshed token, or the proxies
    // would close them and refuse the expired token. (librdkafka asks for
    // a new token at 80% of its life, checking once a second: 10 s leaves
    // a margin of almost a second.)
    let lifetime = Duration::from_secs(10);
    let snap = kafka::collect_with(
        &options(&proxied.bootstrap, "16s", Some(auth(SECRET, lifetime))),
        &mut || produce(&proxied.bootstrap, true, "orders", 6, 20),
    )
    .expect("collection longer than the token lifetime");
    assert_eq!(snap.partitions.len(), 8);
    let stats = &proxied.stats;
    let order = std::sync::atomic::Ordering::SeqCst;
    assert_eq!(stats.refusals(), Vec::<String>::new());
    eprintln!(
        "{} re-authentications, {} with a refreshed token; {} distinct tokens; {} sessions closed as expired",
        stats.reauthentications.load(order),
        stats.renewed.load(order),
        stats.distinct_tokens(),
        stats.expired.load(order)
    );
    assert!(
        stats.reauthentications.load(order) >= 2,
        "{} re-authentications",
        stats.reauthentications.load(order)
    );
    // A live connection switched to a refreshed token: refresh and
    // re-authentication both happened, without polling by azcost.
    assert!(stats.renewed.load(order) >= 1, "no refreshed token in use");
}

#[test]
fn librdkafka_debug_logs_never_carry_the_token_or_the_keys() {
    let mock = mock();
    let proxied = put_proxies(&mock);
    // Every debug context, the SASL exchange included.
    let (logs, tokens) = produce_with(
        &proxied.bootstrap,
        true,
        "orders",
        2,
        5,
        &[("debug", "all")],
    );
    assert!(
        !tokens.is_empty() && logs.len() > 50,
        "{} lines",
        logs.len()
    );
    assert!(
        logs.iter().any(|l| l.contains("OAUTHBEARER")),
        "the SASL exchange was logged"
    );
    for line in &logs {
        for t in &tokens {
            assert!(!line.contains(t.as_str()), "token in: {line}");
        }
        assert!(
            !line.contains(SECRET) && !line.contains(SESSION_TOKEN),
            "{line}"
        );
    }
}

/// A consumer-group member authenticating with MSK IAM tokens, reading
/// and committing in a thread until dropped.
struct IamMember {
    stop: Arc<std::sync::atomic::AtomicBool>,
    read: Arc<std::sync::atomic::AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for IamMember {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl rdkafka::consumer::ConsumerContext for IamProducer {}

fn iam_member(bootstrap: &str, group: &str, topic: &str, client_id: &str) -> IamMember {
    use std::sync::atomic::Ordering::SeqCst;
    let consumer: BaseConsumer<IamProducer> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("security.protocol", "SASL_PLAINTEXT")
        .set("sasl.mechanism", "OAUTHBEARER")
        .set("group.id", group)
        .set("client.id", client_id)
        .set("client.rack", "euw1-az2")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create_with_context(IamProducer::default())
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let read = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (s, r) = (stop.clone(), read.clone());
    let thread = std::thread::spawn(move || {
        let mut dirty = false;
        let mut last = std::time::Instant::now();
        while !s.load(SeqCst) {
            if let Some(Ok(_)) = consumer.poll(Duration::from_millis(50)) {
                r.fetch_add(1, SeqCst);
                dirty = true;
            }
            if dirty && last.elapsed() > Duration::from_millis(100) {
                let _ = consumer.commit_consumer_state(rdkafka::consumer::CommitMode::Sync);
                last = std::time::Instant::now();
                dirty = false;
            }
        }
    });
    IamMember {
        stop,
        read,
        thread: Some(thread),
    }
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let begun = std::time::Instant::now();
    while !cond() {
        assert!(
            begun.elapsed() < Duration::from_secs(60),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn groups_members_and_commits_are_read_over_iam_from_tansu() {
    use azcost::collect::kafka::client::{self, CollectorContext, Settings};
    use azcost::collect::kafka::ffi::Refreshing;
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use std::sync::atomic::Ordering::SeqCst;
    // Tansu advertises the proxy, so every client must authenticate.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let stats = Arc::new(Stats::default());
    let proxy = SaslProxy::start(
        format!("127.0.0.1:{port}").parse().unwrap(),
        trusted(),
        stats.clone(),
    );
    let bootstrap = proxy.addr.to_string();
    let _tansu = crate::kafka_tansu::start_tansu_advertising(port, &bootstrap);
    let auth = auth(SECRET, iam::MAX_LIFETIME);
    let mut settings = Settings::default();
    settings
        .add_spec("security.protocol=SASL_PLAINTEXT", "-X")
        .unwrap();
    settings.with_iam(auth.clone());
    // azcost's own admin client (its refresher serves the token).
    let admin: Refreshing<AdminClient<CollectorContext>> =
        client::create(&bootstrap, &settings, 10_000).unwrap();
    for r in futures_executor::block_on(admin.create_topics(
        &[NewTopic::new("orders", 3, TopicReplication::Fixed(1))],
        &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
    ))
    .expect("create a topic over IAM")
    {
        r.expect("topic created");
    }
    produce(&bootstrap, true, "orders", 3, 20);
    let m = iam_member(&bootstrap, "billing", "orders", "billing-a");
    wait_until("the member read the warm-up records", || {
        m.read.load(SeqCst) >= 60
    });
    let args = KafkaSourceArgs {
        bootstrap: Some(bootstrap.clone()),
        window: Some(Duration::from_secs(3)),
        timeout: Some(Duration::from_secs(10)),
        kafka_setting: vec!["security.protocol=SASL_PLAINTEXT".to_string()],
        // Tansu's one broker reports no rack.
        broker_zone: vec!["111=euw1-az1".to_string()],
        ..KafkaSourceArgs::default()
    };
    let mut opts = azcost::config::kafka_options(&args, true).unwrap().unwrap();
    opts.settings.with_iam(auth);
    // Only the collection's requests count for the policy check (the
    // set-up's admin client created the topic as `azcost` too).
    stats.apis.lock().unwrap().clear();
    let snap = kafka::collect_with(&opts, &mut || {
        produce(&bootstrap, true, "orders", 3, 100);
        wait_until("the member read the window's records", || {
            m.read.load(SeqCst) >= 360
        });
        std::thread::sleep(Duration::from_millis(500));
    })
    .expect("collect from tansu over IAM");
    let billing = snap
        .consumer_groups
        .iter()
        .find(|g| g.group == "billing")
        .expect("group billing collected over IAM");
    assert_eq!(billing.members.len(), 1, "{billing:?}");
    assert!(
        billing.members[0]
            .member_id
            .as_deref()
            .is_some_and(|id| id.starts_with("billing-a-")),
        "{billing:?}"
    );
    let read: f64 = billing.bytes_read.iter().flatten().map(|r| r.bytes).sum();
    assert!(read > 0.0, "committed offsets grew over IAM: {billing:?}");
    assert_eq!(stats.refusals(), Vec::<String>::new());
    assert_eq!(stats.unauthenticated.load(SeqCst), 0);
    every_request_is_in_the_policy_table(&stats);
}

mod proxy_checks {
    //! The proxy's own verification refuses what MSK would refuse, so the
    //! collection tests above prove something.
    use super::*;
    use crate::sasl_proxy::check_token;
    use base64::Engine;

    const AT: u64 = 1_790_000_000;

    fn at(s: u64) -> SystemTime {
        std::time::UNIX_EPOCH + Duration::from_secs(s)
    }

    fn token(secret: &str, region: &str, lifetime: u64) -> String {
        iam::sign_token(
            &credentials(secret),
            region,
            at(AT),
            Duration::from_secs(lifetime),
        )
        .unwrap()
        .value
    }

    /// The token with its URL edited by `edit`.
    fn edited(t: &str, edit: impl Fn(String) -> String) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let url = String::from_utf8(b64.decode(t).unwrap()).unwrap();
        b64.encode(edit(url))
    }

    #[test]
    fn a_good_token_passes_until_it_expires() {
        let t = token(SECRET, REGION, 900);
        assert_eq!(
            check_token(&t, &trusted(), at(AT + 100)),
            Ok(Duration::from_secs(800))
        );
        let late = check_token(&t, &trusted(), at(AT + 901)).unwrap_err();
        assert!(late.contains("expired"), "{late}");
    }

    #[test]
    fn wrong_key_region_host_action_lifetime_or_session_are_refused() {
        let now = at(AT + 1);
        let refused = |t: &str| check_token(t, &trusted(), now).unwrap_err();
        assert!(refused(&token("other", REGION, 900)).contains("signature"));
        assert!(refused(&token(SECRET, "us-east-1", 900)).contains("host"));
        let good = token(SECRET, REGION, 900);
        // Any change to a signed part breaks the signature.
        let action = edited(&good, |u| u.replace("Connect", "AlterCluster"));
        assert!(refused(&action).contains("kafka-cluster:Connect"));
        let longer = edited(&good, |u| {
            u.replace("X-Amz-Expires=900", "X-Amz-Expires=899")
        });
        assert!(refused(&longer).contains("signature"));
        let too_long = edited(&good, |u| {
            u.replace("X-Amz-Expires=900", "X-Amz-Expires=3600")
        });
        assert!(refused(&too_long).contains("900"));
        let host = edited(&good, |u| {
            u.replace("kafka.eu-west-1", "b-1.kafka.eu-west-1")
        });
        assert!(refused(&host).contains("host"));
        let no_session = edited(&good, |u| {
            let cut = u.find("&X-Amz-Security-Token=").unwrap();
            let end = u[cut + 1..].find('&').map_or(u.len(), |e| cut + 1 + e);
            format!("{}{}", &u[..cut], &u[end..])
        });
        assert!(refused(&no_session).contains("session token"));
        // The User-Agent is not signed: changing it is harmless.
        let agent = edited(&good, |u| u.replace("azcost%2F", "someone-else%2F"));
        assert!(check_token(&agent, &trusted(), now).is_ok());
        assert!(refused("not base64 !").contains("base64"));
    }
}

/// Runs the azcost binary with fake AWS credentials in its environment
/// (and no AWS config files, no instance metadata).
fn azcost_with_keys(
    args: &[&str],
    secret: &str,
    extra_env: &[(&str, &str)],
) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_azcost"));
    cmd.args(args)
        .env_remove("AZCOST_CONFIG")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .env("AWS_CONFIG_FILE", "/nonexistent/azcost-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/azcost-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.output().expect("run azcost")
}

#[test]
fn collect_kafka_with_kafka_auth_iam_from_the_command_line() {
    let mock = mock();
    let proxied = put_proxies(&mock);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let out_arg = out.to_str().unwrap();
    let args = [
        "collect",
        "kafka",
        "--bootstrap",
        &proxied.bootstrap,
        "--kafka-auth",
        "iam",
        "--region",
        REGION,
        "-X",
        "security.protocol=SASL_PLAINTEXT",
        "--window",
        "1s",
        "--timeout",
        "3s",
        "--quiet",
        "-o",
        out_arg,
    ];
    let no_secret = |what: &str, text: &str| {
        for s in [SECRET, SESSION_TOKEN, "not-the-secret-key"] {
            assert!(!text.contains(s), "a secret in {what}: {text}");
        }
    };

    // A wrong secret key: exit 1 naming IAM authentication and a broker,
    // nothing written, no secret anywhere.
    let bad = azcost_with_keys(&args, "not-the-secret-key", &[]);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("IAM authentication"), "{stderr}");
    assert!(
        proxied
            .proxies
            .iter()
            .any(|p| stderr.contains(&p.addr.to_string())),
        "{stderr}"
    );
    no_secret("stderr", &stderr);
    no_secret("stdout", &String::from_utf8_lossy(&bad.stdout));
    assert!(!out.exists(), "nothing half-written");

    // The right one: a snapshot, with no secret or token in it.
    let good = azcost_with_keys(&args, SECRET, &[]);
    let stderr = String::from_utf8_lossy(&good.stderr);
    assert_eq!(good.status.code(), Some(0), "{stderr}");
    no_secret("stderr", &stderr);
    let snap = std::fs::read_to_string(&out).unwrap();
    no_secret("the snapshot", &snap);
    assert!(
        !snap.contains("X-Amz-Signature") && !snap.contains("aHR0cHM6"),
        "a token in the snapshot"
    );
    let s: Snapshot = serde_json::from_str(&snap).unwrap();
    assert_eq!(s.partitions.len(), 8);

    // The tests-only lifetime knob is checked like any input.
    let knob = azcost_with_keys(&args, SECRET, &[(iam::LIFETIME_ENV, "3600")]);
    let stderr = String::from_utf8_lossy(&knob.stderr);
    assert_eq!(knob.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(iam::LIFETIME_ENV), "{stderr}");
    // Without --region there is nothing to sign for.
    let no_region: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| *a != "--region" && *a != REGION)
        .collect();
    let miss = azcost_with_keys(&no_region, SECRET, &[]);
    let stderr = String::from_utf8_lossy(&miss.stderr);
    assert_eq!(miss.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("needs --region"), "{stderr}");
}
