//! Typed configuration, loaded once from an optional `kycdesk.toml` and the
//! `KYCDESK_*` environment variables (the environment wins).

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::Mailbox;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// Variables read by one command rather than the configuration.
const COMMAND_VARIABLES: &[&str] = &["KYCDESK_CONFIG", "KYCDESK_STAFF_PASSWORD", "KYCDESK_DEMO_PASSWORD"];

/// Every setting kycdesk reads, as (environment variable, what it means).
/// The `kycdesk.toml` key is the variable's name without the prefix, in lower case.
pub const SETTINGS: &[(&str, &str)] = &[
    ("KYCDESK_DATABASE_URL", "sqlite://PATH or postgres://…"),
    ("KYCDESK_BIND", "address the web server listens on"),
    ("KYCDESK_BASE_URL", "public URL used for every link in emails"),
    ("KYCDESK_DATA_DIR", "directory for the SQLite file, outbox and documents"),
    ("KYCDESK_SMTP_URL", "SMTP relay; unset writes .eml files to <data>/outbox"),
    ("KYCDESK_MAIL_FROM", "sender of every email"),
    ("KYCDESK_SECRET_KEY", "signing key; generated into <data>/secret.key when unset"),
    ("KYCDESK_LOG_FORMAT", "human or json"),
    ("KYCDESK_DATABASE_POOL_SIZE", "database connections per instance"),
    ("KYCDESK_REQUEST_TIMEOUT_SECONDS", "longest a request may take"),
    ("KYCDESK_OUTBOX_POLL_MS", "how often the mail worker looks for due mail"),
    ("KYCDESK_OUTBOX_RETRY_BASE_MS", "first retry delay after a temporary failure"),
    ("KYCDESK_OUTBOX_LEASE_SECONDS", "how long a delivery attempt holds a message"),
    ("KYCDESK_CAPTCHA_MAX_NUMBER", "upper bound of the captcha's proof-of-work search"),
    ("KYCDESK_POLICY_DIR", "directory of the role, entity-type and password policies"),
    ("KYCDESK_JOBS_DIR", "directory of the job schedules"),
    ("KYCDESK_KYC_QUOTA_MB", "total size of KYC documents per account"),
    ("KYCDESK_TRUST_FORWARDED_FOR", "take the client address from X-Forwarded-For"),
];

const PREFIX: &str = "KYCDESK_";

#[derive(Debug, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct ConfigError {
    pub setting: String,
    pub message: String,
}

impl ConfigError {
    fn new(setting: &str, message: impl Into<String>) -> Self {
        ConfigError { setting: setting.to_string(), message: message.into() }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

/// Where the data lives; the scheme of `KYCDESK_DATABASE_URL` decides.
#[derive(Clone)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(SecretString),
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => {
                let shown = Url::parse(url.expose_secret())
                    .map(|u| format!("postgres://{}{}", u.host_str().unwrap_or(""), u.path()))
                    .unwrap_or_else(|_| "postgres://…".into());
                f.write_str(&shown)
            }
        }
    }
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("the SQLite URL names no file (expected sqlite://PATH)".into());
            }
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Url::parse(raw).map_err(|e| format!("not a valid PostgreSQL URL: {e}"))?;
            Ok(DatabaseUrl::Postgres(SecretString::from(raw.to_string())))
        } else {
            Err("expected a URL starting with sqlite:// or postgres://".into())
        }
    }
}

/// The mail transport: `.eml` files in a directory, or an SMTP relay.
#[derive(Clone)]
pub enum MailTransport {
    Files(PathBuf),
    Smtp(SecretString),
}

impl fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MailTransport::Files(dir) => write!(f, "files in {}", dir.display()),
            MailTransport::Smtp(_) => f.write_str("smtp (URL hidden)"),
        }
    }
}

#[derive(Clone)]
pub struct SecretKey(SecretString);

impl SecretKey {
    pub fn expose(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }

    pub fn expose_str(&self) -> &str {
        self.0.expose_secret()
    }

    #[cfg(test)]
    pub fn for_tests(key: &str) -> SecretKey {
        SecretKey(SecretString::from(key.to_string()))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(hidden)")
    }
}

