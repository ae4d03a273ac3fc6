//! Amazon MSK IAM authentication tokens for SASL/OAUTHBEARER (issue 10).
//!
//! librdkafka cannot speak MSK's own `AWS_MSK_IAM` SASL mechanism (a Java
//! client plugin), but MSK's IAM listener also accepts SASL/OAUTHBEARER
//! with a token that is a SigV4-presigned URL, as AWS's signer libraries
//! (`aws-msk-iam-sasl-signer-go`, `-python`, `-js`, `-net`) build it:
//!
//! - `GET https://kafka.<region>.amazonaws.com/?Action=kafka-cluster%3AConnect`,
//!   presigned in the query (`X-Amz-Algorithm`, `X-Amz-Credential`,
//!   `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders=host`, and
//!   `X-Amz-Security-Token` when the credentials are temporary, signed too)
//!   for the service `kafka-cluster` in the cluster's region, over the
//!   hash of an empty body;
//! - the host signed is the regional endpoint `kafka.<region>.amazonaws.com`,
//!   not a broker's host name: one token serves every broker of the
//!   cluster (the signer libraries sign that host; only the Java plugin's
//!   own mechanism signs the broker host);
//! - a `User-Agent` parameter is added after signing (not signed);
//! - the URL is encoded as base64url without padding.
//!
//! A token lasts at most 15 minutes (`X-Amz-Expires` ≤ 900). librdkafka is
//! told its expiry (`X-Amz-Date` + `X-Amz-Expires`) and asks for a new one
//! at 80% of it; [`super::ffi::Refreshing`] serves those requests for every
//! client. Credentials come from the AWS credential chain the MSK
//! collection uses and are fetched again when they near their own expiry.
//!
//! Nothing here prints a secret: [`IamAuth`]'s `Debug` shows the region,
//! and errors name the step that failed, never a key or a token.

use crate::error::Error;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use base64::Engine;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The SigV4 service name MSK checks.
pub const SIGNING_NAME: &str = "kafka-cluster";
/// The action the token asks for.
pub const ACTION: &str = "kafka-cluster:Connect";
/// The longest lifetime MSK accepts, and the one used by default.
pub const MAX_LIFETIME: Duration = Duration::from_secs(900);
/// The shortest lifetime allowed: librdkafka refuses a token that has
/// already expired when it is handed over, and `X-Amz-Date` is truncated
/// to the second.
pub const MIN_LIFETIME: Duration = Duration::from_secs(2);
/// Environment variable, **for tests only**, that shortens the token
/// lifetime (whole seconds, 2 to 900) so that a test can watch tokens be
/// refreshed and connections re-authenticate within seconds.
pub const LIFETIME_ENV: &str = "AZCOST_TEST_IAM_TOKEN_SECONDS";
/// Credentials this close to their own expiry are fetched again before
/// signing, so a token never outlives the key that signed it.
const CREDENTIALS_MARGIN: Duration = Duration::from_secs(300);
/// Sent as the token's `User-Agent` parameter (MSK logs it).
const USER_AGENT: &str = concat!("azcost/", env!("CARGO_PKG_VERSION"));

/// The endpoint host a token is signed for.
pub fn endpoint_host(region: &str) -> String {
    format!("kafka.{region}.amazonaws.com")
}

/// A signed token and when it expires.
pub struct Token {
    /// base64url (no padding) of the presigned URL. A secret: never print it.
    pub value: String,
    /// Expiry in milliseconds since the Unix epoch (`X-Amz-Date` +
    /// `X-Amz-Expires`), what librdkafka needs to schedule the refresh.
    pub expires_ms: i64,
}

/// The token's value is a bearer credential.
impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("value", &"***")
            .field("expires_ms", &self.expires_ms)
            .finish()
    }
}

