//! The report in a real browser (headless Chromium).
//!
//! Enabled by `COMEBACK_TEST_BROWSER=/path/to/chromium`. Without it each test prints
//! `SKIPPED <test name>: COMEBACK_TEST_BROWSER not set` and passes — unless `CI` is set,
//! then it fails, so CI cannot silently skip the browser.
//!
//! Each test renders the sample report to a temp file and runs Chromium with a fresh
//! profile: `--dump-dom` gives the DOM as the browser parsed it (headline numbers, mark
//! counts), `--enable-logging=stderr --v=0` prints every console message as a
//! `:CONSOLE` line (the page has no JavaScript and a Content-Security-Policy forbidding
//! all loads, so any console message is an error: a blocked load, a script, a parse
//! problem), and `--screenshot` saves a PNG under Cargo's `target/tmp` for a human look.

use comeback_report::{Lang, ReportInput, TOP_N, format, render, sample_input};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest time one Chromium run may take before it is killed.
const TIMEOUT: Duration = Duration::from_secs(90);

/// The browser to use, or `None` (after printing SKIPPED) when the test is disabled.
fn browser(test: &str) -> Option<PathBuf> {
    match std::env::var_os("COMEBACK_TEST_BROWSER") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: COMEBACK_TEST_BROWSER must be set when CI is set (path to chromium)"
            );
            // Straight to the process's stderr, past the test harness's capture.
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED {test}: COMEBACK_TEST_BROWSER not set"
            );
            None
        }
    }
}

struct Run {
    stdout: String,
    stderr: String,
}

/// Runs Chromium headless on `page` with a fresh profile and the extra `args`.
fn chromium(browser: &Path, profile: &Path, page: &Path, args: &[String]) -> Run {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .arg(format!("file://{}", page.display()))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let run = Run {
        stdout: out_thread.join().unwrap_or_default(),
        stderr: err_thread.join().unwrap_or_default(),
    };
    assert!(
        status.success(),
        "chromium failed ({status}):\n{}",
        run.stderr
    );
    run
}

