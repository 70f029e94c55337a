//! Writes the sample report to a file: `cargo run -p comeback-report --example
//! sample_report -- OUT.html [LANG]`.

use comeback_report::{Lang, render, sample_input};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "report.html".into());
    let lang: Lang = args.next().as_deref().unwrap_or("en").parse()?;
    std::fs::write(&out, render(&sample_input(), lang))?;
    println!("{out}");
    Ok(())
}
