//! A small Chrome DevTools Protocol client: one headless Chromium per [`Chromium`], driven
//! over one WebSocket (tungstenite, blocking) with a flat session on one page target.
//!
//! It does what the dashboard tests need and nothing more: navigate and wait for the load
//! event, click and tap at an element's centre through real input events (the element must
//! be the one hit at that point), type through `Input.insertText`, set a file input's files,
//! evaluate JavaScript, emulate a phone (viewport, touch), disable JavaScript, allow
//! downloads into a folder, and take screenshots.
//!
//! Every console error or assertion (`Runtime.consoleAPICalled`), uncaught exception
//! (`Runtime.exceptionThrown`) and browser log error (`Log.entryAdded`: failed loads, CSP
//! violations, ...) is recorded as it arrives; [`Chromium::take_problems`] hands them to
//! the test, which fails on any.
//!
//! Protocol reference: <https://chromedevtools.github.io/devtools-protocol/> (domains
//! Target, Page, Runtime, Log, Input, DOM, Emulation, Browser).

use std::collections::VecDeque;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// Longest wait for one answer, event or condition.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// A phone: the viewport of a 390 × 844 CSS-pixel phone (iPhone 12–15 class), touch input.
pub const PHONE: Viewport = Viewport {
    width: 390,
    height: 844,
    scale: 2.0,
    mobile: true,
};

/// A desktop window.
pub const DESKTOP: Viewport = Viewport {
    width: 1280,
    height: 900,
    scale: 1.0,
    mobile: false,
};

/// An emulated screen.
#[derive(Debug, Clone, Copy)]
pub struct Viewport {
    /// Width in CSS pixels.
    pub width: u32,
    /// Height in CSS pixels.
    pub height: u32,
    /// Device pixels per CSS pixel.
    pub scale: f64,
    /// A phone: mobile viewport rules (`<meta name="viewport">`) and touch input.
    pub mobile: bool,
}

/// One headless Chromium with one page, killed on drop.
pub struct Chromium {
    child: Child,
    profile: tempfile::TempDir,
    ws: WebSocket<TcpStream>,
    next_id: u64,
    session: String,
    events: VecDeque<Value>,
    problems: Vec<String>,
    touch: bool,
}

impl Chromium {
    /// Starts `browser` headless with a fresh profile and opens one blank page.
    pub fn launch(browser: &Path) -> Chromium {
        let profile = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(profile.path().join("chromium.log")).unwrap();
        let child = Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--mute-audio",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
        // Chromium writes the port it chose and the browser target's path here.
        let port_file = profile.path().join("DevToolsActivePort");
        let start = Instant::now();
        let (port, path) = loop {
            if let Ok(s) = std::fs::read_to_string(&port_file) {
                let mut lines = s.lines();
                if let (Some(p), Some(path)) = (lines.next(), lines.next()) {
                    break (p.trim().parse::<u16>().unwrap(), path.trim().to_owned());
                }
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "{} did not open its DevTools port within {} s; its log: {}",
                browser.display(),
                TIMEOUT.as_secs(),
                std::fs::read_to_string(profile.path().join("chromium.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        let (ws, _) = tungstenite::client(format!("ws://127.0.0.1:{port}{path}"), stream)
            .unwrap_or_else(|e| panic!("DevTools WebSocket handshake failed: {e}"));
        let mut c = Chromium {
            child,
            profile,
            ws,
            next_id: 0,
            session: String::new(),
            events: VecDeque::new(),
            problems: Vec::new(),
            touch: false,
        };
        let target = c.browser_call("Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().unwrap().to_owned();
        let attached = c.browser_call(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        );
        c.session = attached["sessionId"].as_str().unwrap().to_owned();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            c.call(domain, json!({}));
        }
        c
    }

    /// Sends a command to the browser target (no session) and returns its result.
    pub fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, None)
    }

    /// Sends a command to the page and returns its result; a protocol error panics.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(method, params, Some(&session))
    }

    fn send(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        self.try_send(method, params, session)
            .unwrap_or_else(|err| panic!("{method}: protocol error {err}"))
    }

    /// Sends a command and returns its result or the protocol's error object.
    fn try_send(
        &mut self,
        method: &str,
        params: Value,
        session: Option<&str>,
    ) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .unwrap_or_else(|e| panic!("{method}: cannot send: {e}"));
        loop {
            let v = self.read(method);
            if v["id"].as_u64() == Some(id) {
                if let Some(err) = v.get("error") {
                    return Err(err.clone());
                }
                return Ok(v["result"].clone());
            }
        }
    }

