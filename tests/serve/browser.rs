//! The search page of `sembridge serve` in a real browser (headless Chromium, driven over the
//! DevTools protocol by `headless_chrome`): type a SciFact query, submit, and check that the
//! three columns show what `/search` answers for each mode, with the documents found by more
//! than one mode marked. Saves a screenshot under the target folder (printed). OpenSearch only:
//! the page is engine-agnostic and the HTTP tests cover both engines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions};
use sembridge::engines::EngineKind;
use serde_json::Value;

use super::{QUERY, ServeProcess, get, ids, ingest_head, query_string};
use crate::support;

const MODES: [&str; 3] = ["bm25", "knn", "hybrid"];

/// What the page shows per column.
#[derive(Debug)]
struct Column {
    ids: Vec<String>,
    shared: BTreeSet<String>,
    timing: String,
}

/// Chromium: `SEMBRIDGE_CHROMIUM`, else `chromium` or `chromium-browser` on PATH (scripts/setup-test.sh
/// installs the Debian package), else /usr/bin/chromium.
fn chromium() -> PathBuf {
    let on_path = |name: &str| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
    };
    let path = std::env::var_os("SEMBRIDGE_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| on_path("chromium"))
        .or_else(|| on_path("chromium-browser"))
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.is_file(),
        "{} missing: run scripts/setup-test.sh (it installs the Debian package chromium)",
        path.display()
    );
    path
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Load the page, type the query, submit, wait for the three answers; read the columns and save
/// a screenshot to `png`.
fn drive(base: &str, png: &std::path::Path) -> BTreeMap<String, Column> {
    let options = LaunchOptions::default_builder()
        .path(Some(chromium()))
        .sandbox(!is_root())
        .window_size(Some((1500, 1100)))
        .idle_browser_timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let browser = Browser::new(options).expect("launch chromium");
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(60));
    tab.navigate_to(&format!("{base}/"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element("#q").unwrap().click().unwrap();
    tab.type_str(QUERY).unwrap().press_key("Enter").unwrap();
    tab.wait_for_element_with_custom_timeout("body[data-state=done]", Duration::from_secs(60))
        .expect("the page did not finish the three searches");
    let script = r#"JSON.stringify(Object.fromEntries(["bm25", "knn", "hybrid"].map(m => {
        const col = document.getElementById("col-" + m);
        const items = [...col.querySelectorAll("li")];
        return [m, {
            ids: items.map(li => li.dataset.id),
            shared: items.filter(li => li.classList.contains("shared")).map(li => li.dataset.id),
            timing: col.querySelector(".timing").textContent,
        }];
    })))"#;
    let value = tab.evaluate(script, false).unwrap().value.expect("a value");
    let shown: Value = serde_json::from_str(value.as_str().unwrap()).unwrap();
    let shot = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .unwrap();
    std::fs::write(png, shot).unwrap();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    MODES
        .iter()
        .map(|m| {
            let c = &shown[*m];
            let column = Column {
                ids: strings(&c["ids"]),
                shared: strings(&c["shared"]).into_iter().collect(),
                timing: c["timing"].as_str().unwrap().to_owned(),
            };
            (m.to_string(), column)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_page_in_headless_chromium() {
    let (engine, info) = support::connect(EngineKind::OpenSearch).await;
    let (index, _dir) = ingest_head(&info.url, "serve-page", 1000);
    let server = ServeProcess::start(&info.url, &index, &[]);
    let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for mode in MODES {
        let qs = query_string(&[("q", QUERY), ("mode", mode), ("k", "10")]);
        let (status, answer) = get(&format!("{}/search?{qs}", server.url)).await;
        assert_eq!(status, 200, "{answer}");
        want.insert(mode.to_owned(), ids(&answer));
    }
    let png = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve-search-page.png");
    let (base, path) = (server.url.clone(), png.clone());
    let shown = tokio::task::spawn_blocking(move || drive(&base, &path))
        .await
        .unwrap();

    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for ids in want.values() {
        for id in ids {
            *seen.entry(id.as_str()).or_default() += 1;
        }
    }
    for mode in MODES {
        let column = &shown[mode];
        assert_eq!(column.ids.len(), 10, "{mode}: {column:?}");
        assert_eq!(
            column.ids, want[mode],
            "{mode}: the page differs from /search"
        );
        let shared: BTreeSet<String> = column
            .ids
            .iter()
            .filter(|id| seen[id.as_str()] > 1)
            .cloned()
            .collect();
        assert_eq!(column.shared, shared, "{mode}: marked documents");
        assert!(
            column.timing.contains("engine") && column.timing.contains(" ms"),
            "{column:?}"
        );
    }
    assert!(
        shown.values().any(|c| !c.shared.is_empty()),
        "no document found by two modes: the marking is untested"
    );
    let size = std::fs::metadata(&png).unwrap().len();
    assert!(
        size > 10_000,
        "screenshot {} is {size} bytes",
        png.display()
    );
    println!("screenshot: {} ({size} bytes)", png.display());
    drop(server);
    engine.delete_index(&index).await.unwrap();
}