#[derive(Clone, Debug)]
pub struct OutboxSettings {
    pub poll_interval: Duration,
    pub retry_base: Duration,
    pub lease: Duration,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub bind: SocketAddr,
    pub base_url: Url,
    pub data_dir: PathBuf,
    pub mail_transport: MailTransport,
    pub mail_from: Mailbox,
    pub secret_key: SecretKey,
    pub log_format: LogFormat,
    pub database_pool_size: usize,
    pub request_timeout: Duration,
    pub outbox: OutboxSettings,
    pub captcha_max_number: u64,
    /// Where the operator's policy files are; `None` uses `./policies` when
    /// it exists and the copies built into the binary otherwise.
    pub policy_dir: Option<PathBuf>,
    /// Where the job schedules are; `None` uses `./jobs` when it exists and
    /// the copy built into the binary otherwise.
    pub jobs_dir: Option<PathBuf>,
    pub kyc_quota_bytes: u64,
    /// Take the client's address from the last `X-Forwarded-For` entry (set
    /// by our own reverse proxy) instead of the connection's peer.
    pub trust_forwarded_for: bool,
}

/// The raw settings before parsing: environment first, then the file.
pub struct Sources {
    env: BTreeMap<String, String>,
    file: BTreeMap<String, String>,
}

impl Sources {
    /// Reads the process environment and `kycdesk.toml` (or the file named by
    /// `KYCDESK_CONFIG`, which must then exist).
    pub fn from_process() -> Result<Self, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars().filter(|(k, _)| k.starts_with(PREFIX)).collect();
        let (path, must_exist) = match env.get("KYCDESK_CONFIG") {
            Some(p) => (PathBuf::from(p), true),
            None => (PathBuf::from("kycdesk.toml"), false),
        };
        let file = if path.exists() || must_exist {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ConfigError::new("KYCDESK_CONFIG", format!("cannot read {}: {e}", path.display())))?;
            parse_file(&text)
                .map_err(|e| ConfigError::new(&e.setting, format!("in {}: {}", path.display(), e.message)))?
        } else {
            BTreeMap::new()
        };
        Ok(Sources { env, file })
    }

    pub fn new(env: BTreeMap<String, String>, file_text: Option<&str>) -> Result<Self, ConfigError> {
        let file = match file_text {
            Some(text) => parse_file(text)?,
            None => BTreeMap::new(),
        };
        Ok(Sources { env, file })
    }

    fn get(&self, setting: &str) -> Option<String> {
        // A setting read here but missing from SETTINGS would be refused in
        // kycdesk.toml and warned about as unknown in the environment.
        debug_assert!(SETTINGS.iter().any(|(name, _)| *name == setting), "{setting} is missing from SETTINGS");
        self.env.get(setting).or_else(|| self.file.get(setting)).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }

    /// `KYCDESK_*` variables the program does not know: most likely typos.
    pub fn unknown_variables(&self) -> Vec<String> {
        self.env
            .keys()
            .filter(|k| {
                !COMMAND_VARIABLES.contains(&k.as_str())
                    && !k.starts_with("KYCDESK_TEST_")
                    && !SETTINGS.iter().any(|(name, _)| name == k)
            })
            .cloned()
            .collect()
    }
}

fn parse_file(text: &str) -> Result<BTreeMap<String, String>, ConfigError> {
    let table: toml::Table =
        text.parse().map_err(|e: toml::de::Error| ConfigError::new("KYCDESK_CONFIG", e.message().to_string()))?;
    let mut settings = BTreeMap::new();
    for (key, value) in table {
        let setting = format!("{PREFIX}{}", key.to_ascii_uppercase());
        if !SETTINGS.iter().any(|(name, _)| *name == setting) {
            return Err(ConfigError::new("KYCDESK_CONFIG", format!("unknown key `{key}`")));
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(ConfigError::new(
                    &setting,
                    format!("`{key}` must be a string or a number, not {}", other.type_str()),
                ));
            }
        };
        settings.insert(setting, value);
    }
    Ok(settings)
}

fn parse_number<T>(sources: &Sources, setting: &str, default: T, min: T) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + fmt::Display,
{
    match sources.get(setting) {
        None => Ok(default),
        Some(raw) => match raw.parse::<T>() {
            Ok(n) if n >= min => Ok(n),
            _ => Err(ConfigError::new(setting, format!("expected a whole number of at least {min}, got `{raw}`"))),
        },
    }
}

impl Config {
    pub fn load(sources: &Sources) -> Result<Config, ConfigError> {
        let data_dir = PathBuf::from(sources.get("KYCDESK_DATA_DIR").unwrap_or_else(|| "./data".into()));

        let database_url = match sources.get("KYCDESK_DATABASE_URL") {
            Some(raw) => DatabaseUrl::parse(&raw).map_err(|m| ConfigError::new("KYCDESK_DATABASE_URL", m))?,
            None => DatabaseUrl::Sqlite(data_dir.join("kycdesk.db")),
        };

        let bind_raw = sources.get("KYCDESK_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind: SocketAddr = bind_raw.parse().map_err(|_| {
            ConfigError::new("KYCDESK_BIND", format!("expected an address like 127.0.0.1:8080, got `{bind_raw}`"))
        })?;