    /// The next message; events are recorded (problems) and queued.
    fn read(&mut self, waiting_for: &str) -> Value {
        loop {
            let m = self.ws.read().unwrap_or_else(|e| {
                panic!(
                    "waiting for {waiting_for}: no message within {} s ({e})",
                    TIMEOUT.as_secs()
                )
            });
            let text = match m {
                Message::Text(t) => t.to_string(),
                Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                Message::Close(_) => {
                    panic!("waiting for {waiting_for}: Chromium closed the socket")
                }
                _ => continue,
            };
            let v: Value = serde_json::from_str(&text).unwrap();
            if v.get("method").is_some() {
                self.record_problem(&v);
                self.events.push_back(v.clone());
                if self.events.len() > 10_000 {
                    self.events.pop_front();
                }
            }
            return v;
        }
    }

    fn record_problem(&mut self, event: &Value) {
        let p = &event["params"];
        match event["method"].as_str() {
            Some("Runtime.exceptionThrown") => {
                let d = &p["exceptionDetails"];
                let text = d["exception"]["description"]
                    .as_str()
                    .or(d["text"].as_str())
                    .unwrap_or("?");
                self.problems.push(format!(
                    "uncaught exception: {text} ({}:{})",
                    d["url"].as_str().unwrap_or(""),
                    d["lineNumber"]
                ));
            }
            Some("Runtime.consoleAPICalled")
                if matches!(p["type"].as_str(), Some("error" | "assert")) =>
            {
                let args: Vec<String> = p["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| {
                        a["value"]
                            .as_str()
                            .map(str::to_owned)
                            .or_else(|| a["description"].as_str().map(str::to_owned))
                            .unwrap_or_else(|| a["value"].to_string())
                    })
                    .collect();
                self.problems.push(format!(
                    "console.{}: {}",
                    p["type"].as_str().unwrap_or("?"),
                    args.join(" ")
                ));
            }
            // The browser's own favicon request is not the page's doing (the pages link no
            // icon; the server has none yet).
            Some("Log.entryAdded")
                if p["entry"]["level"] == "error"
                    && !p["entry"]["url"]
                        .as_str()
                        .is_some_and(|u| u.ends_with("/favicon.ico")) =>
            {
                let e = &p["entry"];
                self.problems.push(format!(
                    "browser log ({}): {} {}",
                    e["source"].as_str().unwrap_or("?"),
                    e["text"].as_str().unwrap_or("?"),
                    e["url"].as_str().unwrap_or("")
                ));
            }
            _ => {}
        }
    }

    /// Console errors, exceptions and browser log errors since the last call.
    pub fn take_problems(&mut self) -> Vec<String> {
        std::mem::take(&mut self.problems)
    }

    /// Waits for the event `method` on the page (queued or new) and returns its params.
    pub fn wait_event(&mut self, method: &str) -> Value {
        let start = Instant::now();
        loop {
            if let Some(i) = self
                .events
                .iter()
                .position(|e| e["method"] == method && e["sessionId"] == self.session.as_str())
            {
                return self.events.remove(i).unwrap()["params"].clone();
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "no {method} within {} s",
                TIMEOUT.as_secs()
            );
            self.read(method);
        }
    }

    /// Opens `url` and waits for its load event. Panics when the navigation fails.
    pub fn goto(&mut self, url: &str) {
        self.events.clear();
        let r = self.call("Page.navigate", json!({"url": url}));
        if let Some(e) = r["errorText"].as_str() {
            panic!("navigation to {url} failed: {e}");
        }
        self.wait_event("Page.loadEventFired");
    }

    /// Evaluates `expression` in the page (promises awaited) and returns its value as
    /// JSON; a thrown exception panics.
    pub fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(d) = r.get("exceptionDetails") {
            panic!("evaluating {expression}: {d}");
        }
        r["result"]["value"].clone()
    }

    /// As [`eval`](Self::eval), but `None` when the page throws or is between documents
    /// (its context destroyed by a navigation).
    pub fn try_eval(&mut self, expression: &str) -> Option<Value> {
        let session = self.session.clone();
        let r = self
            .try_send(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
                Some(&session),
            )
            .ok()?;
        if r.get("exceptionDetails").is_some() {
            return None;
        }
        Some(r["result"]["value"].clone())
    }

    /// Polls `expression` every 100 ms until it is `true` (navigations in between are
    /// waited out); panics after [`TIMEOUT`] with `what`.
    pub fn wait_until(&mut self, expression: &str, what: &str) {
        let start = Instant::now();
        while self.try_eval(expression) != Some(json!(true)) {
            assert!(
                start.elapsed() < TIMEOUT,
                "{what}: not within {} s ({expression})",
                TIMEOUT.as_secs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The current URL.
    pub fn url(&mut self) -> String {
        self.eval("location.href").as_str().unwrap_or("").to_owned()
    }

    /// `document.body.innerText`.
    pub fn text(&mut self) -> String {
        self.eval("document.body ? document.body.innerText : ''")
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// The page's HTML as the browser holds it.
    pub fn html(&mut self) -> String {
        self.eval("document.documentElement.outerHTML")
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// Whether `selector` matches an element.
    pub fn exists(&mut self, selector: &str) -> bool {
        self.eval(&format!(
            "document.querySelector({}) !== null",
            js(selector)
        )) == json!(true)
    }

    /// Scrolls the first match of `selector` into view and returns the centre of its box;
    /// panics unless the element hit there is it (or inside it): it must be clickable.
    fn centre(&mut self, selector: &str) -> (f64, f64) {
        let v = self.eval(&format!(
            "(() => {{ const e = document.querySelector({s}); if (!e) return 'missing';
              e.scrollIntoView({{block: 'center', inline: 'center'}});
              const r = e.getBoundingClientRect();
              if (r.width === 0 || r.height === 0) return 'invisible';
              const x = r.left + r.width / 2, y = r.top + r.height / 2;
              const hit = document.elementFromPoint(x, y);
              if (!hit || !(hit === e || e.contains(hit) || (hit.control === e) || (e.labels && [...e.labels].includes(hit))))
                return 'covered by ' + (hit ? hit.outerHTML.slice(0, 120) : 'nothing');
              return [x, y]; }})()",
            s = js(selector)
        ));
        match v.as_array() {
            Some(a) => (a[0].as_f64().unwrap(), a[1].as_f64().unwrap()),
            None => panic!("cannot click {selector}: {v}"),
        }
    }

    /// Clicks (desktop) or taps (phone) the centre of the first match of `selector`.
    pub fn click(&mut self, selector: &str) {
        let (x, y) = self.centre(selector);
        if self.touch {
            self.call(
                "Input.dispatchTouchEvent",
                json!({"type": "touchStart", "touchPoints": [{"x": x, "y": y}]}),
            );
            self.call(
                "Input.dispatchTouchEvent",
                json!({"type": "touchEnd", "touchPoints": []}),
            );
        } else {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": "mouseMoved", "x": x, "y": y}),
            );
            for t in ["mousePressed", "mouseReleased"] {
                self.call(
                    "Input.dispatchMouseEvent",
                    json!({"type": t, "x": x, "y": y, "button": "left", "clickCount": 1}),
                );
            }
        }
    }

    /// Clicks `selector` and waits for the page it leads to to load.
    pub fn click_and_wait(&mut self, selector: &str) {
        self.events.clear();
        self.click(selector);
        self.wait_event("Page.loadEventFired");
    }

    /// Focuses the first match of `selector`, clears it and types `text` into it.
    pub fn type_into(&mut self, selector: &str, text: &str) {
        self.click(selector);
        let ok = self.eval(&format!(
            "(() => {{ const e = document.querySelector({}); e.focus(); e.select && e.select();
              return document.activeElement === e; }})()",
            js(selector)
        ));
        assert_eq!(ok, json!(true), "{selector} did not take the focus");
        self.call("Input.insertText", json!({"text": text}));
    }

    /// Sets the value of the `<select>` `selector` to `value` as a user would (a
    /// `change` event follows).
    pub fn select(&mut self, selector: &str, value: &str) {
        let ok = self.eval(&format!(
            "(() => {{ const e = document.querySelector({}); if (!e) return false;
              e.value = {}; e.dispatchEvent(new Event('change', {{bubbles: true}}));
              return e.value === {1}; }})()",
            js(selector),
            js(value)
        ));
        assert_eq!(ok, json!(true), "cannot select {value} in {selector}");
    }

    /// Gives the file input `selector` the file `path`.
    pub fn set_file(&mut self, selector: &str, path: &Path) {
        let doc = self.call("DOM.getDocument", json!({"depth": 0}));
        let root = doc["root"]["nodeId"].clone();
        let node = self.call(
            "DOM.querySelector",
            json!({"nodeId": root, "selector": selector}),
        );
        let id = node["nodeId"].as_u64().unwrap_or(0);
        assert_ne!(id, 0, "no {selector} on the page");
        let abs = std::fs::canonicalize(path).unwrap();
        self.call(
            "DOM.setFileInputFiles",
            json!({"nodeId": id, "files": [abs.display().to_string()]}),
        );
    }

    /// Emulates `v` (touch input when it is a phone) from the next navigation on.
    pub fn set_viewport(&mut self, v: Viewport) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": v.width, "height": v.height,
                   "deviceScaleFactor": v.scale, "mobile": v.mobile}),
        );
        self.call(
            "Emulation.setTouchEmulationEnabled",
            json!({"enabled": v.mobile, "maxTouchPoints": if v.mobile { 5 } else { 1 }}),
        );
        self.touch = v.mobile;
    }

    /// Turns the page's JavaScript off (`true`) or on; DevTools evaluation still works.
    pub fn disable_javascript(&mut self, disabled: bool) {
        self.call(
            "Emulation.setScriptExecutionDisabled",
            json!({"value": disabled}),
        );
    }

    /// Saves downloads into `dir` under their suggested names.
    pub fn allow_downloads(&mut self, dir: &Path) {
        self.browser_call(
            "Browser.setDownloadBehavior",
            json!({"behavior": "allow", "downloadPath": dir.display().to_string()}),
        );
    }

    /// Waits for a finished download in `dir` (no `.crdownload` left) and returns its path.
    pub fn wait_download(&mut self, dir: &Path) -> PathBuf {
        let start = Instant::now();
        loop {
            let files: Vec<PathBuf> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            if !files.is_empty()
                && files
                    .iter()
                    .all(|f| f.extension() != Some("crdownload".as_ref()))
            {
                assert_eq!(files.len(), 1, "downloads: {files:?}");
                return files[0].clone();
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "no download in {} within {} s",
                dir.display(),
                TIMEOUT.as_secs()
            );
            // Keep reading so that Chromium's messages do not pile up.
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Saves a PNG of the whole page (beyond the viewport) to `path`.
    pub fn screenshot(&mut self, path: &Path) {
        let r = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap();
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }

    /// The profile directory (downloads can go below it).
    pub fn profile_dir(&self) -> &Path {
        self.profile.path()
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.ws.close(None);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `s` as a JavaScript string literal.
pub fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}
