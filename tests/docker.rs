//! What can be tested of the container setup without a Docker engine: the
//! compose file parses, every service's command gives a valid config, the
//! files the Dockerfile copies exist, and the entrypoint works when run
//! directly.

mod common;

use std::process::{Command, Stdio};

use common::*;

fn compose() -> serde_json_like::Value {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json,sys,yaml; print(json.dumps(yaml.safe_load(open('docker-compose.yaml'))))",
        ])
        .output()
        .expect("python3 with PyYAML (pip install pyyaml)");
    assert!(
        out.status.success(),
        "docker-compose.yaml parses: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json_like::parse(&String::from_utf8_lossy(&out.stdout))
}

#[test]
fn compose_services_have_valid_commands_and_configs() {
    let doc = compose();
    let services = doc.get("services").expect("services");
    for name in ["master", "replica", "sentinel1", "sentinel2", "sentinel3"] {
        let svc = services.get(name).unwrap_or_else(|| panic!("service {name}"));
        assert!(svc.get("healthcheck").is_some(), "{name} has a healthcheck");
    }
    for (name, port) in [("sentinel1", "5000"), ("sentinel2", "5001"), ("sentinel3", "5002")] {
        let svc = services.get(name).unwrap();
        let args: Vec<String> = svc.get("command").unwrap().strings();
        assert!(args.windows(2).any(|w| w[0] == "--port" && w[1] == port), "{name}: {args:?}");
        // The service's command line on the template must be a valid config.
        let mut all = vec!["--check-config".to_string(), "docker/sentinel.conf".to_string()];
        all.extend(args);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let (code, out, err) = run_rsentinel(&refs);
        assert_eq!(code, 0, "{name}: {out}{err}");
        let volumes = svc.get("volumes").unwrap().strings();
        assert!(
            volumes.iter().any(|v| v.ends_with(":/data")),
            "{name} has a writable volume: {volumes:?}"
        );
        let check = svc.get("healthcheck").unwrap().get("test").unwrap().strings();
        // The image has no redis-cli: the probe is rsentinel's own.
        assert_eq!(
            check,
            vec![
                "CMD".to_string(),
                "rsentinel".into(),
                "--ping".into(),
                format!("127.0.0.1:{port}")
            ]
        );
    }
}

#[test]
fn dockerfile_copies_files_that_exist() {
    let text = std::fs::read_to_string("Dockerfile").unwrap();
    let mut copied = 0;
    for line in text.lines().filter(|l| l.starts_with("COPY ") && !l.contains("--from")) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        for src in &parts[1..parts.len() - 1] {
            assert!(std::path::Path::new(src).exists(), "Dockerfile copies {src}, which exists");
            copied += 1;
        }
    }
    assert!(copied >= 5, "{copied} sources checked");
    // Not root, and probed without redis-cli.
    let user = text.lines().rfind(|l| l.starts_with("USER ")).expect("a USER line");
    assert!(!user.contains("root") && user.trim() != "USER 0", "{user}");
    let health = text.lines().find(|l| l.starts_with("HEALTHCHECK")).expect("a HEALTHCHECK");
    assert!(health.contains(r#"["rsentinel", "--ping""#), "{health}");
    assert!(!text.contains("redis-tools"), "the image needs no redis-cli");
}

#[test]
fn entrypoint_copies_the_template_and_runs() {
    let dir = tempdir();
    let template = dir.path().join("template.conf");
    let config = dir.path().join("data/sentinel.conf");
    let body = "sentinel monitor mymaster 127.0.0.1 6379 2\n";
    std::fs::write(&template, body).unwrap();
    let port = free_port();
    let child = Command::new("docker/entrypoint.sh")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .env("RSENTINEL_TEMPLATE", &template)
        .env("RSENTINEL_CONFIG", &config)
        .env("RSENTINEL_BIN", env!("CARGO_BIN_EXE_rsentinel"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let proc = Proc { child, port };
    wait_port(port);
    let mut c = Raw::connect(proc.port);
    c.expect(b"PING\r\n", b"+PONG\r\n");
    assert_eq!(std::fs::read_to_string(&template).unwrap(), body, "the template is never written");
    let live = std::fs::read_to_string(&config).unwrap();
    assert!(live.contains("sentinel myid "), "the copy is the live config: {live}");
}

#[test]
fn entrypoint_refuses_a_missing_template() {
    let dir = tempdir();
    let out = Command::new("docker/entrypoint.sh")
        .env("RSENTINEL_TEMPLATE", dir.path().join("nope.conf"))
        .env("RSENTINEL_CONFIG", dir.path().join("data/sentinel.conf"))
        .env("RSENTINEL_BIN", env!("CARGO_BIN_EXE_rsentinel"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no template"));
}

/// A tiny JSON reader: enough to walk what python's json.dumps printed.
mod serde_json_like {
    #[derive(Debug, Clone)]
    pub enum Value {
        Obj(Vec<(String, Value)>),
        Arr(Vec<Value>),
        Str(String),
        Other,
    }

    impl Value {
        pub fn get(&self, key: &str) -> Option<&Value> {
            match self {
                Value::Obj(items) => items.iter().find(|(k, _)| k == key).map(|(_, v)| v),
                _ => None,
            }
        }
        pub fn strings(&self) -> Vec<String> {
            match self {
                Value::Arr(items) => items
                    .iter()
                    .filter_map(|v| if let Value::Str(s) = v { Some(s.clone()) } else { None })
                    .collect(),
                _ => vec![],
            }
        }
    }

    pub fn parse(s: &str) -> Value {
        let b: Vec<char> = s.chars().collect();
        let mut i = 0;
        value(&b, &mut i)
    }

    fn ws(b: &[char], i: &mut usize) {
        while *i < b.len() && b[*i].is_whitespace() {
            *i += 1;
        }
    }

    fn value(b: &[char], i: &mut usize) -> Value {
        ws(b, i);
        match b[*i] {
            '{' => {
                *i += 1;
                let mut items = Vec::new();
                loop {
                    ws(b, i);
                    if b[*i] == '}' {
                        *i += 1;
                        return Value::Obj(items);
                    }
                    let Value::Str(k) = value(b, i) else { panic!("key") };
                    ws(b, i);
                    *i += 1; // ':'
                    let v = value(b, i);
                    items.push((k, v));
                    ws(b, i);
                    if b[*i] == ',' {
                        *i += 1;
                    }
                }
            }
            '[' => {
                *i += 1;
                let mut items = Vec::new();
                loop {
                    ws(b, i);
                    if b[*i] == ']' {
                        *i += 1;
                        return Value::Arr(items);
                    }
                    items.push(value(b, i));
                    ws(b, i);
                    if b[*i] == ',' {
                        *i += 1;
                    }
                }
            }
            '"' => {
                *i += 1;
                let mut s = String::new();
                while b[*i] != '"' {
                    if b[*i] == '\\' {
                        *i += 1;
                    }
                    s.push(b[*i]);
                    *i += 1;
                }
                *i += 1;
                Value::Str(s)
            }
            _ => {
                while *i < b.len() && !matches!(b[*i], ',' | '}' | ']') {
                    *i += 1;
                }
                Value::Other
            }
        }
    }
}
