//! TLS to a server with an untrusted certificate: a TLS-terminating proxy in front of
//! each real engine, with a certificate signed by a CA generated at test time. Without `--ca-cert`
//! the connection is refused with a message that says why and what to do; with the CA file, or
//! with `--insecure`, `sembridge info` works end to end (the answers come from the real engine).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use sembridge::engines::{Engine, EngineInfo};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::proxy::{Server, base64};
use crate::support;

/// Accepts TLS on 127.0.0.1 (a free port) and forwards the plaintext bytes to the engine.
struct TlsProxy {
    /// `https://127.0.0.1:PORT`
    url: String,
    /// PEM of the CA that signed the proxy's certificate.
    ca_pem: PathBuf,
    handshakes: Arc<AtomicU64>,
    failed_handshakes: Arc<AtomicU64>,
    _dir: tempfile::TempDir,
    _server: Server,
}

impl TlsProxy {
    fn start(upstream: &str) -> TlsProxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap_or_else(|e| panic!("TLS proxy upstream {upstream}: {e}"));

        // A CA, and a server certificate it signs for 127.0.0.1 and localhost.
        let mut ca_params = CertificateParams::new(Vec::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "sembridge test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_pem = dir.path().join("ca.pem");
        std::fs::write(&ca_pem, ca.pem()).unwrap();

        // Both of rustls' crypto providers are linked in, so name one.
        let config = ServerConfig::builder_with_provider(Arc::new(
            tokio_rustls::rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let (handshakes, failed_handshakes) =
            (Arc::<AtomicU64>::default(), Arc::<AtomicU64>::default());
        let (ok, failed) = (Arc::clone(&handshakes), Arc::clone(&failed_handshakes));
        let server = Server::start(move |conn| {
            let (acceptor, ok, failed) = (acceptor.clone(), ok.clone(), failed.clone());
            async move {
                let Ok(mut tls) = acceptor.accept(conn).await else {
                    failed.fetch_add(1, Ordering::SeqCst);
                    return;
                };
                ok.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut up) = TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
                }
            }
        });
        TlsProxy {
            url: format!("https://{}", server.addr),
            ca_pem,
            handshakes,
            failed_handshakes,
            _dir: dir,
            _server: server,
        }
    }

    fn handshakes(&self) -> (u64, u64) {
        (
            self.handshakes.load(Ordering::SeqCst),
            self.failed_handshakes.load(Ordering::SeqCst),
        )
    }
}

/// `sembridge info --url URL EXTRA..`: (exit code, stdout + stderr). Never a panic.
fn run_info(url: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["info", "--url", url];
    args.extend_from_slice(extra);
    let (code, out, err) = support::run_cli(&args);
    assert!(!err.contains("panicked"), "{err}");
    (code, format!("{out}{err}"))
}

/// `info` through the proxy worked: the real engine answered and the kNN round trip passed.
fn assert_info_works(proxy: &TlsProxy, info: &EngineInfo, code: i32, out: &str) {
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("{} {} at {}", info.kind, info.version, proxy.url)),
        "{out}"
    );
    assert!(out.contains("kNN: works"), "{out}");
    let (ok, failed) = proxy.handshakes();
    assert!(
        ok > 0 && failed == 0,
        "handshakes: {ok} ok, {failed} failed"
    );
}

/// Without `--ca-cert` the certificate is refused: exit 2, the URL, that the certificate is not
/// trusted and what to do; the password in the URL shows nowhere.
async fn untrusted_certificate_is_refused_clearly(_: &Engine, info: &EngineInfo) {
    let proxy = TlsProxy::start(&info.url);
    let password = "Tls-5ecret-4d2e8a";
    let url = proxy
        .url
        .replace("https://", &format!("https://sbuser:{password}@"));
    let (code, out) = run_info(&url, &[]);
    println!("{}: {out}", info.kind);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(&format!("cannot reach {}", proxy.url)),
        "{out}"
    );
    assert!(out.contains("TLS certificate is not trusted"), "{out}");
    assert!(
        out.contains("--ca-cert") && out.contains("--insecure"),
        "{out}"
    );
    assert!(!out.contains(password), "{out}");
    assert!(
        !out.contains(&base64(format!("sbuser:{password}").as_bytes())),
        "{out}"
    );
    // The proxy sees the refusal when the client's alert (or its closing the socket) arrives,
    // which may be after the CLI has exited: give it a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while proxy.handshakes().1 == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let (ok, failed) = proxy.handshakes();
    assert!(
        ok == 0 && failed > 0,
        "the client must reach the proxy and refuse its certificate ({ok} ok, {failed} failed)"
    );
}
crate::both_engines!(untrusted_certificate_is_refused_clearly);

/// `--ca-cert` with the CA that signed the certificate: verified, and it works.
async fn ca_cert_makes_it_trusted(_: &Engine, info: &EngineInfo) {
    let proxy = TlsProxy::start(&info.url);
    let (code, out) = run_info(&proxy.url, &["--ca-cert", proxy.ca_pem.to_str().unwrap()]);
    assert_info_works(&proxy, info, code, &out);
}
crate::both_engines!(ca_cert_makes_it_trusted);

/// `--insecure` skips verification: it works without the CA.
async fn insecure_skips_verification(_: &Engine, info: &EngineInfo) {
    let proxy = TlsProxy::start(&info.url);
    let (code, out) = run_info(&proxy.url, &["--insecure"]);
    assert_info_works(&proxy, info, code, &out);
}
crate::both_engines!(insecure_skips_verification);
