//! The customers attributes file.

use comeback_ingest::{CustomerOptions, read_customers};

#[test]
fn customers_file_with_attributes() {
    let data = "customer_id,first_seen,member,city,language,segment\n\
        1,2024-01-02,yes,Porto,pt,gold\n\
        2,,0,,,\n";
    let mut got = Vec::new();
    let report = read_customers(
        data.as_bytes(),
        "customers.csv",
        &CustomerOptions::default(),
        |c| {
            got.push(format!(
                "{} {:?} {:?} {:?} {:?} {:?}",
                c.id,
                c.first_seen.map(|d| d.to_string()),
                c.loyalty,
                c.location,
                c.language,
                c.attributes
            ));
            Ok::<_, std::convert::Infallible>(())
        },
    )
    .unwrap();
    assert_eq!(
        got,
        [
            r#"1 Some("2024-01-02") Some(true) Some("Porto") Some("pt") [("segment", "gold")]"#,
            r#"2 None Some(false) None None [("segment", "")]"#,
        ]
    );
    assert_eq!(report.attribute_columns, ["segment"]);
    assert_eq!(report.columns.len(), 5);
}

#[test]
fn customers_file_errors() {
    let read = |data: &str| {
        read_customers(
            data.as_bytes(),
            "customers.csv",
            &CustomerOptions::default(),
            |_| Ok::<_, std::convert::Infallible>(()),
        )
        .unwrap_err()
        .to_string()
    };
    assert_eq!(
        read("kunde;mitglied\n1;vielleicht\n"),
        r#"customers.csv:2: column "mitglied": cannot parse "vielleicht" as loyalty membership (expected yes/no, true/false or 1/0)"#
    );
    assert_eq!(
        read("client,date_inscription\n1,2024-01-01\n1,2024-01-02\n"),
        r#"customers.csv:3: column "client": cannot parse "1" as a new customer id (already on line 2)"#
    );
    assert_eq!(
        read("id,client\n1,2\n"),
        r#"customers.csv: ambiguous header: columns "id", "client" all match field id; choose one with the id column option"#
    );
}