        let base_url = match sources.get("KYCDESK_BASE_URL") {
            Some(raw) => parse_base_url(&raw).map_err(|m| ConfigError::new("KYCDESK_BASE_URL", m))?,
            None => Url::parse(&format!("http://{bind}/")).expect("a socket address makes a URL"),
        };

        let mail_transport = match sources.get("KYCDESK_SMTP_URL") {
            Some(raw) => {
                let url = Url::parse(&raw).map_err(|e| ConfigError::new("KYCDESK_SMTP_URL", e.to_string()))?;
                if !matches!(url.scheme(), "smtp" | "smtps") || url.host_str().is_none() {
                    return Err(ConfigError::new("KYCDESK_SMTP_URL", "expected smtp://host:port or smtps://host:port"));
                }
                MailTransport::Smtp(SecretString::from(raw))
            }
            None => MailTransport::Files(data_dir.join("outbox")),
        };

        let mail_from = match sources.get("KYCDESK_MAIL_FROM") {
            Some(raw) => raw.parse::<Mailbox>().map_err(|e| {
                ConfigError::new("KYCDESK_MAIL_FROM", format!("not a valid sender address `{raw}`: {e}"))
            })?,
            None => {
                let host = base_url.host_str().unwrap_or("localhost");
                let host = if host.parse::<std::net::IpAddr>().is_ok() { "localhost" } else { host };
                format!("kycdesk <no-reply@{host}>").parse().map_err(|e| {
                    ConfigError::new("KYCDESK_MAIL_FROM", format!("cannot derive a sender from the base URL: {e}"))
                })?
            }
        };

        let secret_key = match sources.get("KYCDESK_SECRET_KEY") {
            Some(raw) if raw.len() < 32 => {
                return Err(ConfigError::new("KYCDESK_SECRET_KEY", "must be at least 32 characters long"));
            }
            Some(raw) => SecretKey(SecretString::from(raw)),
            None => load_or_create_secret_key(&data_dir)?,
        };

        let log_format = match sources.get("KYCDESK_LOG_FORMAT").as_deref() {
            None | Some("human") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new("KYCDESK_LOG_FORMAT", format!("expected human or json, got `{other}`")));
            }
        };

        Ok(Config {
            database_url,
            bind,
            base_url,
            data_dir,
            mail_transport,
            mail_from,
            secret_key,
            log_format,
            database_pool_size: parse_number(sources, "KYCDESK_DATABASE_POOL_SIZE", 8, 1)?,
            request_timeout: Duration::from_secs(parse_number(sources, "KYCDESK_REQUEST_TIMEOUT_SECONDS", 30, 1)?),
            outbox: OutboxSettings {
                poll_interval: Duration::from_millis(parse_number(sources, "KYCDESK_OUTBOX_POLL_MS", 2000, 10)?),
                retry_base: Duration::from_millis(parse_number(sources, "KYCDESK_OUTBOX_RETRY_BASE_MS", 30_000, 10)?),
                lease: Duration::from_secs(parse_number(sources, "KYCDESK_OUTBOX_LEASE_SECONDS", 300, 1)?),
            },
            captcha_max_number: parse_number(sources, "KYCDESK_CAPTCHA_MAX_NUMBER", 50_000, 10)?,
            policy_dir: sources.get("KYCDESK_POLICY_DIR").map(PathBuf::from),
            jobs_dir: sources.get("KYCDESK_JOBS_DIR").map(PathBuf::from),
            kyc_quota_bytes: parse_number(sources, "KYCDESK_KYC_QUOTA_MB", 100, 1)? * 1024 * 1024,
            trust_forwarded_for: match sources.get("KYCDESK_TRUST_FORWARDED_FOR").as_deref() {
                None | Some("false") => false,
                Some("true") => true,
                Some(other) => {
                    return Err(ConfigError::new(
                        "KYCDESK_TRUST_FORWARDED_FOR",
                        format!("expected true or false, got `{other}`"),
                    ));
                }
            },
        })
    }

    /// Whether cookies must carry `Secure`.
    pub fn is_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// The origin (scheme, host, port) forms are expected to come from.
    pub fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }

    /// An absolute link under the base URL, e.g. `link("/verify-email?token=…")`.
    pub fn link(&self, path_and_query: &str) -> String {
        let base = self.base_url.as_str().trim_end_matches('/');
        format!("{base}{path_and_query}")
    }
}

