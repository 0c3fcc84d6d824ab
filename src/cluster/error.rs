//! The errors of the cluster layer, and how they are worded.
//!
//! kube's own error text is never shown: it can hold a kubeconfig's exec
//! plugin arguments, its environment values and its output (which may be the
//! token), and an API server's text can hold control characters. Every
//! message here is rebuilt from structured causes — the variant of a
//! `kube::Error`, an HTTP status, an `io::ErrorKind`, a TLS certificate
//! error — and whatever text comes from a kubeconfig or a server goes
//! through [`clean`] (control characters escaped, length bounded).

use std::error::Error as StdError;
use std::io;

use kube::client::{AuthError, RustlsTlsError};
use kube::config::{InClusterError, KubeconfigError, LoadDataError};

/// Why a context (or the kubeconfig) could not be read at all. Every
/// variant has the stable code `parity::cluster`, as before this type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum KubeError {
    #[error("cannot read the kubeconfig: {reason}")]
    #[diagnostic(code(parity::cluster))]
    Kubeconfig { reason: String },

    #[error("the kubeconfig has no current context; name one with --context")]
    #[diagnostic(code(parity::cluster))]
    NoCurrentContext,

    #[error("context `{context}` is not in the kubeconfig (it has: {known})")]
    #[diagnostic(code(parity::cluster))]
    UnknownContext { context: String, known: String },

    #[error("context `{context}`: {reason}")]
    #[diagnostic(code(parity::cluster))]
    Config { context: String, reason: String },

    #[error(
        "context `{context}`: the {what} of user `{user}` is not a valid HTTP header value: it holds a line break or another control character (kubectl rejects it too); write it on one line, e.g. `token: |-` instead of `token: |`"
    )]
    #[diagnostic(code(parity::cluster))]
    InvalidToken { context: String, user: String, what: &'static str },

    #[error("context `{context}`: credentials: {reason}")]
    #[diagnostic(code(parity::cluster))]
    Auth { context: String, reason: String },

    #[error("context `{context}`: cannot reach the API server: {reason}")]
    #[diagnostic(code(parity::cluster))]
    Unreachable { context: String, reason: String },

    #[error("in-cluster configuration: {reason}")]
    #[diagnostic(code(parity::cluster))]
    InCluster { reason: String },

    #[error("context `{context}`: reading it stopped: an internal task {what}; nothing from this context was kept")]
    #[diagnostic(code(parity::cluster))]
    TaskFailed { context: String, what: &'static str },

    #[error("cannot start the async runtime ({reason})")]
    #[diagnostic(code(parity::cluster))]
    Runtime { reason: String },

    /// One resource of a context that could not be listed (`status` is
    /// empty or ` (status N)`); the rest of the context was read.
    #[error("could not read `{what}`{status}: {reason}; the rest was read")]
    #[diagnostic(code(parity::cluster))]
    Resource { what: String, status: String, reason: String },
}

/// Text from a kubeconfig or an API server made safe to print: control
/// characters (ESC, CR, LF, ...) and bidi overrides escaped as `\u{..}`,
/// and at most `max` characters kept (then `…`).
pub fn clean(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max + 8));
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() || is_bidi(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Longest piece of server text kept in a message.
pub const MAX_SERVER_TEXT: usize = 300;

/// Names (contexts, users) are shorter.
pub const MAX_NAME: usize = 120;

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// An `io::ErrorKind` in words.
pub fn io_kind(e: &io::Error) -> String {
    use io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "not found".into(),
        K::PermissionDenied => "permission denied".into(),
        K::ConnectionRefused => "connection refused".into(),
        K::ConnectionReset => "connection reset by the server".into(),
        K::ConnectionAborted => "connection aborted".into(),
        K::NotConnected => "not connected".into(),
        K::AddrNotAvailable => "address not available".into(),
        K::TimedOut => "timed out".into(),
        K::UnexpectedEof => "the connection closed early".into(),
        K::InvalidData => "invalid data".into(),
        K::Interrupted => "interrupted".into(),
        K::HostUnreachable => "host unreachable".into(),
        K::NetworkUnreachable => "network unreachable".into(),
        K::IsADirectory => "is a folder".into(),
        other => clean(&format!("{other:?}"), 40),
    }
}

