//! The Spark job (`spark/`) through its own Python tests
//! (`spark/tests/test_fleet.py`): PySpark in `local[2]` on OpenJDK 17 over
//! generated captures of 5 sources, with this build's `nwcap`. `.ci/run`
//! installs Java and PySpark; elsewhere, without them, the test says
//! `SKIPPED:` and why (with `CI` set, a missing piece is a failure).

use std::path::Path;
use std::process::Command;

/// Why the Spark tests cannot run here, if they cannot.
fn missing() -> Option<String> {
    let java = Command::new("java").arg("-version").output();
    if !matches!(&java, Ok(o) if o.status.success()) {
        return Some("java not found (apt-get install openjdk-17-jre-headless)".into());
    }
    let py = Command::new("python3")
        .args(["-c", "import pyspark"])
        .output();
    match py {
        Ok(o) if o.status.success() => None,
        Ok(_) => Some("pyspark not installed (pip install pyspark)".into()),
        Err(e) => Some(format!("python3 not found: {e}")),
    }
}

#[test]
fn fleet_job_on_pyspark_local_mode() {
    if let Some(why) = missing() {
        if std::env::var_os("CI").is_some() {
            panic!("CI is set but the Spark test cannot run: {why}");
        }
        println!("SKIPPED: {why}; the Spark job's test not run");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .args([
            "-W",
            "ignore::ResourceWarning",
            "-m",
            "unittest",
            "discover",
            "-v",
            "-s",
        ])
        .arg(root.join("spark").join("tests"))
        .current_dir(root)
        .env("NWCAP_BIN", env!("CARGO_BIN_EXE_nwcap"))
        .env("PYTHONPATH", root.join("spark"))
        .env("PYSPARK_PYTHON", "python3")
        .output()
        .expect("run python3");
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{}{stderr}", String::from_utf8_lossy(&out.stdout));
    assert!(out.status.success(), "the Spark job's tests failed");
    assert!(
        stderr.contains("\nOK"),
        "unittest did not report OK:\n{stderr}"
    );
}
