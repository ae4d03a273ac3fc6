//! A SASL-terminating Kafka proxy for the MSK IAM tests (issue 10).
//!
//! No broker here speaks SASL/OAUTHBEARER, so one proxy stands in front of
//! each broker of librdkafka's mock cluster, and the mock advertises the
//! proxies' addresses (`rd_kafka_mock_broker_set_host_port`). The proxy
//! reads every request frame from the client:
//! - ApiVersions goes to the broker, and its answer comes back with
//!   SaslHandshake (v0–1) and SaslAuthenticate (v0–2) added;
//! - SaslHandshake and SaslAuthenticate are answered here: the mechanism
//!   must be OAUTHBEARER, and the token is checked as MSK would, by
//!   recomputing its SigV4 signature from the test credentials (action,
//!   host, region, date, expiry ≤ 900 s, session token) with code written
//!   for this test, independent of the signer under test. A good token
//!   opens a session that lasts until the token expires (KIP-368
//!   `session_lifetime_ms`); a bad one is refused with
//!   SASL_AUTHENTICATION_FAILED and the connection closed;
//! - anything else goes to the broker only inside a live session: before
//!   authentication, or after the session expired without a
//!   re-authentication, the connection is closed, as Kafka brokers do.
//!
//! [`Stats`] counts what happened, so tests can see tokens being refreshed
//! and sessions re-authenticated. The proxy keeps SHA-256 digests of
//! tokens, never the tokens, and no message it sends names a secret.

#![allow(dead_code)]

use bytes::{Buf, Bytes, BytesMut};
use hmac::{Hmac, Mac};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, RequestHeader, ResponseHeader, SaslAuthenticateRequest,
    SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
    api_versions_response::ApiVersion,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The credentials the proxy trusts, and the region tokens must name.
#[derive(Clone)]
pub struct Trusted {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub region: String,
}

/// What the proxies saw, shared by all of them.
#[derive(Default)]
pub struct Stats {
    /// First authentications of a connection.
    pub authentications: AtomicUsize,
    /// Re-authentications of a live connection (KIP-368).
    pub reauthentications: AtomicUsize,
    /// Re-authentications that brought a different token than the
    /// connection's previous one: a refreshed token in use.
    pub renewed: AtomicUsize,
    /// SHA-256 of every token accepted.
    pub tokens: Mutex<BTreeSet<[u8; 32]>>,
    /// Why tokens were refused.
    pub refused: Mutex<Vec<String>>,
    /// Connections closed for a request outside a live session.
    pub unauthenticated: AtomicUsize,
    /// Connections closed because the session had expired.
    pub expired: AtomicUsize,
    /// Requests passed to brokers.
    pub forwarded: AtomicUsize,
    /// Every (client.id, API key) clients sent.
    pub apis: Mutex<BTreeSet<(String, i16)>>,
}

impl Stats {
    pub fn distinct_tokens(&self) -> usize {
        self.tokens.lock().unwrap().len()
    }
    pub fn refusals(&self) -> Vec<String> {
        self.refused.lock().unwrap().clone()
    }
    /// The names of the APIs clients with `client_id` sent (`Metadata`, …).
    pub fn api_names(&self, client_id: &str) -> Vec<String> {
        self.apis
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, _)| c == client_id)
            .map(|&(_, k)| match ApiKey::try_from(k) {
                Ok(key) => format!("{key:?}"),
                Err(_) => format!("api key {k}"),
            })
            .collect()
    }
}

/// One proxy: listens on loopback and serves each connection in a thread.
pub struct SaslProxy {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SaslProxy {
    pub fn start(upstream: SocketAddr, trusted: Trusted, stats: Arc<Stats>) -> SaslProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy on loopback");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(client) = conn else { continue };
                    let trusted = trusted.clone();
                    let stats = stats.clone();
                    std::thread::spawn(move || {
                        let _ = serve(client, upstream, &trusted, &stats);
                    });
                }
            })
        };
        SaslProxy {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for SaslProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn read_frame(s: &mut TcpStream) -> std::io::Result<Bytes> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len)?;
    let len = i32::from_be_bytes(len);
    if !(0..=100 * 1024 * 1024).contains(&len) {
        return Err(std::io::Error::other("bad frame size"));
    }
    let mut body = vec![0u8; len as usize];
    s.read_exact(&mut body)?;
    Ok(Bytes::from(body))
}

