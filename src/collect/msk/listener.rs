//! Which of an MSK cluster's Kafka listeners to read through, and the
//! client settings that listener needs.

use super::aws::BootstrapBrokers;
use crate::error::Error;

/// How the collector authenticates to MSK's Kafka listeners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KafkaAuth {
    /// PLAINTEXT listener (port 9092).
    Plaintext,
    /// TLS listener (9094); client certificates through -X ssl.* settings.
    Tls,
    /// SASL/SCRAM-SHA-512 over TLS (9096).
    SaslScram,
    /// SASL/IAM (9098): SASL/OAUTHBEARER with MSK IAM tokens signed by
    /// the credentials of the MSK calls (`collect::kafka::iam`).
    Iam,
}

impl KafkaAuth {
    /// The `--kafka-auth` value.
    pub fn as_str(self) -> &'static str {
        match self {
            KafkaAuth::Plaintext => "plaintext",
            KafkaAuth::Tls => "tls",
            KafkaAuth::SaslScram => "sasl-scram",
            KafkaAuth::Iam => "iam",
        }
    }
}

/// The bootstrap string and client settings for the chosen listener:
/// the one asked for, else the first of plaintext, TLS, SASL/SCRAM and IAM
/// the cluster has (IAM last: it needs AWS credentials for Kafka too). The
/// IAM listener's settings (SASL/OAUTHBEARER, SASL_SSL) come with its
/// token source ([`crate::collect::kafka::client::Settings::with_iam`]).
pub fn listener(
    b: &BootstrapBrokers,
    wanted: Option<KafkaAuth>,
) -> Result<(KafkaAuth, String, Vec<&'static str>), Error> {
    let pick = |auth: KafkaAuth| -> Option<String> {
        match auth {
            KafkaAuth::Plaintext => b.plaintext.clone(),
            KafkaAuth::Tls => b.tls.clone(),
            KafkaAuth::SaslScram => b.sasl_scram.clone(),
            KafkaAuth::Iam => b.sasl_iam.clone(),
        }
    };
    let settings = |auth: KafkaAuth| -> Vec<&'static str> {
        match auth {
            KafkaAuth::Plaintext => vec![],
            KafkaAuth::Tls => vec!["security.protocol=SSL"],
            KafkaAuth::SaslScram => {
                vec!["security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512"]
            }
            KafkaAuth::Iam => vec![],
        }
    };
    match wanted {
        Some(auth) => pick(auth)
            .map(|s| (auth, s, settings(auth)))
            .ok_or_else(|| {
                Error::Runtime(format!(
                    "--kafka-auth {}: GetBootstrapBrokers reports no such listener on this cluster",
                    auth.as_str()
                ))
            }),
        None => [
            KafkaAuth::Plaintext,
            KafkaAuth::Tls,
            KafkaAuth::SaslScram,
            KafkaAuth::Iam,
        ]
        .into_iter()
        .find_map(|a| pick(a).map(|s| (a, s, settings(a))))
        .ok_or_else(|| Error::Runtime("GetBootstrapBrokers reports no Kafka listener".to_string())),
    }
}