/// A kubeconfig problem in words (paths are the user's own and shown).
pub fn kubeconfig_reason(e: &KubeconfigError) -> String {
    match e {
        KubeconfigError::CurrentContextNotSet => "the kubeconfig has no current context".into(),
        KubeconfigError::KindMismatch | KubeconfigError::ApiVersionMismatch => {
            "the kubeconfig files cannot be merged (their kind or apiVersion differ)".into()
        }
        KubeconfigError::LoadContext(_) => "the context is not in the kubeconfig".into(),
        KubeconfigError::LoadClusterOfContext(_) => "the context's cluster is not in the kubeconfig".into(),
        KubeconfigError::FindPath => "no $KUBECONFIG and no home folder to find ~/.kube/config in".into(),
        KubeconfigError::ReadConfig(io, path) => {
            format!("cannot read `{}`: {}", clean(&path.to_string_lossy(), 300), io_kind(io))
        }
        KubeconfigError::Parse(_) => "the kubeconfig is not valid YAML of the kubeconfig shape".into(),
        KubeconfigError::MissingClusterUrl => "the cluster has no `server` URL".into(),
        KubeconfigError::ParseClusterUrl(_) => "the cluster's `server` is not a valid URL".into(),
        KubeconfigError::ParseProxyUrl(_) => "the cluster's `proxy-url` is not a valid URL".into(),
        KubeconfigError::LoadCertificateAuthority(d) => format!("cannot load the certificate authority: {}", data(d)),
        KubeconfigError::LoadClientCertificate(d) => format!("cannot load the client certificate: {}", data(d)),
        KubeconfigError::LoadClientKey(d) => format!("cannot load the client key: {}", data(d)),
        KubeconfigError::ParseCertificates(_) => "the certificate data is not valid PEM".into(),
    }
}

fn data(e: &LoadDataError) -> String {
    match e {
        LoadDataError::DecodeBase64(_) => "its `-data` is not valid base64".into(),
        LoadDataError::ReadFile(io, path) => {
            format!("cannot read `{}`: {}", clean(&path.to_string_lossy(), 300), io_kind(io))
        }
        LoadDataError::NoBase64DataOrFile => "neither data nor a file is given".into(),
    }
}

/// An in-cluster configuration problem in words.
pub fn incluster_reason(e: &InClusterError) -> String {
    match e {
        InClusterError::ReadDefaultNamespace(io) => format!("cannot read the namespace file: {}", io_kind(io)),
        InClusterError::ReadEnvironmentVariable(_) => {
            "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in a pod?)".into()
        }
        InClusterError::ReadCertificateBundle(io) => format!("cannot read the CA bundle: {}", io_kind(io)),
        InClusterError::ParseClusterPort(_) => "KUBERNETES_SERVICE_PORT is not a port number".into(),
        InClusterError::ParseClusterUrl(_) => "the API server address is not a valid URL".into(),
        InClusterError::ParseCertificates(_) => "the CA bundle is not valid PEM".into(),
    }
}

/// A credential problem in words. The exec plugin's arguments, environment
/// and output are never shown; its command is shown by file name only.
pub fn auth_reason(e: &AuthError) -> String {
    match e {
        AuthError::InvalidBasicAuth(_) => "the username or password is not a valid HTTP header value".into(),
        AuthError::InvalidBearerToken(_) => {
            "the token is not a valid HTTP header value (it holds a line break or another control character)".into()
        }
        AuthError::UnrefreshableTokenResponse => "the credential plugin's new answer cannot be refreshed".into(),
        AuthError::ExecPluginFailed => "the credential plugin's answer has no `status`".into(),
        AuthError::MalformedTokenExpirationDate(_) => {
            "the credential plugin's `expirationTimestamp` is not a valid time".into()
        }
        AuthError::AuthExecStart(io) => format!("cannot start the credential plugin: {}", io_kind(io)),
        AuthError::AuthExecRun { cmd, out } => {
            let status = match out.status.code() {
                Some(c) => format!("exit status {c}"),
                None => "killed by a signal".into(),
            };
            format!(
                "the credential plugin `{}` failed ({status}); its arguments, environment and output are not shown",
                plugin_name(cmd)
            )
        }
        AuthError::AuthExecParse(_) => {
            "the credential plugin's output is not an ExecCredential (its output is not shown)".into()
        }
        AuthError::AuthExecSerialize(_) => "cannot pass the cluster details to the credential plugin".into(),
        AuthError::AuthExec(_) => "the auth provider is not supported or failed (use an exec plugin)".into(),
        AuthError::ReadTokenFile(io, path) => {
            format!("cannot read the token file `{}`: {}", clean(&path.to_string_lossy(), 300), io_kind(io))
        }
        AuthError::ParseTokenKey(_) => "the auth provider's `token-key` is not valid".into(),
        AuthError::MissingCommand => "the `exec` section names no command".into(),
        AuthError::ExecMissingClusterInfo => "`provideClusterInfo` is set but the cluster details are missing".into(),
        AuthError::NoValidNativeRootCA(_) => "no valid root CA certificates on this system".into(),
    }
}