fn write_frame(s: &Mutex<TcpStream>, body: &[u8]) -> std::io::Result<()> {
    let mut s = s.lock().unwrap();
    s.write_all(&(body.len() as i32).to_be_bytes())?;
    s.write_all(body)
}

/// Requests sent to the broker and not answered yet, so a local answer
/// never overtakes an earlier request's.
struct InFlight {
    count: Mutex<usize>,
    idle: Condvar,
    api_versions: Mutex<HashMap<i32, i16>>,
}

impl InFlight {
    fn wait_idle(&self) {
        let mut n = self.count.lock().unwrap();
        while *n > 0 {
            n = self.idle.wait_timeout(n, Duration::from_secs(5)).unwrap().0;
        }
    }
}

fn serve(
    mut client: TcpStream,
    upstream: SocketAddr,
    trusted: &Trusted,
    stats: &Stats,
) -> std::io::Result<()> {
    let mut broker = TcpStream::connect(upstream)?;
    let to_client = Arc::new(Mutex::new(client.try_clone()?));
    let inflight = Arc::new(InFlight {
        count: Mutex::new(0),
        idle: Condvar::new(),
        api_versions: Mutex::new(HashMap::new()),
    });
    let pump = {
        let mut from_broker = broker.try_clone()?;
        let to_client = to_client.clone();
        let inflight = inflight.clone();
        std::thread::spawn(move || -> std::io::Result<()> {
            loop {
                let frame = read_frame(&mut from_broker)?;
                let corr = (&frame[..4]).get_i32();
                let version = inflight.api_versions.lock().unwrap().remove(&corr);
                let frame = match version {
                    Some(v) => with_sasl_apis(frame, v),
                    None => frame,
                };
                write_frame(&to_client, &frame)?;
                let mut n = inflight.count.lock().unwrap();
                *n = n.saturating_sub(1);
                inflight.idle.notify_all();
            }
        })
    };
    let mut session: Option<Instant> = None;
    let mut authenticated_once = false;
    let mut last_token: Option<[u8; 32]> = None;
    let result = (|| -> std::io::Result<()> {
        loop {
            let frame = read_frame(&mut client)?;
            let mut peek = &frame[..];
            let key = peek.get_i16();
            let version = peek.get_i16();
            let corr = peek.get_i32();
            // Every request header since v1 has the client id next.
            let client_id = (peek.len() >= 2)
                .then(|| peek.get_i16())
                .filter(|&n| n >= 0 && peek.len() >= n as usize)
                .map(|n| String::from_utf8_lossy(&peek[..n as usize]).into_owned())
                .unwrap_or_default();
            stats.apis.lock().unwrap().insert((client_id, key));
            match ApiKey::try_from(key) {
                Ok(ApiKey::ApiVersions) => {
                    inflight.api_versions.lock().unwrap().insert(corr, version);
                }
                Ok(ApiKey::SaslHandshake) => {
                    inflight.wait_idle();
                    let (header, mut body) = header(&frame, ApiKey::SaslHandshake, version)?;
                    let req = SaslHandshakeRequest::decode(&mut body, version).map_err(bad)?;
                    let ok = req.mechanism.as_str() == "OAUTHBEARER";
                    let resp = SaslHandshakeResponse::default()
                        .with_error_code(if ok { 0 } else { 33 })
                        .with_mechanisms(vec![StrBytes::from_static_str("OAUTHBEARER")]);
                    respond(
                        &to_client,
                        ApiKey::SaslHandshake,
                        version,
                        header.correlation_id,
                        &resp,
                    )?;
                    if !ok {
                        return Ok(());
                    }
                    continue;
                }
                Ok(ApiKey::SaslAuthenticate) => {
                    inflight.wait_idle();
                    let (header, mut body) = header(&frame, ApiKey::SaslAuthenticate, version)?;
                    let req = SaslAuthenticateRequest::decode(&mut body, version).map_err(bad)?;
                    let verdict = bearer_token(&req.auth_bytes)
                        .ok_or_else(|| "not an OAUTHBEARER client-first message".to_string())
                        .and_then(|t| {
                            check_token(&t, trusted, SystemTime::now()).map(|left| (t, left))
                        });
                    match verdict {
                        Ok((token, left)) => {
                            let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
                            stats.tokens.lock().unwrap().insert(digest);
                            if authenticated_once {
                                stats.reauthentications.fetch_add(1, Ordering::SeqCst);
                                if last_token != Some(digest) {
                                    stats.renewed.fetch_add(1, Ordering::SeqCst);
                                }
                            } else {
                                stats.authentications.fetch_add(1, Ordering::SeqCst);
                            }
                            authenticated_once = true;
                            last_token = Some(digest);
                            session = Some(Instant::now() + left);
                            let resp = SaslAuthenticateResponse::default()
                                .with_session_lifetime_ms(left.as_millis() as i64);
                            respond(
                                &to_client,
                                ApiKey::SaslAuthenticate,
                                version,
                                header.correlation_id,
                                &resp,
                            )?;
                        }
                        Err(why) => {
                            stats.refused.lock().unwrap().push(why.clone());
                            let resp = SaslAuthenticateResponse::default()
                                .with_error_code(58)
                                .with_error_message(Some(StrBytes::from_string(format!(
                                    "IAM token refused by the test proxy: {why}"
                                ))));
                            respond(
                                &to_client,
                                ApiKey::SaslAuthenticate,
                                version,
                                header.correlation_id,
                                &resp,
                            )?;
                            return Ok(());
                        }
                    }
                    continue;
                }
                _ => match session {
                    None => {
                        stats.unauthenticated.fetch_add(1, Ordering::SeqCst);
                        return Ok(());
                    }
                    Some(until) if Instant::now() > until => {
                        stats.expired.fetch_add(1, Ordering::SeqCst);
                        return Ok(());
                    }
                    Some(_) => {
                        stats.forwarded.fetch_add(1, Ordering::SeqCst);
                    }
                },
            }
            *inflight.count.lock().unwrap() += 1;
            broker.write_all(&(frame.len() as i32).to_be_bytes())?;
            broker.write_all(&frame)?;
        }
    })();
    let _ = client.shutdown(std::net::Shutdown::Both);
    let _ = broker.shutdown(std::net::Shutdown::Both);
    let _ = pump.join();
    result
}