/// Signs one token with `credentials` for `region` at `now`, valid for
/// `lifetime` (clamped to 900 s). Pure: no clock, no network.
pub fn sign_token(
    credentials: &Credentials,
    region: &str,
    now: SystemTime,
    lifetime: Duration,
) -> Result<Token, String> {
    if region.is_empty()
        || !region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(format!("{region:?} is not an AWS region"));
    }
    if credentials.access_key_id().is_empty() || credentials.secret_access_key().is_empty() {
        return Err("the AWS credentials are empty".to_string());
    }
    let lifetime = lifetime.clamp(MIN_LIFETIME, MAX_LIFETIME);
    // X-Amz-Date has whole seconds: sign at a whole second so the expiry
    // told to librdkafka is exactly the one MSK computes.
    let since_epoch = now
        .duration_since(UNIX_EPOCH)
        .map_err(|_| "the system clock is before 1970".to_string())?;
    let signed_at = UNIX_EPOCH + Duration::from_secs(since_epoch.as_secs());
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(lifetime);
    let identity = credentials.clone().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SIGNING_NAME)
        .time(signed_at)
        .settings(settings)
        .build()
        .map_err(|e| format!("signing parameters: {e}"))?
        .into();
    let url = format!(
        "https://{}/?Action={}",
        endpoint_host(region),
        ACTION.replace(':', "%3A")
    );
    let signable = SignableRequest::new(
        "GET",
        url.as_str(),
        // The host header is the URI's authority, added by the signer.
        std::iter::empty(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| format!("the request to sign: {e}"))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| format!("SigV4 signing failed: {e}"))?
        .into_parts();
    let mut request = http::Request::builder()
        .method("GET")
        .uri(url.as_str())
        .body(())
        .map_err(|e| format!("the request to sign: {e}"))?;
    instructions.apply_to_request_http1x(&mut request);
    let signed = format!(
        "{}&User-Agent={}",
        request.uri(),
        USER_AGENT.replace('/', "%2F")
    );
    let expires_ms =
        i64::try_from((since_epoch.as_secs() + lifetime.as_secs()) * 1000).unwrap_or(i64::MAX);
    Ok(Token {
        value: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signed.as_bytes()),
        expires_ms,
    })
}

/// Where tokens come from: one region, one AWS credential chain.
///
/// Shared by every client of a collection (and by the refresh threads of
/// [`super::ffi::Refreshing`]); credentials are cached until they near
/// their own expiry.
pub struct IamAuth {
    region: String,
    provider: SharedCredentialsProvider,
    lifetime: Duration,
    runtime: tokio::runtime::Runtime,
    cached: Mutex<Option<Credentials>>,
}

/// Region and lifetime only: the provider holds credentials.
impl std::fmt::Debug for IamAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IamAuth")
            .field("region", &self.region)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl IamAuth {
    /// Tokens for `region` signed with the credentials `provider` gives,
    /// each valid for `lifetime` (at most 900 s).
    pub fn new(
        region: &str,
        provider: SharedCredentialsProvider,
        lifetime: Duration,
    ) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Runtime(format!("cannot start the AWS runtime: {e}")))?;
        Ok(IamAuth {
            region: region.to_string(),
            provider,
            lifetime: lifetime.clamp(MIN_LIFETIME, MAX_LIFETIME),
            runtime,
            cached: Mutex::new(None),
        })
    }

    /// The standard AWS credential chain (environment, `profile`, SSO,
    /// web identity, container and instance roles), as `collect msk` uses
    /// it.
    pub fn from_chain(
        region: &str,
        profile: Option<&str>,
        lifetime: Duration,
    ) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Runtime(format!("cannot start the AWS runtime: {e}")))?;
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()));
        if let Some(p) = profile {
            loader = loader.profile_name(p);
        }
        let conf = runtime.block_on(loader.load());
        let provider = conf.credentials_provider().ok_or_else(|| {
            Error::Runtime(
                "IAM authentication: no AWS credentials provider is configured".to_string(),
            )
        })?;
        Ok(IamAuth {
            region: region.to_string(),
            provider,
            lifetime: lifetime.clamp(MIN_LIFETIME, MAX_LIFETIME),
            runtime,
            cached: Mutex::new(None),
        })
    }

    /// The region tokens are signed for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// How long each token is valid.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// A fresh token, valid from now. The error names the step that
    /// failed (credentials or signing), never a secret.
    pub fn token(&self) -> Result<Token, String> {
        let credentials = self.credentials()?;
        sign_token(&credentials, &self.region, SystemTime::now(), self.lifetime)
    }

    fn credentials(&self) -> Result<Credentials, String> {
        let mut cached = self
            .cached
            .lock()
            .map_err(|_| "the credentials cache is poisoned".to_string())?;
        let fresh = |c: &Credentials| {
            c.expiry()
                .is_none_or(|e| e > SystemTime::now() + CREDENTIALS_MARGIN + self.lifetime)
        };
        if let Some(c) = cached.as_ref().filter(|c| fresh(c)) {
            return Ok(c.clone());
        }
        let got = self
            .runtime
            .block_on(self.provider.provide_credentials())
            .map_err(|e| format!("no AWS credentials ({e})"))?;
        *cached = Some(got.clone());
        Ok(got)
    }
}

