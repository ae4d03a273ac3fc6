//! One integration test binary with a module per topic (architecture.md,
//! "tests/"): faster to link than one binary per file.

mod job_support;
mod support;

mod cli;
mod findings;
mod generated;
mod golden;
mod grafana;
mod hostile_names;
mod iam;
mod incremental;
mod kafka_codecs;
mod kafka_mock;
mod kafka_tansu;
mod layout;
mod model_proof;
mod msk;
mod placement;
mod properties;
mod protocol;
mod readme;
mod reconcile;
mod report;
mod report_concurrency;
mod report_failures;
mod sasl_proxy;
mod summaries;
mod validation;
mod whatif;
