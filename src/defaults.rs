//! Default addresses of the local engines that `scripts/engines.sh` starts. The port numbers live
//! in one file, `scripts/ports.env`, which the scripts source and this module reads at compile
//! time, so the CLI defaults, the tests and the examples cannot drift from the scripts.

const PORTS_ENV: &str = include_str!("../scripts/ports.env");

/// HTTP port of the local OpenSearch (`SEMBRIDGE_OS_PORT_DEFAULT` in `scripts/ports.env`).
pub const OPENSEARCH_PORT: u16 = port(PORTS_ENV, "SEMBRIDGE_OS_PORT_DEFAULT");
/// HTTP port of the local Elasticsearch (`SEMBRIDGE_ES_PORT_DEFAULT` in `scripts/ports.env`).
pub const ELASTICSEARCH_PORT: u16 = port(PORTS_ENV, "SEMBRIDGE_ES_PORT_DEFAULT");

/// `http://127.0.0.1:<OPENSEARCH_PORT>`: the default `--url`.
pub fn opensearch_url() -> String {
    local_url(OPENSEARCH_PORT)
}

/// `http://127.0.0.1:<ELASTICSEARCH_PORT>`.
pub fn elasticsearch_url() -> String {
    local_url(ELASTICSEARCH_PORT)
}

fn local_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// The number after `key=` at the start of a line of `env`; a missing key or a value that is not a
/// port fails the build (this runs in const context).
const fn port(env: &str, key: &str) -> u16 {
    let text = env.as_bytes();
    let key = key.as_bytes();
    let mut line_start = 0;
    while line_start < text.len() {
        if starts_with_at(text, line_start, key)
            && line_start + key.len() < text.len()
            && text[line_start + key.len()] == b'='
        {
            let mut i = line_start + key.len() + 1;
            let mut value: u32 = 0;
            let mut digits = 0;
            while i < text.len() && text[i].is_ascii_digit() {
                value = value * 10 + (text[i] - b'0') as u32;
                digits += 1;
                assert!(value <= u16::MAX as u32, "port out of range in ports.env");
                i += 1;
            }
            assert!(
                digits > 0 && (i == text.len() || text[i] == b'\n' || text[i] == b'\r'),
                "ports.env: expected KEY=NUMBER"
            );
            return value as u16;
        }
        while line_start < text.len() && text[line_start] != b'\n' {
            line_start += 1;
        }
        line_start += 1;
    }
    panic!("ports.env lacks a key that src/defaults.rs reads")
}

const fn starts_with_at(text: &[u8], at: usize, prefix: &[u8]) -> bool {
    if at + prefix.len() > text.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if text[at + i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_come_from_ports_env() {
        assert!(PORTS_ENV.contains(&format!("SEMBRIDGE_OS_PORT_DEFAULT={OPENSEARCH_PORT}\n")));
        assert!(PORTS_ENV.contains(&format!("SEMBRIDGE_ES_PORT_DEFAULT={ELASTICSEARCH_PORT}\n")));
        assert_ne!(OPENSEARCH_PORT, ELASTICSEARCH_PORT);
        assert_eq!(
            opensearch_url(),
            format!("http://127.0.0.1:{OPENSEARCH_PORT}")
        );
        assert_eq!(
            elasticsearch_url(),
            format!("http://127.0.0.1:{ELASTICSEARCH_PORT}")
        );
    }

    #[test]
    fn port_reads_the_keyed_line_only() {
        let env = "# A_PORT=1 in a comment\nXA_PORT=2\nA_PORT=9300\r\nB_PORT=7\n";
        assert_eq!(port(env, "A_PORT"), 9300);
        assert_eq!(port(env, "B_PORT"), 7);
    }
}