/// kube prints the command as `Command`'s Debug: `"/path/plugin" "arg" ...`
/// with `KEY="value"` pairs before it. Only the program's file name is kept.
fn plugin_name(cmd: &str) -> String {
    let first = cmd.split_whitespace().find(|w| w.starts_with('"')).unwrap_or("");
    let program = first.trim_matches('"');
    let name = program.rsplit(['/', '\\']).next().unwrap_or("");
    if name.is_empty() { "?".into() } else { clean(name, 60) }
}

/// A TLS setup problem in words.
fn tls_reason(e: &RustlsTlsError) -> String {
    match e {
        RustlsTlsError::InvalidIdentityPem(_) => "the client certificate or key is not valid PEM".into(),
        RustlsTlsError::MissingPrivateKey => "the client key is missing or not PKCS8/RSA".into(),
        RustlsTlsError::MissingCertificate => "the client certificate is missing".into(),
        RustlsTlsError::InvalidPrivateKey(_) => "the client key is not valid".into(),
        RustlsTlsError::UnknownPrivateKeyFormat => "the client key has an unknown format".into(),
        RustlsTlsError::AddRootCertificate(_) => "a certificate authority is not a valid certificate".into(),
        RustlsTlsError::NoValidNativeRootCA(_) => "no valid root CA certificates on this system".into(),
        RustlsTlsError::InvalidServerName(_) => "the server name is not valid for TLS".into(),
    }
}

fn rustls_reason(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => {
            let why = match c {
                C::UnknownIssuer => "unknown issuer",
                C::Expired | C::ExpiredContext { .. } => "expired",
                C::NotValidYet | C::NotValidYetContext { .. } => "not valid yet",
                C::NotValidForName | C::NotValidForNameContext { .. } => "not valid for this server name",
                C::Revoked => "revoked",
                C::BadSignature => "bad signature",
                C::BadEncoding => "badly encoded",
                _ => "invalid",
            };
            format!("TLS: the server's certificate is not trusted ({why}); give the CA in the kubeconfig")
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "TLS: the server does not speak TLS as expected (an http:// server?)".into()
        }
        _ => "TLS handshake failed".into(),
    }
}

/// Any error of the kube client in words, from its structure.
pub fn kube_reason(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => format!("the API server answered {}", s.code),
        kube::Error::HyperError(h) => hyper_reason(h),
        kube::Error::Service(b) => chain_reason(b.as_ref()),
        kube::Error::ProxyProtocolUnsupported { .. } | kube::Error::ProxyProtocolDisabled { .. } => {
            "the proxy's protocol is not supported".into()
        }
        kube::Error::HttpError(_) => "a request header (e.g. an impersonation value) is not valid".into(),
        kube::Error::Auth(a) => auth_reason(a),
        kube::Error::RustlsTls(t) => tls_reason(t),
        kube::Error::TlsRequired => "TLS is required but not available".into(),
        kube::Error::InferKubeconfig(k) => kubeconfig_reason(k),
        kube::Error::InferConfig(_) => "cannot infer the configuration".into(),
        kube::Error::SerdeError(_) => "the answer is not valid JSON".into(),
        _ => "the request failed".into(),
    }
}

fn hyper_reason(h: &hyper::Error) -> String {
    if h.is_timeout() {
        "timed out".into()
    } else if h.is_incomplete_message() {
        "the server closed the connection before answering".into()
    } else if h.is_parse() || h.is_parse_status() {
        "the server's answer is not valid HTTP".into()
    } else if h.is_closed() || h.is_canceled() {
        "the connection was closed".into()
    } else if let Some(src) = h.source() {
        chain_reason(src)
    } else {
        "the HTTP exchange failed".into()
    }
}

/// Walks an error chain for a cause parity knows how to word; nothing in
/// the chain is printed as text.
pub fn chain_reason(top: &(dyn StdError + 'static)) -> String {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(top);
    while let Some(e) = cur {
        if let Some(a) = e.downcast_ref::<AuthError>() {
            return auth_reason(a);
        }
        if let Some(k) = e.downcast_ref::<kube::Error>() {
            return kube_reason(k);
        }
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return rustls_reason(r);
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            // io::Error::source skips its own inner error; look at it here.
            if let Some(inner) = io.get_ref() {
                if let Some(r) = inner.downcast_ref::<rustls::Error>() {
                    return rustls_reason(r);
                }
                if let Some(a) = inner.downcast_ref::<AuthError>() {
                    return auth_reason(a);
                }
            }
            return io_kind(io);
        }
        if let Some(h) = e.downcast_ref::<hyper::Error>()
            && (h.source().is_none() || h.is_timeout() || h.is_incomplete_message() || h.is_parse())
        {
            return hyper_reason(h);
        }
        if e.is::<tokio::time::error::Elapsed>() {
            return "timed out".into();
        }
        cur = e.source();
    }
    "the request failed".into()
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