fn bad(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

fn header(frame: &Bytes, key: ApiKey, version: i16) -> std::io::Result<(RequestHeader, Bytes)> {
    let mut body = frame.clone();
    let header =
        RequestHeader::decode(&mut body, key.request_header_version(version)).map_err(bad)?;
    Ok((header, body))
}

fn respond<M: Encodable>(
    to: &Mutex<TcpStream>,
    key: ApiKey,
    version: i16,
    correlation_id: i32,
    message: &M,
) -> std::io::Result<()> {
    let mut buf = BytesMut::new();
    ResponseHeader::default()
        .with_correlation_id(correlation_id)
        .encode(&mut buf, key.response_header_version(version))
        .map_err(bad)?;
    message.encode(&mut buf, version).map_err(bad)?;
    write_frame(to, &buf)
}

/// The broker's ApiVersions answer with the two SASL APIs added.
fn with_sasl_apis(frame: Bytes, version: i16) -> Bytes {
    let mut body = frame.clone();
    let patched = (|| {
        let header = ResponseHeader::decode(
            &mut body,
            ApiKey::ApiVersions.response_header_version(version),
        )
        .ok()?;
        let mut resp = ApiVersionsResponse::decode(&mut body, version).ok()?;
        if resp.error_code != 0 {
            return None;
        }
        resp.api_keys.retain(|k| {
            k.api_key != ApiKey::SaslHandshake as i16
                && k.api_key != ApiKey::SaslAuthenticate as i16
        });
        resp.api_keys.push(
            ApiVersion::default()
                .with_api_key(ApiKey::SaslHandshake as i16)
                .with_min_version(0)
                .with_max_version(1),
        );
        resp.api_keys.push(
            ApiVersion::default()
                .with_api_key(ApiKey::SaslAuthenticate as i16)
                .with_min_version(0)
                .with_max_version(2),
        );
        let mut out = BytesMut::new();
        header
            .encode(
                &mut out,
                ApiKey::ApiVersions.response_header_version(version),
            )
            .ok()?;
        resp.encode(&mut out, version).ok()?;
        Some(out.freeze())
    })();
    patched.unwrap_or(frame)
}

/// The token of an RFC 7628 client-first message
/// (`n,,\x01auth=Bearer TOKEN\x01…\x01`).
fn bearer_token(auth: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(auth).ok()?;
    text.split('\x01')
        .find_map(|kv| kv.strip_prefix("auth=Bearer "))
        .map(str::to_string)
}

/// RFC 3986 encoding as SigV4's canonical query uses it.
fn uri_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a token as MSK would; returns how long it stays valid. The
/// reasons never quote the token, the signature or a key.
pub fn check_token(token: &str, trusted: &Trusted, now: SystemTime) -> Result<Duration, String> {
    use base64::Engine;
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| "not base64url without padding".to_string())?;
    let url = String::from_utf8(url).map_err(|_| "not UTF-8".to_string())?;
    let rest = url.strip_prefix("https://").ok_or("not an https URL")?;
    let (host, query) = rest.split_once("/?").ok_or("no path / and query")?;
    let want_host = format!("kafka.{}.amazonaws.com", trusted.region);
    if host != want_host {
        return Err(format!("signed for host {host}, expected {want_host}"));
    }
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for kv in query.split('&') {
        let (k, v) = kv.split_once('=').ok_or("a query parameter without =")?;
        let k = percent_decode(k).ok_or("bad percent-encoding")?;
        let v = percent_decode(v).ok_or("bad percent-encoding")?;
        if params.insert(k.clone(), v).is_some() {
            return Err(format!("parameter {k} given twice"));
        }
    }
    let get = |k: &str| params.get(k).map(String::as_str).ok_or(format!("no {k}"));
    if get("Action")? != "kafka-cluster:Connect" {
        return Err("the action is not kafka-cluster:Connect".to_string());
    }
    if get("X-Amz-Algorithm")? != "AWS4-HMAC-SHA256" {
        return Err("the algorithm is not AWS4-HMAC-SHA256".to_string());
    }
    if get("X-Amz-SignedHeaders")? != "host" {
        return Err("the signed headers are not `host`".to_string());
    }
    let credential: Vec<&str> = get("X-Amz-Credential")?.split('/').collect();
    let [akid, day, region, service, terminator] = credential[..] else {
        return Err("X-Amz-Credential is not KEY/DATE/REGION/SERVICE/aws4_request".to_string());
    };
    if akid != trusted.access_key_id {
        return Err("unknown access key id".to_string());
    }
    if region != trusted.region || service != "kafka-cluster" || terminator != "aws4_request" {
        return Err(format!(
            "scope {region}/{service}/{terminator}, expected {}/kafka-cluster/aws4_request",
            trusted.region
        ));
    }
    let amz_date = get("X-Amz-Date")?;
    if !amz_date.starts_with(day) {
        return Err("X-Amz-Date and the credential's date differ".to_string());
    }
    let signed_at = jiff::fmt::strtime::parse("%Y%m%dT%H%M%SZ", amz_date)
        .and_then(|t| t.to_datetime())
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC))
        .map_err(|_| "X-Amz-Date is not YYYYMMDDTHHMMSSZ".to_string())?
        .timestamp()
        .as_second();
    let expires: i64 = get("X-Amz-Expires")?
        .parse()
        .map_err(|_| "X-Amz-Expires is not a number".to_string())?;
    if !(1..=900).contains(&expires) {
        return Err(format!("X-Amz-Expires {expires} is not 1 to 900 seconds"));
    }
    let now_s = now.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    if (signed_at as f64) > now_s + 300.0 {
        return Err("signed in the future".to_string());
    }
    let ends = (signed_at + expires) as f64;
    if ends <= now_s {
        return Err(format!("expired {:.1} s ago", now_s - ends));
    }
    match (&trusted.session_token, params.get("X-Amz-Security-Token")) {
        (Some(want), Some(got)) if want == got => {}
        (None, None) => {}
        _ => return Err("the session token does not match".to_string()),
    }
    let canonical_query = params
        .iter()
        .filter(|(k, _)| *k != "X-Amz-Signature" && *k != "User-Agent")
        .map(|(k, v)| format!("{}={}", uri_encode(k), uri_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let canonical = format!(
        "GET\n/\n{canonical_query}\nhost:{host}\n\nhost\n{}",
        hex(&Sha256::digest(b""))
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{day}/{region}/kafka-cluster/aws4_request\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let key = hmac(
        &hmac(
            &hmac(
                &hmac(format!("AWS4{}", trusted.secret_access_key).as_bytes(), day),
                region,
            ),
            "kafka-cluster",
        ),
        "aws4_request",
    );
    if hex(&hmac(&key, &to_sign)) != get("X-Amz-Signature")? {
        return Err("the signature does not match".to_string());
    }
    Ok(Duration::from_secs_f64(ends - now_s))
}