/// Console messages Chromium logged for the page.
fn console_messages(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

/// The DOM as Chromium serialises it, with `&nbsp;` turned back into U+00A0.
fn dump_dom(browser: &Path, dir: &Path, page: &Path) -> Run {
    let profile = tempfile::tempdir_in(dir).expect("profile dir");
    let args: Vec<String> = vec![
        "--enable-logging=stderr".into(),
        "--v=0".into(),
        "--dump-dom".into(),
    ];
    let mut run = chromium(browser, profile.path(), page, &args);
    run.stdout = run.stdout.replace("&nbsp;", "\u{a0}");
    run
}

fn marks(dom: &str, figure: &str, series: &str) -> usize {
    let start = dom
        .find(&format!(r#"data-figure="{figure}""#))
        .unwrap_or_else(|| panic!("figure {figure} not in the DOM"));
    let end = dom[start..].find("</figure>").expect("figure end") + start;
    dom[start..end]
        .matches(&format!(r#"class="mark" data-series="{series}""#))
        .count()
}

fn headline(dom: &str, key: &str) -> String {
    let needle = format!(r#"data-value="{key}">"#);
    let start = dom
        .find(&needle)
        .unwrap_or_else(|| panic!("headline {key} not in the DOM"))
        + needle.len();
    let end = dom[start..].find('<').expect("end of value") + start;
    dom[start..end].to_string()
}

fn write_page(dir: &Path, name: &str, html: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, html).expect("write page");
    path
}

/// The checks on one rendered language.
fn check_dom(dom: &str, input: &ReportInput, lang: Lang) {
    assert!(
        dom.contains(&format!(r#"<html lang="{}">"#, lang.code())),
        "lang attribute"
    );
    let h = &input.headline;
    let currency = &input.meta.currency;
    let expected = [
        ("customers", format::count(h.customers, lang)),
        ("alive", format::number(h.expected_alive_now, 0, lang)),
        ("defection", format::percent(h.defection_rate_12m, 1, lang)),
        (
            "revenue_lost",
            format::money(h.revenue_lost_12m, currency, lang),
        ),
        (
            "purchases",
            format::number(h.expected_purchases.estimate, 0, lang),
        ),
        (
            "revenue",
            format::money(h.expected_revenue.estimate, currency, lang),
        ),
        ("at_risk", format::money(h.revenue_at_risk, currency, lang)),
    ];
    for (key, value) in &expected {
        assert_eq!(&headline(dom, key), value, "{lang}: headline {key}");
    }
    let n = input.tracking.points.len();
    assert_eq!(
        marks(dom, "tracking", "actual"),
        n,
        "{lang}: tracking actual"
    );
    assert_eq!(
        marks(dom, "tracking", "predicted"),
        n,
        "{lang}: tracking predicted"
    );
    assert_eq!(marks(dom, "frequency", "actual"), input.frequency.len());
    assert_eq!(marks(dom, "frequency", "expected"), input.frequency.len());
    assert_eq!(marks(dom, "p-alive", "cells"), input.p_alive.cells.len());
    assert_eq!(marks(dom, "clv", "customers"), input.clv_distribution.len());
    assert_eq!(marks(dom, "rfm", "customers"), input.rfm_segments.len());
    assert_eq!(marks(dom, "rfm", "value"), input.rfm_segments.len());
    assert_eq!(marks(dom, "lifecycle", "customers"), input.lifecycle.len());
    let cohort_cells: usize = input.cohorts.iter().map(|c| c.retention.len()).sum();
    assert_eq!(marks(dom, "cohorts", "cells"), cohort_cells);
    for list in ["at_risk", "win_back", "advocates"] {
        let start = dom
            .find(&format!(r#"data-list="{list}""#))
            .expect("action list");
        let end = dom[start..].find("</table>").expect("table end") + start;
        assert_eq!(
            dom[start..end].matches("<tr>").count(),
            TOP_N + 1,
            "{lang}: rows of {list}"
        );
    }
    let body = dom.replace(r#"xmlns="http://www.w3.org/2000/svg""#, "");
    assert!(!body.contains("http://") && !body.contains("https://"));
}

#[test]
fn report_in_headless_chromium() {
    let Some(browser) = browser("report_in_headless_chromium") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let input = sample_input();

    // The console check must be able to fail: a page with a script error and a blocked
    // load must show up as console messages.
    let bad = write_page(
        dir.path(),
        "bad.html",
        "<!DOCTYPE html><html lang=\"en\"><body><p>x</p><script>throw new Error(\"deliberate\")</script></body></html>",
    );
    let run = dump_dom(&browser, dir.path(), &bad);
    assert!(
        console_messages(&run.stderr)
            .iter()
            .any(|l| l.contains("Uncaught Error: deliberate")),
        "console errors are not detected; stderr was:\n{}",
        run.stderr
    );
    // The report's Content-Security-Policy switches scripts off: the same script under
    // it is blocked (and the block is reported), so the report cannot depend on any.
    let html = render(&input, Lang::En);
    let csp_start = html
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .expect("CSP");
    let csp_end = html[csp_start..].find('>').expect("CSP end") + csp_start + 1;
    let csp = &html[csp_start..csp_end];
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"));
    let blocked = write_page(
        dir.path(),
        "blocked.html",
        &format!(
            "<!DOCTYPE html><html lang=\"en\"><head>{csp}</head><body><p>x</p><script>throw new Error(\"deliberate\")</script></body></html>"
        ),
    );
    let run = dump_dom(&browser, dir.path(), &blocked);
    let console = console_messages(&run.stderr);
    assert!(
        !console.iter().any(|l| l.contains("deliberate"))
            && console
                .iter()
                .any(|l| l.contains("Content Security Policy")),
        "the report's CSP does not block scripts:\n{}",
        run.stderr
    );

    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("comeback-report-browser");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    for lang in [Lang::En, Lang::De, Lang::Fi] {
        let page = write_page(
            dir.path(),
            &format!("report-{}.html", lang.code()),
            &render(&input, lang),
        );
        // (a) DOM and (b) console.
        let run = dump_dom(&browser, dir.path(), &page);
        assert!(
            run.stdout.contains("</html>"),
            "no DOM dumped:\n{}",
            run.stderr
        );
        let console = console_messages(&run.stderr);
        assert!(
            console.is_empty(),
            "{lang}: console messages:\n{}",
            console.join("\n")
        );
        check_dom(&run.stdout, &input, lang);
        if lang == Lang::En {
            assert_eq!(headline(&run.stdout, "customers"), "2,357");
            assert_eq!(headline(&run.stdout, "revenue"), "$66,271");
        }

        // (c) Screenshots, desktop and phone width.
        for (suffix, size) in [("", "1280,4000"), ("-mobile", "390,3000")] {
            let png = shots.join(format!("report-{}{suffix}.png", lang.code()));
            let _ = std::fs::remove_file(&png);
            let profile = tempfile::tempdir_in(dir.path()).expect("profile dir");
            chromium(
                &browser,
                profile.path(),
                &page,
                &[
                    format!("--screenshot={}", png.display()),
                    format!("--window-size={size}"),
                ],
            );
            let bytes = std::fs::read(&png).expect("screenshot written");
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
            assert!(
                bytes.len() > 50_000,
                "screenshot too small: {} bytes",
                bytes.len()
            );
        }
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "screenshots in {}",
        shots.display()
    );
}

#[test]
fn degenerate_report_in_headless_chromium() {
    let Some(browser) = browser("degenerate_report_in_headless_chromium") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let page = write_page(
        dir.path(),
        "empty.html",
        &render(&ReportInput::default(), Lang::Es),
    );
    let run = dump_dom(&browser, dir.path(), &page);
    let console = console_messages(&run.stderr);
    assert!(
        console.is_empty(),
        "console messages:\n{}",
        console.join("\n")
    );
    assert!(run.stdout.contains(r#"<html lang="es">"#));
    assert!(run.stdout.contains(Lang::Es.message("no_data")));
    assert_eq!(run.stdout.matches(r#"class="mark""#).count(), 0);
}
