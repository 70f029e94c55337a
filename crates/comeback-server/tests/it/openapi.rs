//! The OpenAPI document: served, valid OpenAPI 3.1, complete (every route written in the
//! source is documented or is one of the listed HTML pages), and every `/api/v1` operation
//! answers a guest 401 before looking at the request.

use std::collections::BTreeSet;

use crate::helpers::TestApp;

/// Routes that are not part of the JSON API and so not in the document: the accounts
/// pages and the dashboard (HTML).
const UNDOCUMENTED: &[&str] = &[
    "/api/openapi.json",
    "/login",
    "/logout",
    "/setup",
    "/password",
    "/",
    "/model",
    "/customers",
    "/customers/{id}",
    "/lists/{list}",
    "/lists/{list}/csv",
    "/assets/dashboard.css",
    "/assets/upload.js",
    "/upload",
    "/upload/subscriptions",
    "/upload/complaints",
    "/cohorts",
    "/webhooks",
    "/objectives",
    "/retention",
    "/status",
    "/surveys",
    "/surveys/new",
    "/report-cards",
    "/surveys/send",
    "/s/{token}",
    "/s/{token}/thanks",
    "/s/{token}/unsubscribe",
    "/complain",
    "/complaint-status",
    "/complaint-status/{reference}",
    "/complaints",
    "/complaints/{reference}",
    "/complaint-measures",
    "/flag",
    "/customers/{id}/flag",
    "/users",
    "/users/{id}/employee",
];

/// (method, path) of every operation in the document.
fn operations(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

/// Every route path written in the crate's source: `.route("PATH"` and
/// `#[utoipa::path(..., path = "PATH"`.
fn source_routes() -> BTreeSet<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut routes = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for marker in [".route(\"", "path = \"", ".route_service(\"", ".nest(\""] {
            for (i, _) in text.match_indices(marker) {
                let rest = &text[i + marker.len()..];
                let end = rest.find('"').unwrap();
                routes.insert(rest[..end].to_owned());
            }
        }
    }
    routes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_is_served_valid_and_complete() {
    let app = TestApp::sqlite().await;
    let (s, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
    // A full OpenAPI 3.1 parser accepts it.
    let parsed = oas3::from_json(doc.to_string()).expect("valid OpenAPI 3.1");
    assert_eq!(parsed.info.title, "Comeback API");
    // Every $ref resolves to a component schema.
    let text = doc.to_string();
    for (i, _) in text.match_indices("\"$ref\":\"#/components/schemas/") {
        let rest = &text[i + "\"$ref\":\"#/components/schemas/".len()..];
        let name = &rest[..rest.find('"').unwrap()];
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "dangling $ref {name}"
        );
    }
    let documented: BTreeSet<String> = operations(&doc).into_iter().map(|(_, p)| p).collect();
    for required in [
        "/health",
        "/api/v1/transactions:batch",
        "/api/v1/customers:batch",
        "/api/v1/uploads/transactions",
        "/api/v1/customers",
        "/api/v1/customers/{external_id}",
        "/api/v1/customers/{external_id}/export",
        "/api/v1/customers/{external_id}/erase",
        "/api/v1/actions/{list}",
        "/api/v1/metrics",
        "/api/v1/model",
        "/api/v1/model/refit",
    ] {
        assert!(
            documented.contains(required),
            "{required} missing from the document"
        );
    }
    let mut missing = Vec::new();
    for r in source_routes() {
        if !documented.contains(&r) && !UNDOCUMENTED.contains(&r.as_str()) {
            missing.push(r);
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from the document: {missing:?}"
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_get_401_on_every_api_route() {
    let app = TestApp::sqlite().await;
    let (_, doc) = app.get("/api/openapi.json", None).await;
    let ops = operations(&doc);
    let mut checked = 0;
    for (method, path) in &ops {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        // Path parameters get a plausible value; the body is not even JSON, so a 401
        // shows that login is checked before the request is validated.
        let concrete = path.replace("{list}", "at-risk").replace(['{', '}'], "");
        let req = match method.as_str() {
            "GET" => app.client.get(app.url(&concrete)),
            "POST" => app.client.post(app.url(&concrete)),
            "PUT" => app.client.put(app.url(&concrete)),
            "PATCH" => app.client.patch(app.url(&concrete)),
            "DELETE" => app.client.delete(app.url(&concrete)),
            m => panic!("unexpected method {m}"),
        };
        let resp = req
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(status, 401, "{method} {path}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized", "{method} {path}");
        checked += 1;
    }
    assert!(checked >= 11, "only {checked} API operations checked");
    app.cleanup().await;
}