/// The token lifetime from [`LIFETIME_ENV`] (tests only), else 900 s.
/// A value that is not a whole number of seconds from 2 to 900 is bad input.
pub fn lifetime_from_env() -> Result<Duration, Error> {
    match std::env::var(LIFETIME_ENV) {
        Err(_) => Ok(MAX_LIFETIME),
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(s) if (MIN_LIFETIME.as_secs()..=MAX_LIFETIME.as_secs()).contains(&s) => {
                Ok(Duration::from_secs(s))
            }
            _ => Err(Error::usage(format!(
                "{LIFETIME_ENV}={text:?}: expected whole seconds from 2 to 900 (a test setting)"
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(token: &Token) -> (String, Vec<(String, String)>) {
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&token.value)
            .unwrap();
        let url = String::from_utf8(url).unwrap();
        let (base, q) = url.split_once('?').unwrap();
        let pairs = q
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), v.to_string())
            })
            .collect();
        (base.to_string(), pairs)
    }

    #[test]
    fn token_is_a_presigned_connect_url_for_the_regional_endpoint() {
        let creds = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI",
            Some("SESSION".into()),
            None,
            "t",
        );
        let now = UNIX_EPOCH + Duration::from_millis(1_790_000_000_750);
        let t = sign_token(&creds, "eu-west-1", now, MAX_LIFETIME).unwrap();
        assert!(!t.value.contains('=') && !t.value.contains('+') && !t.value.contains('/'));
        let (base, q) = query(&t);
        assert_eq!(base, "https://kafka.eu-west-1.amazonaws.com/");
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("Action"), Some("kafka-cluster%3AConnect"));
        assert_eq!(get("X-Amz-Algorithm"), Some("AWS4-HMAC-SHA256"));
        assert_eq!(get("X-Amz-Expires"), Some("900"));
        assert_eq!(get("X-Amz-SignedHeaders"), Some("host"));
        assert_eq!(get("X-Amz-Security-Token"), Some("SESSION"));
        assert_eq!(get("X-Amz-Date"), Some("20260921T141320Z"));
        assert_eq!(
            get("X-Amz-Credential"),
            Some("AKIDEXAMPLE%2F20260921%2Feu-west-1%2Fkafka-cluster%2Faws4_request")
        );
        assert_eq!(get("User-Agent"), Some("azcost%2F0.1.0"));
        assert_eq!(get("X-Amz-Signature").map(str::len), Some(64));
        // Signed at the whole second: expiry = X-Amz-Date + 900 s.
        assert_eq!(t.expires_ms, 1_790_000_000_000 + 900_000);
        assert!(!format!("{t:?}").contains(&t.value));
    }

    #[test]
    fn lifetime_is_clamped_and_empty_keys_refused() {
        let creds = Credentials::new("AKID", "secret", None, None, "t");
        let now = UNIX_EPOCH + Duration::from_secs(1_790_000_000);
        let t = sign_token(&creds, "us-east-1", now, Duration::from_secs(3600)).unwrap();
        assert_eq!(t.expires_ms, (1_790_000_000 + 900) * 1000);
        let (_, q) = query(&t);
        assert!(q.iter().all(|(k, _)| k != "X-Amz-Security-Token"));
        let empty = Credentials::new("AKID", "", None, None, "t");
        let err = sign_token(&empty, "us-east-1", now, MAX_LIFETIME).unwrap_err();
        assert!(err.contains("empty"), "{err}");
        let err = sign_token(&creds, "us east", now, MAX_LIFETIME).unwrap_err();
        assert!(err.contains("not an AWS region"), "{err}");
    }
}
