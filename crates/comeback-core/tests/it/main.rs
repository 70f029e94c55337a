//! Integration tests of comeback-core: exactness on CDNOW and summary invariants.

mod summary_cdnow;
mod summary_props;

/// Path of a file in the repository's `data/` folder.
pub fn data_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}