fn parse_base_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("expected an http:// or https:// URL with a host".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not carry a query or fragment".into());
    }
    Ok(url)
}

/// Without `KYCDESK_SECRET_KEY`, one instance keeps a generated key beside its
/// data so sessions and signed values survive restarts.
fn load_or_create_secret_key(data_dir: &Path) -> Result<SecretKey, ConfigError> {
    let path = data_dir.join("secret.key");
    let error = |e: std::io::Error| ConfigError::new("KYCDESK_SECRET_KEY", format!("{}: {e}", path.display()));
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_string();
        if existing.len() < 32 {
            return Err(ConfigError::new(
                "KYCDESK_SECRET_KEY",
                format!("{} holds fewer than 32 characters", path.display()),
            ));
        }
        return Ok(SecretKey(SecretString::from(existing)));
    }
    std::fs::create_dir_all(data_dir).map_err(error)?;
    let key = hex::encode(rand::random::<[u8; 32]>());
    write_private_file(&path, &key).map_err(error)?;
    Ok(SecretKey(SecretString::from(key)))
}

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)], file: Option<&str>) -> Result<Config, ConfigError> {
        let dir = std::env::temp_dir().join(format!("kycdesk-config-{}", rand::random::<u64>()));
        let mut map: BTreeMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        map.entry("KYCDESK_DATA_DIR".into()).or_insert(dir.display().to_string());
        Config::load(&Sources::new(map, file)?)
    }

    #[test]
    fn defaults_use_sqlite_in_the_data_dir_and_file_mail() {
        let config = load(&[("KYCDESK_DATA_DIR", "/tmp/kycdesk-defaults-test")], None).unwrap();
        assert!(matches!(&config.database_url, DatabaseUrl::Sqlite(p) if p.ends_with("kycdesk.db")));
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.base_url.as_str(), "http://127.0.0.1:8080/");
        assert!(matches!(config.mail_transport, MailTransport::Files(_)));
        assert_eq!(config.log_format, LogFormat::Human);
    }

    #[test]
    fn every_setting_can_come_from_the_file() {
        let config =
            load(&[], Some("policy_dir = \"/etc/kycdesk/policies\"\ntrust_forwarded_for = \"true\"\n")).unwrap();
        assert_eq!(config.policy_dir.as_deref(), Some(std::path::Path::new("/etc/kycdesk/policies")));
        assert!(config.trust_forwarded_for);
    }

    #[test]
    fn environment_wins_over_the_file() {
        let config = load(
            &[("KYCDESK_BIND", "127.0.0.1:9001")],
            Some("bind = \"127.0.0.1:9000\"\nbase_url = \"https://kyc.example.com\"\n"),
        )
        .unwrap();
        assert_eq!(config.bind.port(), 9001);
        assert!(config.is_https());
        assert_eq!(config.link("/x?y=1"), "https://kyc.example.com/x?y=1");
    }

    #[test]
    fn invalid_settings_are_named_in_the_error() {
        let cases: &[(&str, &str)] = &[
            ("KYCDESK_DATABASE_URL", "mysql://localhost/db"),
            ("KYCDESK_BIND", "localhost"),
            ("KYCDESK_BASE_URL", "ftp://example.com"),
            ("KYCDESK_SMTP_URL", "http://mail"),
            ("KYCDESK_MAIL_FROM", "not an address"),
            ("KYCDESK_SECRET_KEY", "short"),
            ("KYCDESK_LOG_FORMAT", "xml"),
            ("KYCDESK_DATABASE_POOL_SIZE", "0"),
        ];
        for (setting, value) in cases {
            let err = load(&[(setting, value)], None).unwrap_err();
            assert_eq!(err.setting, *setting, "{value} gave {err}");
        }
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let err = load(&[], Some("databse_url = \"sqlite://x\"\n")).unwrap_err();
        assert!(err.message.contains("databse_url"), "{err}");
    }

    #[test]
    fn secrets_never_print() {
        let config = load(
            &[
                ("KYCDESK_DATABASE_URL", "postgres://app:hunter2@db.internal/kyc"),
                ("KYCDESK_SMTP_URL", "smtp://user:mailpass@relay:587"),
                ("KYCDESK_SECRET_KEY", "0123456789abcdef0123456789abcdef-top-secret"),
            ],
            None,
        )
        .unwrap();
        let shown = format!("{config:?}");
        for secret in ["hunter2", "mailpass", "top-secret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
